import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type {
  AttemptOutcome,
  EventOrigin,
  EventQueue,
  EventQueueStats,
  LeasedEvent,
  NewQueuedEvent,
  QueuedEvent,
  RescheduleUpdate,
} from '../ports/event-queue.js';

interface Row {
  seq: number;
  request_id: string;
  function_name: string;
  qualifier: string;
  payload: Buffer;
  client_context: string | null;
  trace_id: string | null;
  origin: string;
  enqueued_at: number;
  visible_at: number;
  attempts: number;
  system_retries: number;
  deliveries: number;
  lease_token: string | null;
  last_outcome: string | null;
}

interface PendingWrite {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * EventQueue on the same SQLite file as the metadata store (table `async_events`, migration 4),
 * through its own connection with `synchronous = FULL`: in WAL mode that fsyncs the log on every
 * commit, so an accepted event survives a power cut, not only a killed process.
 *
 * fsync costs ~0.7 ms here, so writes are group-committed: every write requested in the same turn
 * of the event loop runs in one transaction (each in its own savepoint, so one failing write does
 * not undo the others), and each caller's promise settles only after that commit.
 */
export class SqliteEventQueue implements EventQueue {
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #newToken: () => string;
  #pending: PendingWrite[] = [];
  #flushScheduled = false;
  #closed = false;
  readonly #stmt: {
    insert: Database.Statement;
    due: Database.Statement;
    take: Database.Statement;
    extend: Database.Statement;
    del: Database.Statement;
    reschedule: Database.Statement;
    stats: Database.Statement;
    next: Database.Statement;
  };

  constructor(opts: { file: string; clock: Clock; newToken?: () => string }) {
    this.#clock = opts.clock;
    this.#newToken = opts.newToken ?? randomUUID;
    this.#db = new Database(opts.file);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = FULL');
    this.#db.pragma('busy_timeout = 5000');
    const table = this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'async_events'").get();
    if (!table) {
      this.#db.close();
      throw new Error(`${opts.file} has no async_events table: open the metadata store (which runs the migrations) first`);
    }
    this.#stmt = {
      insert: this.#db.prepare(
        `INSERT INTO async_events (request_id, function_name, qualifier, payload, client_context, trace_id, origin, enqueued_at, visible_at)
         VALUES (@requestId, @functionName, @qualifier, @payload, @clientContext, @traceId, @origin, @enqueuedAt, @enqueuedAt)`,
      ),
      due: this.#db.prepare('SELECT * FROM async_events WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ?'),
      take: this.#db.prepare('UPDATE async_events SET visible_at = ?, lease_token = ?, deliveries = deliveries + 1 WHERE seq = ?'),
      extend: this.#db.prepare('UPDATE async_events SET visible_at = ? WHERE request_id = ? AND lease_token = ?'),
      del: this.#db.prepare('DELETE FROM async_events WHERE request_id = ? AND lease_token = ?'),
      reschedule: this.#db.prepare(
        `UPDATE async_events SET visible_at = ?, attempts = ?, system_retries = ?, last_outcome = ?, lease_token = NULL
         WHERE request_id = ? AND lease_token = ?`,
      ),
      stats: this.#db.prepare(
        `SELECT
           COALESCE(SUM(visible_at <= @now), 0) AS ready,
           COALESCE(SUM(visible_at > @now AND lease_token IS NULL), 0) AS delayed,
           COALESCE(SUM(visible_at > @now AND lease_token IS NOT NULL), 0) AS inFlight
         FROM async_events`,
      ),
      next: this.#db.prepare('SELECT MIN(visible_at) AS t FROM async_events'),
    };
  }

  #insert(event: NewQueuedEvent): void {
    this.#stmt.insert.run({
      requestId: event.requestId,
      functionName: event.functionName,
      qualifier: event.qualifier,
      payload: event.payload,
      clientContext: event.clientContext ?? null,
      traceId: event.traceId ?? null,
      origin: event.origin,
      enqueuedAt: event.enqueuedAt,
    });
  }

  enqueue(event: NewQueuedEvent): Promise<{ requestId: string }> {
    return this.#write(() => {
      this.#insert(event);
      return { requestId: event.requestId };
    });
  }

  lease(opts: { max: number; visibilityMs: number }): Promise<LeasedEvent[]> {
    return this.#write(() => {
      const now = this.#clock.now();
      const leaseUntil = now + opts.visibilityMs;
      const rows = this.#stmt.due.all(now, opts.max) as Row[];
      return rows.map((row) => {
        const leaseToken = this.#newToken();
        this.#stmt.take.run(leaseUntil, leaseToken, row.seq);
        return { event: toEvent({ ...row, deliveries: row.deliveries + 1 }), leaseToken, leaseUntil };
      });
    });
  }

  extend(leases: ReadonlyArray<Pick<LeasedEvent, 'event' | 'leaseToken'>>, visibilityMs: number): Promise<number> {
    if (leases.length === 0) return Promise.resolve(0);
    return this.#write(() => {
      const until = this.#clock.now() + visibilityMs;
      let n = 0;
      for (const l of leases) n += this.#stmt.extend.run(until, l.event.requestId, l.leaseToken).changes;
      return n;
    });
  }

  ack(lease: LeasedEvent, followUps: ReadonlyArray<NewQueuedEvent> = []): Promise<boolean> {
    return this.#write(() => {
      if (this.#stmt.del.run(lease.event.requestId, lease.leaseToken).changes === 0) return false;
      for (const f of followUps) this.#insert(f);
      return true;
    });
  }

  reschedule(lease: LeasedEvent, update: RescheduleUpdate): Promise<boolean> {
    return this.#write(() => {
      const outcome = update.lastOutcome ? JSON.stringify(update.lastOutcome) : null;
      const r = this.#stmt.reschedule.run(update.visibleAt, update.attempts, update.systemRetries, outcome, lease.event.requestId, lease.leaseToken);
      return r.changes === 1;
    });
  }

  stats(): Promise<EventQueueStats> {
    const r = this.#stmt.stats.get({ now: this.#clock.now() }) as EventQueueStats;
    return Promise.resolve({ ready: Number(r.ready), delayed: Number(r.delayed), inFlight: Number(r.inFlight) });
  }

  nextVisibleAt(): Promise<number | undefined> {
    const r = this.#stmt.next.get() as { t: number | null };
    return Promise.resolve(r.t ?? undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    this.#db.close();
  }

  #write<T>(run: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('event queue is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  /** Runs every queued write in one transaction (group commit), then settles their promises. */
  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0 || this.#closed) {
      for (const w of batch) w.reject(new Error('event queue is closed'));
      return;
    }
    const results: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.#db.transaction(() => {
        for (const w of batch) {
          try {
            // A nested better-sqlite3 transaction is a savepoint: a failing write rolls back alone.
            results.push({ ok: true, value: this.#db.transaction(w.run)() });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      }).immediate();
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    batch.forEach((w, i) => {
      const r = results[i]!;
      if (r.ok) w.resolve(r.value);
      else w.reject(r.error);
    });
  }
}

function toEvent(row: Row): QueuedEvent {
  const e: QueuedEvent = {
    requestId: row.request_id,
    functionName: row.function_name,
    qualifier: row.qualifier,
    payload: row.payload,
    origin: row.origin as EventOrigin,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
    systemRetries: row.system_retries,
    deliveries: row.deliveries,
  };
  if (row.client_context !== null) e.clientContext = row.client_context;
  if (row.trace_id !== null) e.traceId = row.trace_id;
  if (row.last_outcome !== null) e.lastOutcome = JSON.parse(row.last_outcome) as AttemptOutcome;
  return e;
}
