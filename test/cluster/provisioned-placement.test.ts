import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterMember } from '../../src/ports/cluster-membership.js';
import type { ProvisionedConfig } from '../../src/invoke/provisioner.js';
import { ProvisionedPlacement, provisionedOwner, provisionedRouteKey } from '../../src/cluster/provisioned-placement.js';
import type { ProvisionedAllocation, ProvisionedAllocations } from '../../src/cluster/provisioned-allocations.js';
import { WorkerDrain } from '../../src/cluster/worker-drain.js';
import { RemoteInvoker } from '../../src/cluster/remote-invoker.js';
import { FakeClock } from '../helpers/fake-clock.js';

const clock = new FakeClock();

function member(id: string, over: Partial<ClusterMember> = {}): ClusterMember {
  return { id, roles: ['worker'], address: `${id}:1`, capacity: 8, epoch: 1, leaseExpiresAt: clock.now() + 60_000, state: 'active', ...over };
}

class Members {
  list: ClusterMember[] = [];
  constructor(readonly self: string) {}
  members(): readonly ClusterMember[] {
    return this.list;
  }
}

class MemoryAllocations implements ProvisionedAllocations {
  readonly rows = new Map<string, ProvisionedAllocation>();
  async report(fn: string, q: string, a: ProvisionedAllocation): Promise<void> {
    this.rows.set(`${fn}/${q}/${a.nodeId}`, a);
  }
  async read(fn: string, q: string, node: string): Promise<ProvisionedAllocation | undefined> {
    return this.rows.get(`${fn}/${q}/${node}`);
  }
  async forget(fn: string, q: string, node: string): Promise<void> {
    this.rows.delete(`${fn}/${q}/${node}`);
  }
}

const cfg = (functionName: string, qualifier = 'live', version = '1', n = 2): ProvisionedConfig => ({ functionName, qualifier, version, RequestedProvisionedConcurrentExecutions: n });

test('owner: the rendezvous-first active worker with a live lease — the RemoteInvoker\'s first candidate for the same key', () => {
  const members = [member('w1'), member('w2'), member('w3'), member('a1', { roles: ['api'] })];
  const remote = new RemoteInvoker({ membership: { self: 'a1', members: () => members }, clock, key: '', cert: '', ca: '', routeOf: (n, q) => `${n}:${q}` });
  for (let i = 0; i < 40; i++) {
    const c = cfg(`fn${i}`, 'live', String(1 + (i % 3)));
    assert.equal(provisionedOwner(provisionedRouteKey(c), members, clock.now()), remote.candidates(`fn${i}:${c.version}`)[0]!.id);
  }
  remote.close();
  const key = 'fn:1';
  const first = provisionedOwner(key, members, clock.now())!;
  const without = (over: Partial<ClusterMember>) => provisionedOwner(key, members.map((m) => (m.id === first ? { ...m, ...over } : m)), clock.now());
  for (const over of [{ state: 'draining' as const }, { state: 'dead' as const }, { leaseExpiresAt: clock.now() }, { roles: ['api' as const] }]) {
    const next = without(over);
    assert.ok(next !== undefined && next !== first && next !== 'a1', `skips a worker with ${JSON.stringify(over)}`);
  }
  assert.equal(provisionedOwner(key, [member('a1', { roles: ['api'] })], clock.now()), undefined);
});

test('each config is placed on exactly one worker; the others provision nothing and report nothing', async () => {
  const list = [member('w1'), member('w2'), member('w3')];
  const configs = Array.from({ length: 30 }, (_, i) => cfg(`fn${i}`));
  const written: string[] = [];
  const placements = list.map((w) => {
    const m = new Members(w.id);
    m.list = list;
    return new ProvisionedPlacement({ membership: m, clock, allocations: new MemoryAllocations(), configs: () => configs, resync: () => undefined });
  });
  for (const p of placements) await p.tick();
  for (const c of configs) assert.equal(placements.filter((p) => p.placed(c)).length, 1, `${c.functionName} on one worker`);
  assert.equal(placements.reduce((n, p) => n + p.holding(), 0), configs.length);
  for (const p of placements) for (const c of configs) p.report(c.functionName, c.qualifier, 2, 'READY', undefined, () => written.push(c.functionName));
  assert.deepEqual(written.sort(), configs.map((c) => c.functionName).sort(), 'only the owner writes the status');
});

