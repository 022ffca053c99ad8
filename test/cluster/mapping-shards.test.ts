import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MappingShards, type ShardedPollers } from '../../src/cluster/mapping-shards.js';
import { mappingOwner } from '../../src/cluster/mapping-owner.js';
import type { MappingLease, MappingLeaseStore } from '../../src/ports/mapping-leases.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** The lease rows in memory; the "database clock" is the fake clock. */
class MemoryLeases implements MappingLeaseStore {
  readonly rows = new Map<string, { owner: string; token: number; expiresAt: number }>();
  #tokens = 0;
  constructor(private readonly clock: FakeClock) {}
  async list(): Promise<MappingLease[]> {
    return [...this.rows].map(([uuid, r]) => ({ uuid, owner: r.owner, token: r.token, leftMs: r.expiresAt - this.clock.monotonic() }));
  }
  async acquire(owner: string, uuids: readonly string[], leaseMs: number): Promise<Map<string, number>> {
    const now = this.clock.monotonic();
    const out = new Map<string, number>();
    for (const uuid of uuids) {
      const r = this.rows.get(uuid);
      if (r && r.owner !== owner && r.expiresAt > now) continue;
      const token = r && r.owner === owner ? r.token : ++this.#tokens;
      this.rows.set(uuid, { owner, token, expiresAt: now + leaseMs });
      out.set(uuid, token);
    }
    return out;
  }
  async renew(owner: string, holdings: ReadonlyMap<string, number>, leaseMs: number): Promise<string[]> {
    const out: string[] = [];
    for (const [uuid, token] of holdings) {
      const r = this.rows.get(uuid);
      if (r && r.owner === owner && r.token === token) {
        r.expiresAt = this.clock.monotonic() + leaseMs;
        out.push(uuid);
      }
    }
    return out;
  }
  async release(owner: string, holdings: ReadonlyMap<string, number>): Promise<void> {
    for (const [uuid, token] of holdings) {
      const r = this.rows.get(uuid);
      if (r && r.owner === owner && r.token === token) this.rows.delete(uuid);
    }
  }
}

/** A store one node reaches through; `cut` makes every call fail (the node is cut off from the database). */
function reach(store: MappingLeaseStore): MappingLeaseStore & { cut: boolean } {
  const s = {
    cut: false,
    list: () => store.list(),
    acquire: (o: string, u: readonly string[], l: number) => (s.cut ? Promise.reject(new Error('unreachable')) : store.acquire(o, u, l)),
    renew: (o: string, h: ReadonlyMap<string, number>, l: number) => (s.cut ? Promise.reject(new Error('unreachable')) : store.renew(o, h, l)),
    release: (o: string, h: ReadonlyMap<string, number>) => (s.cut ? Promise.reject(new Error('unreachable')) : store.release(o, h)),
  };
  return s;
}

/** What the shards steer: records resyncs; `busyFor` holds a mapping "in flight". */
class Pollers implements ShardedPollers {
  resyncs = 0;
  readonly busyFor = new Set<string>();
  constructor(public mappings: string[]) {}
  uuids(): readonly string[] {
    return this.mappings;
  }
  resync(): void {
    this.resyncs++;
  }
  busy(uuid: string): boolean {
    return this.busyFor.has(uuid);
  }
}

const UUIDS = Array.from({ length: 40 }, (_, i) => `uuid-${i}`);

function node(id: string, store: MappingLeaseStore, clock: FakeClock, live: { ids: string[] }, pollers = new Pollers(UUIDS)) {
  const shards = new MappingShards({ store, self: id, livePollers: () => live.ids, clock, leaseMs: 5000, renewEveryMs: 1000, marginMs: 500 });
  shards.attach(pollers);
  return { shards, pollers };
}

function assertExclusive(...nodes: Array<{ shards: MappingShards }>): void {
  const seen = new Set<string>();
  for (const n of nodes) for (const u of n.shards.owned()) {
    assert.ok(!seen.has(u), `${u} owned by two nodes at once`);
    seen.add(u);
  }
}

test('mapping shards: two pollers split the mappings by rendezvous, each mapping owned once', async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases(clock);
  const live = { ids: ['a', 'b'] };
  const a = node('a', store, clock, live);
  const b = node('b', store, clock, live);
  await a.shards.reconcile();
  await b.shards.reconcile();
  assertExclusive(a, b);
  assert.deepEqual(a.shards.owned(), UUIDS.filter((u) => mappingOwner(u, ['a', 'b']) === 'a').sort());
  assert.deepEqual(b.shards.owned(), UUIDS.filter((u) => mappingOwner(u, ['a', 'b']) === 'b').sort());
  assert.equal(a.shards.owned().length + b.shards.owned().length, UUIDS.length);
  assert.ok(a.pollers.resyncs > 0 && b.pollers.resyncs > 0, 'the pollers were told');
  // Renewals keep them, round after round.
  for (let i = 0; i < 10; i++) await clock.advance(1000);
  await a.shards.reconcile();
  assert.deepEqual(a.shards.owned(), UUIDS.filter((u) => mappingOwner(u, ['a', 'b']) === 'a').sort());
});

