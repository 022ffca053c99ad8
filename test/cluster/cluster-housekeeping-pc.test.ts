import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { systemClock } from '../../src/app/system-clock.js';
import { DEPOSED, LeaderLease } from '../../src/cluster/leader-lease.js';
import { ClusterHousekeeping } from '../../src/cluster/cluster-housekeeping.js';
import { ClusterFunctionEvents } from '../../src/cluster/cluster-function-events.js';
import { ensureClusterSchema } from '../../src/cluster/cluster-schema.js';
import { PgProvisionedAllocations } from '../../src/cluster/provisioned-allocations.js';
import { nodePool } from './helpers/pools.js';

/**
 * The leader's housekeeping (ClusterHousekeeping) with the parts added for provisioned placement
 * and function events, over a real PostgreSQL: what one pass deletes (expired tokens, dead
 * members past their grace, allocation rows of members gone, old function events), and that a pass
 * under a term that is no longer current deletes nothing.
 */
const skip = postgresSkipReason;
let pgServer: TestPostgres;
let pool: pg.Pool;
const leases: LeaderLease[] = [];

before(async () => {
  if (skip) return;
  pgServer = await startPostgres();
  pool = nodePool(await pgServer.createDatabase(), 6);
  await ensureClusterSchema(pool);
});

after(async () => {
  for (const l of leases) await l.stop({ resign: false });
  await pool?.end().catch(() => undefined);
  await pgServer?.stop();
});

async function seed(allocations: PgProvisionedAllocations): Promise<void> {
  await pool.query('DELETE FROM members; DELETE FROM concurrency_tokens; DELETE FROM concurrency_counters; DELETE FROM function_events; DELETE FROM provisioned_allocations');
  await pool.query(`INSERT INTO members VALUES
    ('live', '{api}', 'a:1', 0, 1, now() + interval '1 hour', 'active', now()),
    ('w-live', '{worker}', 'w:1', 8, 2, now() + interval '1 hour', 'active', now()),
    ('recently-dead', '{worker}', 'w:2', 8, 3, now() - interval '2 seconds', 'active', now()),
    ('long-dead', '{worker}', 'w:3', 8, 4, now() - interval '5 minutes', 'active', now()),
    ('api-long-dead', '{api}', 'a:2', 0, 5, now() - interval '5 minutes', 'active', now())`);
  await pool.query(`INSERT INTO concurrency_counters VALUES ('fn:f', 3)`);
  await pool.query(`INSERT INTO concurrency_tokens (token, scope, function_name, node_id, expires_at) VALUES
    (gen_random_uuid(), 'fn:f', 'f', 'live', now() - interval '1 second'),
    (gen_random_uuid(), 'fn:f', 'f', 'live', now() + interval '1 hour'),
    (gen_random_uuid(), 'fn:f', 'f', 'api-long-dead', now() + interval '1 hour')`);
  for (const node of ['w-live', 'long-dead']) await allocations.report('f', 'live', { nodeId: node, version: '1', allocated: 2, requested: 2, status: 'READY' });
  await pool.query(`INSERT INTO function_events (origin, event, created_at) VALUES ('x', '{}', now() - interval '2 hours'), ('x', '{}', now())`);
}

test('housekeeping: one leader pass reaps expired tokens, dead members past the grace, their allocation rows and old events', { skip }, async () => {
  const events = new ClusterFunctionEvents({ pool, nodeId: 'live', log: () => undefined });
  await events.open();
  const allocations = await PgProvisionedAllocations.open(pool);
  await seed(allocations);
  const leader = await LeaderLease.start({ pool, clock: systemClock, holder: 'live', name: 'hk-1' });
  leases.push(leader);
  assert.equal(leader.isLeader(), true);
  const hk = new ClusterHousekeeping({ leader, clock: systemClock, pruneEvents: (db) => events.prune(db), deadMemberGraceMs: 60_000, deadNodeTokenGraceMs: 60_000 });
  const pass = await hk.sweep();
  assert.ok(pass !== DEPOSED);
  assert.equal(pass.tokens, 2, 'the expired token and the dead api node\'s token');
  assert.deepEqual(pass.members.sort(), ['api-long-dead', 'long-dead']);
  assert.equal(pass.allocations, 1);
  assert.equal(pass.pruned, true);
  const ids = (await pool.query<{ id: string }>('SELECT id FROM members ORDER BY id')).rows.map((r) => r.id);
  assert.deepEqual(ids, ['live', 'recently-dead', 'w-live'], 'a member dead for less than the grace stays listed');
  assert.equal((await pool.query(`SELECT in_use FROM concurrency_counters WHERE scope = 'fn:f'`)).rows[0].in_use, 1, 'the counter lowered with the tokens');
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM concurrency_tokens')).rows[0].n, 1);
  assert.equal((await pool.query(`SELECT count(*)::int AS n FROM provisioned_allocations`)).rows[0].n, 1);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM function_events')).rows[0].n, 1);
  // The next pass (not a prune pass) finds nothing more.
  assert.deepEqual(await hk.sweep(), { tokens: 0, members: [], allocations: 0, pruned: false });
});

test('housekeeping: a node that does not lead, or whose term ended, deletes nothing', { skip }, async () => {
  const events = new ClusterFunctionEvents({ pool, nodeId: 'live', log: () => undefined });
  await events.open();
  const allocations = await PgProvisionedAllocations.open(pool);
  await seed(allocations);
  const follower = { term: undefined, withTerm: () => { throw new Error('must not run'); } } as unknown as LeaderLease;
  assert.equal(await new ClusterHousekeeping({ leader: follower, clock: systemClock, pruneEvents: (db) => events.prune(db) }).sweep(), DEPOSED);
  // A leader whose term was taken over in the database (its own clock has not noticed yet).
  const leader = await LeaderLease.start({ pool, clock: systemClock, holder: 'live', name: 'flint-leader' });
  leases.push(leader);
  assert.equal(leader.isLeader(), true);
  await pool.query(`UPDATE leader_leases SET term = term + 1, holder = 'other' WHERE name = 'flint-leader'`);
  const hk = new ClusterHousekeeping({ leader, clock: systemClock, pruneEvents: (db) => events.prune(db) });
  assert.equal(await hk.sweep(), DEPOSED, 'deposed: the pass does not commit');
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM members')).rows[0].n, 5);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM concurrency_tokens')).rows[0].n, 3);
  assert.equal((await pool.query('SELECT count(*)::int AS n FROM function_events')).rows[0].n, 2);
});
