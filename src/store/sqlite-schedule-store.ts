import type Database from 'better-sqlite3';
import type { ScheduleDocumentKind, ScheduleDocuments, ScheduleStore } from '../ports/schedule-store.js';

/**
 * The schedules' state in flint.db (tables from migration 30). Writes are single statements, so
 * each is atomic; `claimTick` is an UPDATE conditional on the stored tick being older, so two
 * tickers on the same database (a later cluster) fire a tick once between them.
 */
export class SqliteScheduleStore implements ScheduleStore {
  readonly #db: Database.Database;
  readonly #claim: Database.Statement;
  readonly #last: Database.Statement;
  readonly #all: Database.Statement;
  readonly #reset: Database.Statement;
  readonly #forget: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#claim = db.prepare('UPDATE schedule_ticks SET last_tick = ? WHERE job = ? AND last_tick < ?');
    this.#last = db.prepare('SELECT last_tick FROM schedule_ticks WHERE job = ?');
    this.#all = db.prepare('SELECT job, last_tick FROM schedule_ticks');
    this.#reset = db.prepare('INSERT INTO schedule_ticks (job, last_tick) VALUES (?, ?) ON CONFLICT (job) DO UPDATE SET last_tick = excluded.last_tick');
    this.#forget = db.prepare('DELETE FROM schedule_ticks WHERE job = ?');
  }

  documents<T>(kind: ScheduleDocumentKind): ScheduleDocuments<T> {
    const db = this.#db;
    return {
      get: (key) => {
        const row = db.prepare('SELECT value FROM schedule_documents WHERE kind = ? AND key = ?').get(kind, key) as { value: string } | undefined;
        return row ? (JSON.parse(row.value) as T) : undefined;
      },
      put: (key, value) => {
        db.prepare('INSERT INTO schedule_documents (kind, key, value) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value').run(kind, key, JSON.stringify(value));
      },
      delete: (key) => db.prepare('DELETE FROM schedule_documents WHERE kind = ? AND key = ?').run(kind, key).changes > 0,
      list: () => (db.prepare('SELECT value FROM schedule_documents WHERE kind = ? ORDER BY key').all(kind) as { value: string }[]).map((r) => JSON.parse(r.value) as T),
    };
  }

  lastTick(job: string): number | undefined {
    return (this.#last.get(job) as { last_tick: number } | undefined)?.last_tick;
  }

  lastTicks(): Map<string, number> {
    return new Map((this.#all.all() as Array<{ job: string; last_tick: number }>).map((r) => [r.job, r.last_tick]));
  }

  resetTick(job: string, atMs: number): void {
    this.#reset.run(job, atMs);
  }

  claimTick(job: string, tickMs: number): boolean {
    return this.#claim.run(tickMs, job, tickMs).changes === 1;
  }

  forgetTick(job: string): void {
    this.#forget.run(job);
  }
}