test('mapping shards: while member lists disagree, the lease keeps a mapping on one node; the newcomer gets it after the release', async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases(clock);
  // a has not seen b join yet: it wants every mapping. b sees both.
  const viewA = { ids: ['a'] };
  const viewB = { ids: ['a', 'b'] };
  const a = node('a', store, clock, viewA);
  const b = node('b', store, clock, viewB);
  await a.shards.reconcile();
  assert.equal(a.shards.owned().length, UUIDS.length);
  await b.shards.reconcile();
  assertExclusive(a, b);
  assert.deepEqual(b.shards.owned(), [], 'b waits: a holds the leases');
  // a sees b now; one of b's mappings still has a batch in flight on a.
  viewA.ids = ['a', 'b'];
  const bs = UUIDS.filter((u) => mappingOwner(u, ['a', 'b']) === 'b');
  a.pollers.busyFor.add(bs[0]!);
  await a.shards.reconcile();
  assert.ok(!a.shards.owned().includes(bs[0]!), 'a stops running it at once');
  await b.shards.reconcile();
  assertExclusive(a, b);
  assert.deepEqual(b.shards.owned(), bs.slice(1).sort(), 'b takes those a released');
  assert.equal(store.rows.get(bs[0]!)?.owner, 'a', 'the lease stays with a while its batch is in flight');
  for (let i = 0; i < 8; i++) {
    await clock.advance(1000);
    await a.shards.reconcile();
    await b.shards.reconcile();
    assertExclusive(a, b);
  }
  assert.ok(!b.shards.owned().includes(bs[0]!), 'still renewed by a: not expired');
  a.pollers.busyFor.clear();
  await a.shards.reconcile();
  await b.shards.reconcile();
  assert.deepEqual(b.shards.owned(), bs.sort());
});

test('mapping shards: a poller that stops releases its mappings and the other takes them over', async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases(clock);
  const viewA = { ids: ['a', 'b'] };
  const a = node('a', store, clock, viewA);
  const b = node('b', store, clock, { ids: ['a', 'b'] });
  await a.shards.reconcile();
  await b.shards.reconcile();
  assert.ok(b.shards.owned().length > 0);
  await b.shards.stop();
  viewA.ids = ['a'];
  await a.shards.reconcile();
  assert.deepEqual(a.shards.owned(), [...UUIDS].sort());
});

test('mapping shards: a poller cut off from the database stops owning before its lease can be taken', async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases(clock);
  const viewA = { ids: ['a', 'b'] };
  const a = node('a', store, clock, viewA);
  const bStore = reach(store);
  const b = node('b', bStore, clock, { ids: ['a', 'b'] });
  await a.shards.start();
  await b.shards.start();
  const bs = b.shards.owned();
  assert.ok(bs.length > 0);
  bStore.cut = true;
  // a's membership drops b once b's member lease ran out; a then tries every round.
  viewA.ids = ['a'];
  for (let t = 0; t < 7000; t += 100) {
    await clock.advance(100);
    assertExclusive(a, b);
  }
  assert.deepEqual(b.shards.owned(), [], 'b fenced itself');
  assert.deepEqual(a.shards.owned(), [...UUIDS].sort(), 'a took b\'s mappings after their leases expired');
  // b comes back: its renewals are refused (tokens moved on), it does not own them again.
  bStore.cut = false;
  await clock.advance(1000);
  assert.deepEqual(b.shards.owned(), []);
  assertExclusive(a, b);
  await a.shards.stop();
  await b.shards.stop();
});

test('mapping shards: the pollers are told the moment a lease may have lapsed, not at the next round', async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases(clock);
  const pollers = new Pollers(UUIDS);
  const shards = new MappingShards({ store, self: 'a', livePollers: () => ['a'], clock, leaseMs: 5000, renewEveryMs: 60_000, marginMs: 500 });
  shards.attach(pollers);
  await shards.start();
  assert.equal(shards.owned().length, UUIDS.length);
  const told = pollers.resyncs;
  await clock.advance(4400);
  assert.equal(shards.owned().length, UUIDS.length);
  assert.equal(pollers.resyncs, told);
  await clock.advance(200);
  assert.deepEqual(shards.owned(), [], 'lease - margin after the last renewal was sent');
  assert.equal(pollers.resyncs, told + 1, 'told at once');
  await shards.stop();
});
