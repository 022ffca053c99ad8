import Database from 'better-sqlite3';
import type { StoredSegment, TraceRange, TraceRef, TraceStore } from '../ports/trace-store.js';

/**
 * X-Ray segments in their own SQLite file (`traces.db`): traces are telemetry, written often and
 * pruned by age, so they stay out of flint.db's fsync-per-commit metadata. WAL with
 * synchronous=NORMAL: a crash may lose the last segments written, never corrupt the file — X-Ray
 * too accepts segments asynchronously and without a durability promise.
 */
export class SqliteTraceStore implements TraceStore {
  readonly #db: Database.Database;
  readonly #putSegment: Database.Statement;
  readonly #putTrace: Database.Statement;

  constructor(file: string) {
    this.#db = new Database(file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS xray_traces (
        trace_id TEXT PRIMARY KEY,
        id_time INTEGER NOT NULL,
        first_event REAL NOT NULL,
        last_event REAL NOT NULL
      );
      CREATE INDEX IF NOT EXISTS xray_traces_by_id_time ON xray_traces (id_time, trace_id);
      CREATE INDEX IF NOT EXISTS xray_traces_by_first_event ON xray_traces (first_event, trace_id);
      CREATE INDEX IF NOT EXISTS xray_traces_by_last_event ON xray_traces (last_event);
      CREATE TABLE IF NOT EXISTS xray_segments (
        trace_id TEXT NOT NULL,
        id TEXT NOT NULL,
        start_time REAL NOT NULL,
        end_time REAL NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (trace_id, id)
      );
    `);
    this.#putSegment = this.#db.prepare(
      `INSERT INTO xray_segments (trace_id, id, start_time, end_time, document) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (trace_id, id) DO UPDATE SET start_time = excluded.start_time, end_time = excluded.end_time, document = excluded.document`,
    );
    this.#putTrace = this.#db.prepare(
      `INSERT INTO xray_traces (trace_id, id_time, first_event, last_event) VALUES (?, ?, ?, ?)
       ON CONFLICT (trace_id) DO UPDATE SET first_event = min(first_event, excluded.first_event), last_event = max(last_event, excluded.last_event)`,
    );
  }

  put(segments: ReadonlyArray<StoredSegment>): void {
    this.#db.transaction(() => {
      for (const s of segments) {
        this.#putSegment.run(s.traceId, s.id, s.startTime, s.endTime, s.document);
        this.#putTrace.run(s.traceId, parseInt(s.traceId.slice(2, 10), 16), s.startTime, s.endTime);
      }
    })();
  }

  traces(range: TraceRange): TraceRef[] {
    const after = range.after;
    if (range.by === 'TraceId') {
      const rows = this.#db
        .prepare(
          `SELECT trace_id, id_time AS t FROM xray_traces WHERE id_time >= ? AND id_time <= ?
           ${after ? 'AND (id_time > ? OR (id_time = ? AND trace_id > ?))' : ''} ORDER BY id_time, trace_id LIMIT ?`,
        )
        .all(Math.floor(range.start), Math.floor(range.end), ...(after ? [after.time, after.time, after.traceId] : []), range.limit) as Array<{ trace_id: string; t: number }>;
      return rows.map((r) => ({ traceId: r.trace_id, time: r.t }));
    }
    const rows = this.#db
      .prepare(
        `SELECT trace_id, first_event AS t FROM xray_traces WHERE last_event >= ? AND first_event <= ?
         ${after ? 'AND (first_event > ? OR (first_event = ? AND trace_id > ?))' : ''} ORDER BY first_event, trace_id LIMIT ?`,
      )
      .all(range.start, range.end, ...(after ? [after.time, after.time, after.traceId] : []), range.limit) as Array<{ trace_id: string; t: number }>;
    return rows.map((r) => ({ traceId: r.trace_id, time: r.t }));
  }

  segments(traceIds: ReadonlyArray<string>): Map<string, StoredSegment[]> {
    const out = new Map<string, StoredSegment[]>();
    if (traceIds.length === 0) return out;
    const rows = this.#db
      .prepare(`SELECT trace_id, id, start_time, end_time, document FROM xray_segments WHERE trace_id IN (${traceIds.map(() => '?').join(',')}) ORDER BY start_time, id`)
      .all(...traceIds) as Array<{ trace_id: string; id: string; start_time: number; end_time: number; document: string }>;
    for (const r of rows) {
      let list = out.get(r.trace_id);
      if (!list) out.set(r.trace_id, (list = []));
      list.push({ traceId: r.trace_id, id: r.id, startTime: r.start_time, endTime: r.end_time, document: r.document });
    }
    return out;
  }

  prune(beforeSeconds: number): number {
    return this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM xray_segments WHERE trace_id IN (SELECT trace_id FROM xray_traces WHERE last_event < ?)').run(beforeSeconds);
      return this.#db.prepare('DELETE FROM xray_traces WHERE last_event < ?').run(beforeSeconds).changes;
    })();
  }

  close(): void {
    this.#db.close();
  }
}
