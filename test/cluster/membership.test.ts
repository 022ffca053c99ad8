import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { systemClock } from '../../src/app/system-clock.js';
import { Membership, reapDeadMembers, type MembershipOptions } from '../../src/cluster/membership.js';
import { HeldLease } from '../../src/cluster/held-lease.js';
import { startCuttableProxy } from './helpers/cuttable-proxy.js';
import { nodePool, until } from './helpers/pools.js';

/**
 * Membership against a real PostgreSQL, with short settings (heartbeat 200 ms, lease 2 s) so
 * leases run out within a test. Waits are liveness bounds; the assertions are invariants (who is
 * dead, which epoch, fenced before the database's lease ended), never durations.
 */
const skip = postgresSkipReason;
let pgServer: TestPostgres;
let url: string;
const pools: pg.Pool[] = [];
const nodes: Membership[] = [];

// Short enough to expire within a test, long enough that a busy shared machine (8 engineers, 2 cores)
// does not make a healthy node miss its lease.
const FAST = { heartbeatMs: 200, leaseMs: 2000, fenceMarginMs: 300 };

function pool(u = url): pg.Pool {
  const p = nodePool(u);
  pools.push(p);
  return p;
}

async function node(id: string, o: Partial<MembershipOptions> = {}): Promise<Membership> {
  const m = await Membership.start({ pool: o.pool ?? pool(), clock: systemClock, id, roles: ['worker'], address: `10.0.0.1:${9100 + nodes.length}`, capacity: 8, ...FAST, ...o });
  nodes.push(m);
  return m;
}

before(async () => {
  if (skip) return;
  pgServer = await startPostgres();
  url = await pgServer.createDatabase();
});

after(async () => {
  for (const n of nodes) n.stop();
  for (const p of pools) await p.end().catch(() => undefined);
  await pgServer?.stop();
});

test('held lease: valid until the renewal\'s send time plus the lease less the margin, not its arrival', async () => {
  const clock = new FakeClock();
  const changes: boolean[] = [];
  const lease = new HeldLease(clock, 5000, 500, (held) => changes.push(held));
  assert.equal(lease.held, false);
  const sentAt = clock.monotonic();
  await clock.advance(3000); // the answer took 3 s to arrive
  lease.confirmed(sentAt);
  assert.equal(lease.held, true);
  assert.equal(lease.remainingMs, 1500);
  await clock.advance(1499);
  assert.equal(lease.held, true);
  await clock.advance(1);
  assert.equal(lease.held, false);
  assert.deepEqual(changes, [true, false], 'the fence fires from its own timer, without anyone asking');
});

test('held lease: a confirmation that arrives after the lease could have ended does not unfence', async () => {
  const clock = new FakeClock();
  const changes: boolean[] = [];
  const lease = new HeldLease(clock, 1000, 100, (held) => changes.push(held));
  const sentAt = clock.monotonic();
  await clock.advance(950);
  lease.confirmed(sentAt);
  assert.equal(lease.held, false);
  assert.deepEqual(changes, []);
  lease.confirmed(clock.monotonic());
  lease.lost();
  assert.deepEqual(changes, [true, false]);
});

test('membership: two nodes see each other with their roles, address, capacity and distinct epochs', { skip }, async () => {
  const a = await node('node-a', { roles: ['api', 'worker', 'poller'] });
  const b = await node('node-b');
  await until('a sees b', () => a.members().some((m) => m.id === 'node-b'));
  await until('b sees a', () => b.members().some((m) => m.id === 'node-a'));
  const seenByA = a.members().find((m) => m.id === 'node-b')!;
  assert.deepEqual({ ...seenByA, leaseExpiresAt: 0 }, { id: 'node-b', roles: ['worker'], address: b.members().find((m) => m.id === 'node-b')!.address, capacity: 8, epoch: b.epoch, leaseExpiresAt: 0, state: 'active' });
  assert.deepEqual(b.members().find((m) => m.id === 'node-a')!.roles, ['api', 'worker', 'poller']);
  assert.notEqual(a.epoch, b.epoch);
  assert.equal(a.fenced(), false);
  assert.equal(a.self, 'node-a');
  a.stop();
  b.stop();
  await a.leave();
  await b.leave();
});

test('membership: a node whose heartbeats stop is seen dead once its lease ran out by the database clock, then reaped', { skip }, async () => {
  const a = await node('watcher');
  const b = await node('stops');
  await until('a sees b active', () => a.members().some((m) => m.id === 'stops' && m.state === 'active'));
  b.stop();
  assert.equal(b.fenced(), true, 'a stopped node takes no work');
  await until('a sees b dead', () => a.members().some((m) => m.id === 'stops' && m.state === 'dead'));
  const { rows } = await pools[0]!.query(`SELECT lease_expires_at < now() AS expired FROM members WHERE id = 'stops'`);
  assert.equal(rows[0].expired, true, 'dead in the view only after the database says the lease ended');
  assert.equal(a.members().find((m) => m.id === 'watcher')!.state, 'active');
  assert.deepEqual(await reapDeadMembers(pools[0]!, 0), ['stops']);
  await a.refresh();
  assert.deepEqual(a.members().map((m) => m.id), ['watcher']);
  a.stop();
  await a.leave();
});

