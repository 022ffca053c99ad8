import type pg from 'pg';
import type { BucketLease, BucketLeaseStore } from '../../ports/queue-buckets.js';
import { ensureEventQueueSchema } from './pg-event-queue-schema.js';

/**
 * Bucket leases as rows of `queue_bucket_leases` (bucket, owner, token, expires_at). Each change of
 * holder is one conditional upsert, so two pollers racing for a bucket cannot both win: the row
 * lock makes the second see the first's unexpired lease and skip it.
 */
export class PgBucketLeaseStore implements BucketLeaseStore {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(pool: pg.Pool): Promise<PgBucketLeaseStore> {
    await ensureEventQueueSchema(pool);
    return new PgBucketLeaseStore(pool);
  }

  async list(): Promise<BucketLease[]> {
    const r = await this.#pool.query<{ bucket: number; owner: string | null; token: string; expires_at: string }>(
      'SELECT bucket, owner, token, expires_at FROM queue_bucket_leases ORDER BY bucket',
    );
    return r.rows.map((row) => ({ bucket: row.bucket, owner: row.owner ?? undefined, token: Number(row.token), expiresAt: Number(row.expires_at) }));
  }

  async acquire(owner: string, buckets: readonly number[], now: number, expiresAt: number): Promise<Map<number, number>> {
    if (buckets.length === 0) return new Map();
    // Taking over from another owner (or after a release) raises the token: whatever the previous
    // holding leased is fenced from then on.
    const r = await this.#pool.query<{ bucket: number; token: string }>(
      `INSERT INTO queue_bucket_leases AS l (bucket, owner, token, expires_at)
       SELECT b, $2, 1, $4 FROM unnest($1::int[]) AS b
       ON CONFLICT (bucket) DO UPDATE SET
         owner = EXCLUDED.owner,
         expires_at = EXCLUDED.expires_at,
         token = CASE WHEN l.owner = EXCLUDED.owner THEN l.token ELSE l.token + 1 END
       WHERE l.owner IS NULL OR l.owner = EXCLUDED.owner OR l.expires_at <= $3
       RETURNING bucket, token`,
      [buckets, owner, now, expiresAt],
    );
    return new Map(r.rows.map((row) => [row.bucket, Number(row.token)]));
  }

  async renew(owner: string, holdings: ReadonlyMap<number, number>, expiresAt: number): Promise<number[]> {
    if (holdings.size === 0) return [];
    const r = await this.#pool.query<{ bucket: number }>(
      `UPDATE queue_bucket_leases AS l SET expires_at = $4
       FROM unnest($1::int[], $2::bigint[]) AS h(bucket, token)
       WHERE l.bucket = h.bucket AND l.token = h.token AND l.owner = $3
       RETURNING l.bucket`,
      [[...holdings.keys()], [...holdings.values()], owner, expiresAt],
    );
    return r.rows.map((row) => row.bucket);
  }

  async release(owner: string, holdings: ReadonlyMap<number, number>): Promise<void> {
    if (holdings.size === 0) return;
    await this.#pool.query(
      `UPDATE queue_bucket_leases AS l SET owner = NULL, expires_at = 0
       FROM unnest($1::int[], $2::bigint[]) AS h(bucket, token)
       WHERE l.bucket = h.bucket AND l.token = h.token AND l.owner = $3`,
      [[...holdings.keys()], [...holdings.values()], owner],
    );
  }
}
