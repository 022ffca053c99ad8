import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { systemClock } from '../../src/app/system-clock.js';
import { LeaderLease, withLeaderTerm, leaderTermGuard, readLeader, DEPOSED } from '../../src/cluster/leader-lease.js';
import { ClusterHousekeeping } from '../../src/cluster/cluster-housekeeping.js';
import { ConcurrencyTokens } from '../../src/cluster/concurrency-tokens.js';
import { startCuttableProxy, type CuttableProxy } from './helpers/cuttable-proxy.js';
import { nodePool, until } from './helpers/pools.js';

/**
 * Leader election over a real PostgreSQL with short leases (renew 200 ms, lease 2 s). Each
 * candidate reaches the database through its own cuttable proxy. The checks are on the recorded
 * history of elections and depositions and on what the database accepted, not on durations.
 */
const skip = postgresSkipReason;
let pgServer: TestPostgres;
let url: string;
let admin: pg.Pool;
const pools: pg.Pool[] = [];
const proxies: CuttableProxy[] = [];
const leases: LeaderLease[] = [];
// Short enough to expire within a test, long enough that a busy shared machine does not depose a
// healthy leader.
const FAST = { renewMs: 200, leaseMs: 2000, marginMs: 300 };

type Event = { who: string; event: 'elected' | 'deposed'; term: number; othersLeading?: string[] };

async function candidate(holder: string, history: Event[], name = 'flint-leader'): Promise<{ lease: LeaderLease; proxy: CuttableProxy; pool: pg.Pool }> {
  const proxy = await startCuttableProxy(pgServer.host, pgServer.port);
  proxies.push(proxy);
  const pool = nodePool(proxy.url(url));
  pools.push(pool);
  const lease = await LeaderLease.start({ pool, clock: systemClock, holder, name, ...FAST });
  // Who else believes it leads, by its own clock, at the moment this one is elected: must be nobody.
  // (Callbacks of two nodes in one busy process may run late and in any order; a node's own
  // isLeader() reads its clock when asked, so it is the sound thing to check.)
  lease.onElected((term) => history.push({ who: holder, event: 'elected', term, othersLeading: leases.filter((l) => l !== lease && l.name === name && l.isLeader()).map((l) => l.holder) }));
  lease.onDeposed((term) => history.push({ who: holder, event: 'deposed', term }));
  if (lease.isLeader()) history.push({ who: holder, event: 'elected', term: lease.term!, othersLeading: leases.filter((l) => l.name === name && l.isLeader()).map((l) => l.holder) });
  leases.push(lease);
  return { lease, proxy, pool };
}

before(async () => {
  if (skip) return;
  pgServer = await startPostgres();
  url = await pgServer.createDatabase();
  admin = nodePool(url);
  pools.push(admin);
  await admin.query('CREATE TABLE fired (schedule text, term bigint)');
});

after(async () => {
  for (const l of leases) await l.stop({ resign: false });
  for (const p of pools) await p.end().catch(() => undefined);
  for (const p of proxies) await p.close();
  await pgServer?.stop();
});

test('leader lease: of two candidates exactly one leads, under term 1', { skip }, async () => {
  const history: Event[] = [];
  const a = await candidate('a', history, 'first');
  const b = await candidate('b', history, 'first');
  await until('someone leads', () => a.lease.isLeader() || b.lease.isLeader());
  assert.equal([a, b].filter((c) => c.lease.isLeader()).length, 1);
  const leader = a.lease.isLeader() ? a.lease : b.lease;
  assert.equal(leader.term, 1);
  assert.deepEqual(await readLeader(admin, 'first').then((l) => l && { holder: l.holder, term: l.term }), { holder: leader.holder, term: 1 });
  assert.deepEqual(history, [{ who: leader.holder, event: 'elected', term: 1, othersLeading: [] }]);
  await a.lease.stop();
  await b.lease.stop();
});