test('handoff: a draining owner keeps its environments until the next worker reports the full count, then releases', async () => {
  const c = cfg('hand');
  const key = provisionedRouteKey(c);
  const all = [member('w1'), member('w2'), member('w3')];
  const order = [provisionedOwner(key, all, clock.now())!];
  order.push(provisionedOwner(key, all.filter((m) => m.id !== order[0]), clock.now())!);
  const allocations = new MemoryAllocations();
  const m = new Members(order[0]!);
  m.list = all;
  const resyncs: string[] = [];
  const logs: string[] = [];
  const p = new ProvisionedPlacement({ membership: m, clock, allocations, configs: () => [c], resync: (fn, q) => resyncs.push(`${fn}:${q}`), log: (l) => logs.push(l), handoffTimeoutMs: 60_000 });
  await p.tick();
  assert.deepEqual(resyncs, ['hand:live'], 'taken up when placed here');
  m.list = all.map((x) => (x.id === order[0] ? { ...x, state: 'draining' } : x));
  await p.tick();
  await p.tick();
  assert.equal(p.placed(c), true, 'still provisioned here while the new owner starts');
  assert.equal(p.holding(), 1);
  let wrote = false;
  p.report('hand', 'live', 2, 'READY', undefined, () => (wrote = true));
  assert.equal(wrote, false, 'a releasing worker does not write the status');
  await allocations.report('hand', 'live', { nodeId: order[1]!, version: '1', allocated: 1, requested: 2, status: 'IN_PROGRESS' });
  await p.tick();
  assert.equal(p.placed(c), true, 'not yet: the new owner has 1 of 2');
  await allocations.report('hand', 'live', { nodeId: order[1]!, version: '1', allocated: 2, requested: 2, status: 'READY' });
  await p.tick();
  assert.equal(p.placed(c), false);
  assert.equal(p.holding(), 0);
  assert.deepEqual(resyncs, ['hand:live', 'hand:live'], 'the release retires the environments here');
  assert.ok(logs.some((l) => l.includes(`handing hand:live to ${order[1]}`)));
});

test('handoff: a worker joining earlier in the order takes the config over the same way; a handoff nobody confirms ends at its timeout', async () => {
  const c = cfg('join');
  const key = provisionedRouteKey(c);
  const ids = Array.from({ length: 12 }, (_, i) => `n${i}`);
  // Two workers where the newcomer outranks the current owner for this key.
  const [a, b] = (() => {
    for (const x of ids) for (const y of ids) if (x !== y && provisionedOwner(key, [member(x), member(y)], clock.now()) === y) return [x, y];
    throw new Error('unreachable');
  })();
  const m = new Members(a!);
  m.list = [member(a!)];
  const resyncs: number[] = [];
  const p = new ProvisionedPlacement({ membership: m, clock, allocations: new MemoryAllocations(), configs: () => [c], resync: () => resyncs.push(clock.now()), handoffTimeoutMs: 30_000 });
  await p.tick();
  m.list = [member(a!), member(b!)];
  assert.equal(p.placed(c), true, 'held between two passes: never dropped before the handoff starts');
  await p.tick();
  await clock.advance(29_000);
  await p.tick();
  assert.equal(p.placed(c), true);
  await clock.advance(1_000);
  await p.tick();
  assert.equal(p.placed(c), false, 'released after the timeout');
  assert.equal(resyncs.length, 2);
});

test('an alias moved to another version is let go at once (its environments restart on the new version anyway)', async () => {
  let c = cfg('alias', 'live', '1');
  const ids = Array.from({ length: 12 }, (_, i) => `n${i}`);
  const list = ids.map((id) => member(id));
  const owner1 = provisionedOwner('alias:1', list, clock.now())!;
  const v = ['2', '3', '4', '5', '6', '7'].find((x) => provisionedOwner(`alias:${x}`, list, clock.now()) !== owner1)!;
  const m = new Members(owner1);
  m.list = list;
  const resyncs: string[] = [];
  const p = new ProvisionedPlacement({ membership: m, clock, allocations: new MemoryAllocations(), configs: () => [c], resync: (fn, q) => resyncs.push(`${fn}:${q}`) });
  await p.tick();
  c = cfg('alias', 'live', v);
  assert.equal(p.placed(c), false);
  await p.tick();
  assert.equal(p.holding(), 0);
  assert.equal(resyncs.length, 2);
});

