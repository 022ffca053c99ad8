import type pg from 'pg';
import { applyPoolSchema } from './pool-schema.js';

/**
 * Tables of the async event queue on PostgreSQL: the events (the shape of SQLite's `async_events`
 * plus the bucket and the lease's owner and fencing token) and the bucket leases they are claimed
 * under. Created idempotently under the cluster-wide schema lock, so nodes starting together do
 * not race on the DDL.
 */
const DDL = `
CREATE TABLE IF NOT EXISTS async_events (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  request_id TEXT NOT NULL UNIQUE,
  bucket INTEGER NOT NULL,
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  payload BYTEA NOT NULL,
  client_context TEXT,
  trace_id TEXT,
  origin TEXT NOT NULL,
  enqueued_at BIGINT NOT NULL,
  visible_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  system_retries INTEGER NOT NULL DEFAULT 0,
  deliveries INTEGER NOT NULL DEFAULT 0,
  lease_token TEXT,
  lease_owner TEXT,
  lease_fence BIGINT,
  last_outcome TEXT
);
CREATE INDEX IF NOT EXISTS async_events_visible ON async_events (visible_at, seq);
CREATE INDEX IF NOT EXISTS async_events_bucket ON async_events (bucket, visible_at, seq);
CREATE TABLE IF NOT EXISTS queue_bucket_leases (
  bucket INTEGER PRIMARY KEY,
  owner TEXT,
  token BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);`;

/** NOTIFY channel of enqueues; the payload lists the buckets written, comma-separated. */
export const ASYNC_EVENTS_CHANNEL = 'flint_async_events';

export async function ensureEventQueueSchema(pool: pg.Pool): Promise<void> {
  await applyPoolSchema(pool, DDL);
}
