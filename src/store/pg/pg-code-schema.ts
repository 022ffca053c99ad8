import type pg from 'pg';
import { applyPoolSchema } from './pool-schema.js';

/** The channel on which code stores tell each other of puts and removals (payload `put <sha>` / `remove <sha>`). */
export const CODE_CHANNEL = 'flint_code_objects';

/**
 * The PostgreSQL code store's tables, created idempotently under the cluster-wide schema lock (the
 * cluster plan: every PG store creates its own tables; no shared migration file).
 * - `code_objects`: one index row per archive (content address, sizes, the wrapped data key,
 *   chunking, the collector's `last_put_at`). Written in the same transaction as its chunks, so a
 *   reader never sees an object whose chunks are missing.
 * - `code_chunks`: the sealed archive in chunks (`bytea`), removed with their object.
 */
export async function ensureCodeSchema(pool: pg.Pool): Promise<void> {
  await applyPoolSchema(pool, `
        CREATE TABLE IF NOT EXISTS code_objects (
          sha256 text PRIMARY KEY,
          size bigint NOT NULL,
          unzipped_size bigint NOT NULL,
          wrapped_key bytea NOT NULL,
          chunk_size integer NOT NULL,
          chunk_count integer NOT NULL,
          created_at timestamptz NOT NULL,
          last_put_at bigint NOT NULL
        );
        CREATE TABLE IF NOT EXISTS code_chunks (
          sha256 text NOT NULL REFERENCES code_objects (sha256) ON DELETE CASCADE,
          idx integer NOT NULL,
          data bytea NOT NULL,
          PRIMARY KEY (sha256, idx)
        );
        -- Sealed chunks are random bytes: compressing them in TOAST only costs CPU.
        ALTER TABLE code_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
      `);
}
