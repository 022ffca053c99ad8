import type pg from 'pg';

/**
 * Creates a store's tables over an async pool, idempotently, under the cluster-wide schema lock
 * every PG store takes (the synchronous stores use applySchema in pg-schema.ts): two nodes starting
 * at once can otherwise collide on the catalog's unique index with `CREATE TABLE IF NOT EXISTS`.
 */
export async function applyPoolSchema(pool: pg.Pool, ddl: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock(hashtext('flint-schema'))");
    try {
      await client.query(ddl);
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext('flint-schema'))");
    }
  } finally {
    client.release();
  }
}
