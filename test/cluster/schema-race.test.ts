import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { nodePool } from './helpers/pools.js';
import { ClusterFunctionEvents } from '../../src/cluster/cluster-function-events.js';
import { PgProvisionedAllocations } from '../../src/cluster/provisioned-allocations.js';
import { ensureClusterSchema } from '../../src/cluster/cluster-schema.js';

/**
 * Nodes of a new cluster start at once and each creates the tables it needs. PostgreSQL's
 * `CREATE TABLE IF NOT EXISTS` is not safe against a concurrent create of the same name (the
 * loser fails with 23505 on pg_type's unique index), so every piece of cluster DDL must run under
 * the shared schema lock. A CI run lost a worker at start to exactly that (function_events was
 * created without the lock); this test starts several "nodes" on fresh databases at once.
 */
const skip = postgresSkipReason;
let server: TestPostgres;
const pools: pg.Pool[] = [];

before(async () => {
  if (skip) return;
  server = await startPostgres();
});

after(async () => {
  for (const p of pools) await p.end().catch(() => undefined);
  if (server) await server.stop();
});

test('cluster tables: six nodes creating them at once on a fresh database all start', { skip }, async () => {
  const NODES = 6;
  for (let round = 0; round < 4; round++) {
    const url = await server.createDatabase();
    const nodePools = Array.from({ length: NODES }, () => {
      const p = nodePool(url, 2, { connectTimeoutMs: 5000, queryTimeoutMs: 20_000 });
      pools.push(p);
      return p;
    });
    const results = await Promise.allSettled(nodePools.flatMap((pool, i) => [
      new ClusterFunctionEvents({ pool, nodeId: `n${i}`, log: () => undefined }).open(),
      PgProvisionedAllocations.open(pool),
      ensureClusterSchema(pool),
    ]));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason));
    assert.deepEqual(failed, [], `round ${round}: some nodes failed to create their tables`);
    const tables = await nodePools[0].query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_tables WHERE tablename IN ('function_events', 'provisioned_allocations', 'members')`);
    assert.equal(tables.rows[0].n, 3);
  }
});
