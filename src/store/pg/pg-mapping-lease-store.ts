import type pg from 'pg';
import type { MappingLease, MappingLeaseStore } from '../../ports/mapping-leases.js';

const DDL = `
CREATE SEQUENCE IF NOT EXISTS event_source_mapping_lease_tokens;
CREATE TABLE IF NOT EXISTS event_source_mapping_leases (
  uuid text PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL
);`;

/**
 * Mapping leases as rows of `event_source_mapping_leases` (uuid, owner, token, expires_at). Each
 * change of holder is one conditional upsert, so two pollers racing for a mapping cannot both win.
 * Expiry is the database's `now()`: nodes' wall clocks are never compared. A released lease is
 * deleted (rows do not outlive their mappings); tokens come from a sequence, so a mapping taken
 * again after a release never gets a token it had before.
 */
export class PgMappingLeaseStore implements MappingLeaseStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(pool: pg.Pool): Promise<PgMappingLeaseStore> {
    const client = await pool.connect();
    try {
      // The lock every PG store takes around its DDL (src/cluster/cluster-schema.ts).
      await client.query("SELECT pg_advisory_lock(hashtext('flint-schema'))");
      try {
        await client.query(DDL);
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('flint-schema'))");
      }
    } finally {
      client.release();
    }
    return new PgMappingLeaseStore(pool);
  }

  async list(): Promise<MappingLease[]> {
    const r = await this.#pool.query<{ uuid: string; owner: string; token: string; left_ms: number }>(
      `SELECT uuid, owner, token::text AS token, (EXTRACT(EPOCH FROM (expires_at - now())) * 1000)::float8 AS left_ms
       FROM event_source_mapping_leases ORDER BY uuid`,
    );
    return r.rows.map((row) => ({ uuid: row.uuid, owner: row.owner, token: Number(row.token), leftMs: Math.round(row.left_ms) }));
  }

  async acquire(owner: string, uuids: readonly string[], leaseMs: number): Promise<Map<string, number>> {
    if (uuids.length === 0) return new Map();
    const r = await this.#pool.query<{ uuid: string; token: string }>(
      `INSERT INTO event_source_mapping_leases AS l (uuid, owner, token, expires_at)
       SELECT u, $2, nextval('event_source_mapping_lease_tokens'), now() + $3 * interval '1 millisecond' FROM unnest($1::text[]) AS u
       ON CONFLICT (uuid) DO UPDATE SET
         owner = EXCLUDED.owner,
         expires_at = EXCLUDED.expires_at,
         token = CASE WHEN l.owner = EXCLUDED.owner THEN l.token ELSE EXCLUDED.token END
       WHERE l.owner = EXCLUDED.owner OR l.expires_at <= now()
       RETURNING uuid, token::text AS token`,
      [uuids, owner, leaseMs],
    );
    return new Map(r.rows.map((row) => [row.uuid, Number(row.token)]));
  }

  async renew(owner: string, holdings: ReadonlyMap<string, number>, leaseMs: number): Promise<string[]> {
    if (holdings.size === 0) return [];
    const r = await this.#pool.query<{ uuid: string }>(
      `UPDATE event_source_mapping_leases AS l SET expires_at = now() + $4 * interval '1 millisecond'
       FROM unnest($1::text[], $2::bigint[]) AS h(uuid, token)
       WHERE l.uuid = h.uuid AND l.token = h.token AND l.owner = $3
       RETURNING l.uuid`,
      [[...holdings.keys()], [...holdings.values()], owner, leaseMs],
    );
    return r.rows.map((row) => row.uuid);
  }

  async release(owner: string, holdings: ReadonlyMap<string, number>): Promise<void> {
    if (holdings.size === 0) return;
    await this.#pool.query(
      `DELETE FROM event_source_mapping_leases AS l
       USING unnest($1::text[], $2::bigint[]) AS h(uuid, token)
       WHERE l.uuid = h.uuid AND l.token = h.token AND l.owner = $3`,
      [[...holdings.keys()], [...holdings.values()], owner],
    );
  }
}
