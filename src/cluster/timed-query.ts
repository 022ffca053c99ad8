import type pg from 'pg';

/**
 * A pool query that gives up after `timeoutMs` (pg's per-query `query_timeout`: the client is then
 * destroyed by the pool, so a hung connection to a paused or partitioned database is not reused).
 * Lease renewals use it so that a renewal stuck behind a dead connection is abandoned and retried
 * on a fresh one instead of blocking every later heartbeat.
 */
export async function timedQuery<R extends pg.QueryResultRow>(pool: pg.Pool, text: string, values: unknown[], timeoutMs: number): Promise<pg.QueryResult<R>> {
  // @types/pg does not list query_timeout on QueryConfig; pg reads it there (client.js).
  const config = { text, values, query_timeout: timeoutMs } as pg.QueryConfig;
  return await pool.query<R>(config);
}