test('membership: drain marks the node draining for everyone; leave deletes it', { skip }, async () => {
  const a = await node('drainer');
  const b = await node('observer');
  await a.drain();
  assert.equal(a.state, 'draining');
  await b.refresh();
  assert.equal(b.members().find((m) => m.id === 'drainer')!.state, 'draining');
  await a.leave();
  assert.equal(a.fenced(), true);
  await b.refresh();
  assert.equal(b.members().some((m) => m.id === 'drainer'), false);
  b.stop();
  await b.leave();
});

test('membership: a node cut off from the database fences itself before its lease ends there, and comes back under a new epoch', { skip }, async () => {
  const proxy = await startCuttableProxy(pgServer.host, pgServer.port);
  try {
    const observer = await node('observer2');
    const cutNode = await node('cut', { pool: pool(proxy.url(url)) });
    const events: Array<{ event: 'fence' | 'unfence' }> = [];
    cutNode.onFence(() => events.push({ event: 'fence' }));
    cutNode.onUnfence(() => events.push({ event: 'unfence' }));
    const firstEpoch = cutNode.epoch;
    proxy.cut();
    // Whenever the database says the lease has ended, the node must already count itself fenced:
    // the database's verdict is read first, the node's own after, so the implication is sound even
    // when this busy process runs callbacks late.
    let seenExpired = false;
    await until('the database lets the lease lapse', async () => {
      const { rows } = await pools[0]!.query(`SELECT lease_expires_at <= now() AS expired FROM members WHERE id = 'cut'`);
      if (rows[0].expired) {
        seenExpired = true;
        assert.equal(cutNode.fenced(), true, 'fenced no later than the database lease ends');
      }
      return seenExpired;
    });
    await until('the fence callback ran', () => events.length > 0);
    assert.deepEqual(events.map((e) => e.event), ['fence']);
    await until('the observer sees it dead', () => observer.members().some((m) => m.id === 'cut' && m.state === 'dead'));
    proxy.restore();
    await until('the node holds a lease again', () => !cutNode.fenced());
    assert.deepEqual(events.map((e) => e.event), ['fence', 'unfence']);
    assert.ok(cutNode.epoch > firstEpoch, 'a new registration, a new epoch');
    await until('the observer sees the new epoch', () => observer.members().some((m) => m.id === 'cut' && m.state === 'active' && m.epoch === cutNode.epoch));
    cutNode.stop();
    observer.stop();
    await cutNode.leave();
    await observer.leave();
  } finally {
    await proxy.close();
  }
});

test('membership: a node that cannot read the table keeps its last view instead of declaring everyone dead (static stability)', { skip }, async () => {
  const proxy = await startCuttableProxy(pgServer.host, pgServer.port);
  try {
    const live = await node('live');
    const blind = await node('blind', { pool: pool(proxy.url(url)) });
    await until('blind sees live', () => blind.members().some((m) => m.id === 'live' && m.state === 'active'));
    proxy.cut();
    await until('the view is older than a lease', () => blind.viewAgeMs() > FAST.leaseMs);
    // live kept renewing all along (its own connection): blind must not call it dead.
    assert.equal(blind.members().find((m) => m.id === 'live')?.state, 'active');
    assert.equal(blind.fenced(), true, 'blind itself is fenced: it could not renew either');
    proxy.restore();
    await until('blind reads again', () => blind.viewAgeMs() < FAST.leaseMs && !blind.fenced());
    assert.equal(blind.members().find((m) => m.id === 'live')?.epoch, live.epoch);
    blind.stop();
    live.stop();
    await blind.leave();
    await live.leave();
  } finally {
    await proxy.close();
  }
});

test('membership: a paused database fences every node; on resume each registers under a new epoch', { skip }, async () => {
  const a = await node('paused-a');
  const epoch = a.epoch;
  pgServer.pause();
  try {
    await until('a fences itself', () => a.fenced());
    // Stay paused past the lease the database granted, so it has lapsed there too when it resumes
    // (a renewal caught in the pause is then refused: the node must register anew).
    await new Promise((r) => setTimeout(r, 2 * FAST.leaseMs));
  } finally {
    pgServer.resume();
  }
  await until('a unfences', () => !a.fenced());
  assert.ok(a.epoch > epoch, `epoch ${a.epoch} after ${epoch}`);
  a.stop();
  await a.leave();
});