test('leader lease: when the leader is cut off it steps down before one new term begins elsewhere; its fenced statement is refused', { skip }, async () => {
  const history: Event[] = [];
  const a = await candidate('a', history);
  const b = await candidate('b', history);
  await until('a leader', () => a.lease.isLeader() || b.lease.isLeader());
  const [old, next] = a.lease.isLeader() ? [a, b] : [b, a];
  const oldTerm = old.lease.term!;
  assert.deepEqual(await old.lease.runFenced(oldTerm, 'INSERT INTO fired VALUES ($1, $2)', ['nightly', oldTerm]).then((r) => r !== DEPOSED && r.rowCount), 1);

  old.proxy.cut();
  await until('the other candidate leads', () => next.lease.isLeader());
  const newTerm = next.lease.term!;
  assert.equal(newTerm, oldTerm + 1, 'exactly one new term');
  assert.equal(old.lease.isLeader(), false);
  assert.deepEqual(history.find((e) => e.event === 'elected' && e.term === newTerm)?.othersLeading, [], 'the old leader had stepped down by its own clock');
  await until('the old leader reports its deposition', () => history.some((e) => e.who === old.lease.holder && e.event === 'deposed' && e.term === oldTerm));

  old.proxy.restore();
  // The deposed node reaches the database again but its term is over: the database refuses.
  assert.equal(await withLeaderTerm(old.pool, 'flint-leader', oldTerm, (c) => c.query('INSERT INTO fired VALUES ($1, $2)', ['nightly', oldTerm])), DEPOSED);
  assert.equal(await old.lease.runFenced(oldTerm, 'INSERT INTO fired VALUES ($1, $2)', ['nightly', oldTerm]), DEPOSED);
  const guarded = await old.pool.query(`INSERT INTO fired SELECT $3, $4 WHERE ${leaderTermGuard(1, 2)}`, ['flint-leader', oldTerm, 'nightly', oldTerm]);
  assert.equal(guarded.rowCount, 0);
  assert.deepEqual(await next.lease.runFenced(newTerm, 'INSERT INTO fired VALUES ($1, $2)', ['nightly', newTerm]).then((r) => r !== DEPOSED && r.rowCount), 1);
  const { rows } = await admin.query('SELECT term::int AS term FROM fired ORDER BY term');
  assert.deepEqual(rows.map((r) => r.term), [oldTerm, newTerm]);
  await until('the old leader stays a follower', async () => (await readLeader(admin))!.term === newTerm && !old.lease.isLeader());

  // A clean stop resigns: the other candidate takes over under the next term.
  await next.lease.stop();
  await until('the old leader leads again', () => old.lease.isLeader());
  assert.equal(old.lease.term, newTerm + 1);
  assert.deepEqual(history.filter((e) => e.event === 'elected').map((e) => [e.term, e.othersLeading]), [[oldTerm, []], [newTerm, []], [newTerm + 1, []]]);
  await old.lease.stop();
});

test('leader lease: no takeover can commit while a statement of the current term is in flight', { skip }, async () => {
  const history: Event[] = [];
  const a = await candidate('solo', history, 'exclusive');
  await until('solo leads', () => a.lease.isLeader());
  const term = a.lease.term!;
  let release!: () => void;
  const latch = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const work = a.lease.withTerm(term, async (c) => {
    entered();
    await latch;
    return (await c.query('INSERT INTO fired VALUES ($1, $2)', ['exclusive', term])).rowCount;
  });
  await inside;
  const c = await admin.connect();
  try {
    await c.query(`SET lock_timeout = '200ms'`);
    await assert.rejects(c.query(`UPDATE leader_leases SET term = term + 1, holder = 'usurper' WHERE name = 'exclusive'`), (e: { code?: string }) => e.code === '55P03');
  } finally {
    c.release();
  }
  release();
  assert.equal(await work, 1);
  await a.lease.stop();
});

test('leader lease: withTerm under a term this node does not hold runs nothing', { skip }, async () => {
  const history: Event[] = [];
  const a = await candidate('lonely', history, 'other');
  await until('lonely leads', () => a.lease.isLeader());
  let ran = false;
  assert.equal(await a.lease.withTerm(a.lease.term! + 1, async () => { ran = true; }), DEPOSED);
  assert.equal(ran, false);
  await a.lease.stop();
  assert.equal(a.lease.isLeader(), false);
  assert.deepEqual(history.map((e) => e.event), ['elected', 'deposed']);
});

test('housekeeping: the leader frees a dead api node\'s tokens, then removes members dead past the grace; a non-leader sweeps nothing', { skip }, async () => {
  const history: Event[] = [];
  const a = await candidate('keeper', history, 'flint-leader-hk');
  await until('keeper leads', () => a.lease.isLeader());
  const follower = await candidate('follower', history, 'flint-leader-hk');
  await admin.query(`INSERT INTO members VALUES ('ghost', '{api}', 'g:1', 0, 99, now() + interval '1 hour', 'active', now()),
    ('fresh-dead', '{worker}', 'f:1', 4, 98, now() - interval '1 second', 'active', now())`);
  const ghostTokens = new ConcurrencyTokens({ pool: admin, nodeId: 'ghost' });
  assert.equal((await ghostTokens.acquire({ functionName: 'hk', reserved: 1, accountLimit: 10, committed: 1, timeoutMs: 600_000 })).kind, 'reserved');
  await admin.query(`UPDATE members SET lease_expires_at = now() - interval '2 minutes' WHERE id = 'ghost'`);

  assert.equal(await new ClusterHousekeeping({ leader: follower.lease, clock: systemClock }).sweep(), DEPOSED);
  const logs: string[] = [];
  const hk = new ClusterHousekeeping({ leader: a.lease, clock: systemClock, everyMs: 100, log: (l) => logs.push(l) });
  hk.start();
  try {
    await until('the sweep ran', () => logs.length > 0);
    assert.deepEqual(logs, ['flint: cluster: housekeeping freed 1 concurrency token(s), removed dead member(s) ghost']);
    const { rows } = await admin.query(`SELECT id FROM members WHERE id IN ('ghost', 'fresh-dead') ORDER BY id`);
    assert.deepEqual(rows.map((r) => r.id), ['fresh-dead'], 'dead for less than the grace: still listed');
    assert.equal(await ghostTokens.running('hk'), 0);
  } finally {
    hk.stop();
    await a.lease.stop();
    await follower.lease.stop();
  }
});
