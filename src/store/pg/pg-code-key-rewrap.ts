import type pg from 'pg';
import type { CodeEnvelope } from '../code-envelope.js';
import type { CodeIndexEntry, PgCodeIndex } from './pg-code-index.js';

/**
 * Master-key rotation for the PostgreSQL code store. MasterKeyRotation asks synchronously
 * (`countStale`, `rewrapStale`), as the SQLite stores answer; here the wrapped keys are counted and
 * re-wrapped in this node's index at once and written to PostgreSQL in the background — one
 * statement per batch, each row only if its key was not re-wrapped elsewhere meanwhile. `settle()`
 * waits for those writes and reloads the index, so the rotation counts what PostgreSQL holds (also
 * objects other nodes put) before it retires a master key.
 */
export class PgCodeKeyRewrap {
  readonly #pool: pg.Pool;
  readonly #index: PgCodeIndex;
  readonly #envelope: CodeEnvelope;
  #writes: Array<Promise<void>> = [];

  constructor(pool: pg.Pool, index: PgCodeIndex, envelope: CodeEnvelope) {
    this.#pool = pool;
    this.#index = index;
    this.#envelope = envelope;
  }

  countStale(): number {
    let n = 0;
    for (const e of this.#index.entries()) if (this.#envelope.isStale(e.wrappedKey)) n++;
    return n;
  }

  rewrapStale(limit: number): number {
    const batch: Array<{ entry: CodeIndexEntry; wrappedKey: Buffer }> = [];
    for (const e of this.#index.entries()) {
      if (batch.length >= limit) break;
      if (this.#envelope.isStale(e.wrappedKey)) batch.push({ entry: e, wrappedKey: this.#envelope.rewrap(e.sha256Hex, e.wrappedKey) });
    }
    if (batch.length === 0) return 0;
    for (const b of batch) this.#index.set({ ...b.entry, wrappedKey: b.wrappedKey });
    this.#writes.push(this.#pool.query(
      `UPDATE code_objects AS c SET wrapped_key = v.new_key
       FROM unnest($1::text[], $2::bytea[], $3::bytea[]) AS v(sha256, new_key, old_key)
       WHERE c.sha256 = v.sha256 AND c.wrapped_key = v.old_key`,
      [batch.map((b) => b.entry.sha256Hex), batch.map((b) => b.wrappedKey), batch.map((b) => b.entry.wrappedKey)],
    ).then(() => undefined));
    return batch.length;
  }

  async settle(): Promise<void> {
    const writes = this.#writes;
    this.#writes = [];
    const results = await Promise.allSettled(writes);
    // Whatever happened, the index is re-read: a failed write shows up as stale again.
    await this.#index.reload();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Lets writes in flight finish (closing). */
  async drain(): Promise<void> {
    await Promise.allSettled(this.#writes);
  }
}