test('worker drain: notices its own row draining, drains locally, waits for handoffs and in-flight work, then ends once', async () => {
  let state: 'active' | 'draining' = 'active';
  let holding = 1;
  let busy = 2;
  let drainedCalls = 0;
  const logs: string[] = [];
  const m = new Members('w1');
  m.list = [member('w1')];
  const d = new WorkerDrain({
    membership: Object.assign(m, { get state() { return state; }, drain: async () => { state = 'draining'; } }),
    clock, holding: () => holding, busy: () => busy, onDrained: () => drainedCalls++, log: (l) => logs.push(l),
  });
  await d.tick();
  assert.equal(d.draining, false);
  m.list = [member('w1', { state: 'draining' })];
  await d.tick();
  assert.equal(state, 'draining', 'the local state follows (admission fences)');
  holding = 0;
  await d.tick();
  assert.equal(drainedCalls, 0, 'in-flight invocations still running');
  busy = 0;
  await d.tick();
  await d.tick();
  assert.equal(drainedCalls, 1);
  assert.match(logs.at(-1)!, /worker drained/);
});

test('worker drain: stops after its longest wait even if work is left, and says so', async () => {
  const m = new Members('w1');
  m.list = [member('w1', { state: 'draining' })];
  let drained = 0;
  const logs: string[] = [];
  const d = new WorkerDrain({ membership: Object.assign(m, { state: 'draining' as const, drain: async () => undefined }), clock, holding: () => 1, busy: () => 0, onDrained: () => drained++, maxWaitMs: 10_000, log: (l) => logs.push(l) });
  d.start(1000);
  await clock.advance(9_000);
  assert.equal(drained, 0);
  await clock.advance(2_000);
  assert.equal(drained, 1);
  assert.match(logs.at(-1)!, /timed out with 1 provisioned config/);
});

test('the owner dies: the next worker takes the config up; a worker whose view lapsed (database unreachable) keeps what it holds', async () => {
  const c = cfg('dies');
  const all = [member('w1'), member('w2'), member('w3')];
  const first = provisionedOwner(provisionedRouteKey(c), all, clock.now())!;
  const second = provisionedOwner(provisionedRouteKey(c), all.filter((m) => m.id !== first), clock.now())!;
  const m = new Members(second);
  m.list = all;
  const resyncs: string[] = [];
  const p = new ProvisionedPlacement({ membership: m, clock, allocations: new MemoryAllocations(), configs: () => [c], resync: (fn, q) => resyncs.push(`${fn}:${q}`) });
  await p.tick();
  assert.equal(p.placed(c), false);
  m.list = all.map((x) => (x.id === first ? { ...x, leaseExpiresAt: clock.now() - 1 } : x));
  await p.tick();
  assert.equal(p.placed(c), true, 'placed here once the owner\'s lease ran out');
  assert.deepEqual(resyncs, ['dies:live']);
  // Every lease in this node's view ran out (no refresh reached the database): nobody to hand to.
  m.list = all.map((x) => ({ ...x, leaseExpiresAt: clock.now() - 1 }));
  await p.tick();
  assert.equal(p.placed(c), true, 'static stability: its provisioned environments stay');
  let wrote = false;
  p.report('dies', 'live', 2, 'READY', undefined, () => (wrote = true));
  assert.equal(wrote, false, 'not the owner by its own view: no status write');
  assert.deepEqual(resyncs, ['dies:live']);
});

test('a config the provisioner was told to keep counts as held at once: a drain before the next pass hands it off instead of stopping with it', async () => {
  const c = cfg('early');
  const key = provisionedRouteKey(c);
  const all = [member('w1'), member('w2')];
  const owner = provisionedOwner(key, all, clock.now())!;
  const next = all.find((x) => x.id !== owner)!.id;
  const allocations = new MemoryAllocations();
  const m = new Members(owner);
  m.list = all;
  const resyncs: string[] = [];
  const p = new ProvisionedPlacement({ membership: m, clock, allocations, configs: () => [c], resync: (fn, q) => resyncs.push(`${fn}:${q}`), handoffTimeoutMs: 60_000 });
  // The provisioner asks (on the config's PUT) before any pass has run.
  assert.equal(p.placed(c), true);
  assert.equal(p.holding(), 1, 'held before the first pass');
  // Drained before that pass: still held, handed to the next worker, released once it reports.
  m.list = all.map((x) => (x.id === owner ? { ...x, state: 'draining' } : x));
  await p.tick();
  assert.equal(p.holding(), 1);
  assert.equal(p.placed(c), true, 'environments stay while the next worker starts');
  await allocations.report('early', 'live', { nodeId: next, version: '1', allocated: 2, requested: 2, status: 'READY' });
  await p.tick();
  assert.equal(p.holding(), 0);
  assert.deepEqual(resyncs, ['early:live'], 'the release retires the environments here');
});
