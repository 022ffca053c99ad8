import type { PgSyncClient } from './pg-sync-client.js';

/**
 * Creates a store's tables idempotently. Each PG store owns its DDL (no shared migration file for
 * the cluster pieces to conflict on); the DDL runs in one transaction under a cluster-wide
 * advisory lock, because `CREATE TABLE IF NOT EXISTS` from two nodes starting at once can still
 * collide on the catalog's unique index (23505 on pg_type).
 */
export function applySchema(client: PgSyncClient, ddl: string): void {
  try {
    client.query(`BEGIN; SELECT pg_advisory_xact_lock(hashtext('flint-schema')); ${ddl}; COMMIT`);
  } catch (err) {
    // The failed multi-statement string left the connection in an aborted transaction.
    try { client.query('ROLLBACK'); } catch { /* the connection is gone: PG rolled back */ }
    throw err;
  }
}
