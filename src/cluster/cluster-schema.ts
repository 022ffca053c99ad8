import type pg from 'pg';

/**
 * The cluster's own tables (membership, the leader lease, concurrency tokens), created idempotently
 * by whichever node starts first. The session advisory lock `hashtext('flint-schema')` is the one
 * every PG store takes around its DDL, so two nodes starting at once never race on CREATE TABLE
 * (IF NOT EXISTS alone is not safe against a concurrent create of the same name in PostgreSQL).
 */
const DDL = `
CREATE TABLE IF NOT EXISTS members (
  id text PRIMARY KEY,
  roles text[] NOT NULL,
  address text NOT NULL,
  capacity integer NOT NULL,
  epoch bigint NOT NULL,
  lease_expires_at timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'draining', 'dead')),
  started_at timestamptz NOT NULL
);
-- An api node's front door (scheme://host:port): where other nodes send what only the leader serves (SQS).
ALTER TABLE members ADD COLUMN IF NOT EXISTS api_url text;
CREATE SEQUENCE IF NOT EXISTS member_epochs;
CREATE TABLE IF NOT EXISTS leader_leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  term bigint NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS concurrency_counters (
  scope text PRIMARY KEY,
  in_use integer NOT NULL CHECK (in_use >= 0)
);
CREATE TABLE IF NOT EXISTS concurrency_tokens (
  token uuid PRIMARY KEY,
  scope text NOT NULL,
  function_name text NOT NULL,
  node_id text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS concurrency_tokens_expiry ON concurrency_tokens (expires_at);
CREATE INDEX IF NOT EXISTS concurrency_tokens_node ON concurrency_tokens (node_id);
`;

export async function ensureClusterSchema(pool: pg.Pool): Promise<void> {
  await applyClusterDdl(pool, DDL);
}

/**
 * Runs cluster DDL idempotently under the schema lock every PG store takes (src/store/pg/
 * pool-schema.ts is the stores' own; cluster code may not import a driver, hence this twin): two
 * nodes starting at once can otherwise collide on the catalog's unique index with `CREATE TABLE
 * IF NOT EXISTS`.
 */
export async function applyClusterDdl(pool: pg.Pool, ddl: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query(`SELECT pg_advisory_lock(hashtext('flint-schema'))`);
    try {
      await client.query(ddl);
    } finally {
      await client.query(`SELECT pg_advisory_unlock(hashtext('flint-schema'))`);
    }
  } finally {
    client.release();
  }
}
