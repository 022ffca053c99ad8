import type { ScheduleDocumentKind, ScheduleDocuments, ScheduleStore } from '../../ports/schedule-store.js';
import { applySchema } from './pg-schema.js';
import { PgSyncClient } from './pg-sync-client.js';

/** SQLite's tables of migration 30; keys compare as bytes (COLLATE "C"), as SQLite's do. */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS schedule_documents (
    kind text COLLATE "C" NOT NULL,
    key text COLLATE "C" NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (kind, key)
  );
  CREATE TABLE IF NOT EXISTS schedule_ticks (
    job text COLLATE "C" PRIMARY KEY,
    last_tick bigint NOT NULL
  )`;

/**
 * The schedules' state (ScheduleStore) on PostgreSQL. Every write is one statement, so atomic on
 * its own. `claimTick` is a single conditional UPDATE: PG takes the row lock, and a second node's
 * UPDATE of the same row waits, then re-checks `last_tick < tick` against the committed row
 * (READ COMMITTED re-evaluation) and updates nothing — so each tick fires once in the cluster,
 * as EventBridge Scheduler invokes a target once per scheduled time.
 */
export class PgScheduleStore implements ScheduleStore {
  readonly #client: PgSyncClient;

  constructor(url: string, opts: { timeoutMs?: number } = {}) {
    this.#client = new PgSyncClient(url, { ...opts, applicationName: 'flint-schedules' });
    try {
      applySchema(this.#client, SCHEMA);
    } catch (err) {
      this.#client.close(); // no worker thread left behind by a store that never opened
      throw err;
    }
  }

  documents<T>(kind: ScheduleDocumentKind): ScheduleDocuments<T> {
    const q = this.#client;
    return {
      get: (key) => {
        const row = q.query<{ value: string }>('SELECT value FROM schedule_documents WHERE kind = $1 AND key = $2', [kind, key]).rows[0];
        return row ? (JSON.parse(row.value) as T) : undefined;
      },
      put: (key, value) => {
        q.query('INSERT INTO schedule_documents (kind, key, value) VALUES ($1, $2, $3) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value', [kind, key, JSON.stringify(value)]);
      },
      delete: (key) => q.query('DELETE FROM schedule_documents WHERE kind = $1 AND key = $2', [kind, key]).rowCount > 0,
      list: () => q.query<{ value: string }>('SELECT value FROM schedule_documents WHERE kind = $1 ORDER BY key', [kind]).rows.map((r) => JSON.parse(r.value) as T),
    };
  }

  lastTick(job: string): number | undefined {
    const row = this.#client.query<{ last_tick: number }>('SELECT last_tick FROM schedule_ticks WHERE job = $1', [job]).rows[0];
    return row ? Number(row.last_tick) : undefined;
  }

  lastTicks(): Map<string, number> {
    return new Map(this.#client.query<{ job: string; last_tick: string }>('SELECT job, last_tick FROM schedule_ticks').rows.map((r) => [r.job, Number(r.last_tick)]));
  }

  resetTick(job: string, atMs: number): void {
    this.#client.query('INSERT INTO schedule_ticks (job, last_tick) VALUES ($1, $2) ON CONFLICT (job) DO UPDATE SET last_tick = excluded.last_tick', [job, atMs]);
  }

  claimTick(job: string, tickMs: number): boolean {
    return this.#client.query('UPDATE schedule_ticks SET last_tick = $2 WHERE job = $1 AND last_tick < $2', [job, tickMs]).rowCount === 1;
  }

  forgetTick(job: string): void {
    this.#client.query('DELETE FROM schedule_ticks WHERE job = $1', [job]);
  }

  close(): void {
    this.#client.close();
  }
}
