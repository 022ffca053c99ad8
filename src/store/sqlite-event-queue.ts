import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
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

/**
 * A requested write; once committed, it waits (with its result) for the log to reach the disk
 * before its caller hears of it. One object per write from request to settlement: an enqueue at
 * thousands per second should not allocate more than it must.
 */
interface PendingWrite {
  run: () => unknown;
  /** One SQL statement: atomic by itself, so it needs no savepoint of its own. */
  single: boolean;
  /** Settles only once on disk (an enqueue); otherwise once committed (see the class comment). */
  durable: boolean;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
  /** Set by the commit: what `run` returned, or what it threw. */
  failed: boolean;
  result: unknown;
}

/**
 * How long an acknowledgement (or a retry's reschedule) may wait to join the next transaction.
 * Deliveries end one by one, each in its own turn of the event loop; committed alone, every ack was
 * a transaction of its own (~70 µs here) beside the poller's next lease. Waiting this long lets the
 * lease that refills the freed slot carry it: measured, one transaction per two deliveries instead
 * of three. The pollers count a slot free when the function returns, not when its ack commits, so
 * the wait costs no throughput; a crash within it only delivers the event again (at-least-once).
 */
const LAZY_WRITE_MS = 5;

function settle(w: PendingWrite): void {
  if (w.failed) w.reject(w.result);
  else w.resolve(w.result);
}

/**
 * EventQueue on the same SQLite file as the metadata store (table `async_events`, migration 4),
 * through its own connection. A write's promise settles only once the write is on disk, so an
 * accepted event survives a power cut, not only a killed process.
 *
 * Writes are group-committed: every write requested in the same turn of the event loop runs in one
 * transaction (each in its own savepoint, so one failing write does not undo the others). The
 * commit itself does not wait for the disk (`synchronous = NORMAL`); the write-ahead log is then
 * fdatasync'ed on libuv's thread pool — what `synchronous = FULL` does inside every commit, but
 * without stopping the event loop for the ~1-5 ms a flush takes here — and the callers' promises
 * settle after that. One flush is in flight at a time; writes requested meanwhile wait for its end
 * and are then committed together (one transaction and one flush per round under load).
 * (A commit is visible to readers, e.g. the pollers, before its flush ends: harmless, a crash
 * before the flush loses only what no caller was told was accepted.)
 *
 * Only enqueues wait for the disk. The pollers' writes (lease, extend, ack, reschedule) settle once
 * committed, which a killed process keeps: a power cut can lose the last of them, and then an
 * event is delivered again — what Lambda's at-least-once delivery allows, and what a lost lease
 * or acknowledgement means anyway. Waiting for a flush twice per delivery would bound deliveries
 * by the disk's flush latency instead of the CPU.
 */
export class SqliteEventQueue implements EventQueue {
  readonly #db: Database.Database;
  readonly #clock: Clock;
  readonly #newToken: () => string;
  #pending: PendingWrite[] = [];
  #flushScheduled = false;
  /** Set while only lazy writes wait: commits them if no other write comes first. */
  #lazyTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Path of the write-ahead log, flushed after commits; undefined when the file is not in WAL mode (commits then sync themselves). */
  readonly #walPath: string | undefined;
  #walFd: number | undefined;
  /** Committed writes not yet covered by a finished flush. */
  #unsynced: PendingWrite[] = [];
  /** Writes whose flush is running now. */
  #syncing: PendingWrite[] | undefined;
  /** Prepared due-events queries by batch size (see #due). */
  readonly #dueByLimit = new Map<number, Database.Statement>();
  /**
   * The group commit and each write's savepoint, made once: better-sqlite3 builds four wrapper
   * functions per `transaction()` call, which per flush and per write was 4 % of a drain's time.
   */
  readonly #commit: Database.Transaction<(batch: PendingWrite[]) => void>;
  readonly #savepoint: Database.Transaction<(run: () => unknown) => unknown>;
  readonly #stmt: {
    insert: Database.Statement;
    take: Database.Statement;
    extend: Database.Statement;
    del: Database.Statement;
    reschedule: Database.Statement;
    ready: Database.Statement;
    later: Database.Statement;
    next: Database.Statement;
  };

  constructor(opts: { file: string; clock: Clock; newToken?: () => string }) {
    this.#clock = opts.clock;
    this.#newToken = opts.newToken ?? randomUUID;
    this.#db = new Database(opts.file);
    const wal = String(this.#db.pragma('journal_mode = WAL', { simple: true })).toLowerCase() === 'wal';
    // NORMAL in WAL mode: commits write the log without syncing it (checkpoints still sync); #sync
    // flushes the log before anyone is told. Outside WAL mode (a file system without shared
    // memory), every commit syncs itself.
    this.#db.pragma(wal ? 'synchronous = NORMAL' : 'synchronous = FULL');
    this.#walPath = wal ? `${opts.file}-wal` : undefined;
    this.#db.pragma('busy_timeout = 5000');
    const table = this.#db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'async_events'").get();
    if (!table) {
      this.#db.close();
      throw new Error(`${opts.file} has no async_events table: open the metadata store (which runs the migrations) first`);
    }
    // A nested better-sqlite3 transaction is a savepoint: a failing write rolls back alone (a single
    // statement that fails undoes itself without one).
    this.#savepoint = this.#db.transaction((run: () => unknown) => run());
    this.#commit = this.#db.transaction((batch: PendingWrite[]) => {
      for (const w of batch) {
        try {
          w.result = w.single ? w.run() : this.#savepoint(w.run);
        } catch (error) {
          w.failed = true;
          w.result = error;
        }
      }
    });
    this.#stmt = {
      insert: this.#db.prepare(
        `INSERT INTO async_events (request_id, function_name, qualifier, payload, client_context, trace_id, origin, enqueued_at, visible_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      take: this.#db.prepare('UPDATE async_events SET visible_at = ?, lease_token = ?, deliveries = deliveries + 1 WHERE seq = ?'),
      extend: this.#db.prepare('UPDATE async_events SET visible_at = ? WHERE request_id = ? AND lease_token = ?'),
      del: this.#db.prepare('DELETE FROM async_events WHERE request_id = ? AND lease_token = ?'),
      reschedule: this.#db.prepare(
        `UPDATE async_events SET visible_at = ?, attempts = ?, system_retries = ?, last_outcome = ?, lease_token = NULL
         WHERE request_id = ? AND lease_token = ?`,
      ),
      // Counted through the visible_at index, never by scanning the table: a monitor polling the
      // queue's depth while a backlog of thousands drains cost the pollers 8 % of the server's time
      // (measured with perf) when every poll read every row. Ready rows are counted in the index
      // alone; rows not yet visible (leased or waiting for a retry) are few and looked up.
      ready: this.#db.prepare('SELECT COUNT(*) AS n FROM async_events WHERE visible_at <= ?').pluck(),
      later: this.#db.prepare('SELECT COUNT(*) AS later, COALESCE(SUM(lease_token IS NOT NULL), 0) AS inFlight FROM async_events WHERE visible_at > ?'),
      next: this.#db.prepare('SELECT MIN(visible_at) AS t FROM async_events'),
    };
  }

  #insert(event: NewQueuedEvent): void {
    // Positional parameters: binding by name costs a property lookup per column on every event.
    this.#stmt.insert.run(
      event.requestId,
      event.functionName,
      event.qualifier,
      event.payload,
      event.clientContext ?? null,
      event.traceId ?? null,
      event.origin,
      event.enqueuedAt,
      event.enqueuedAt,
    );
  }

  enqueue(event: NewQueuedEvent): Promise<{ requestId: string }> {
    return this.#write(() => {
      this.#insert(event);
      return { requestId: event.requestId };
    }, true, true);
  }

  lease(opts: { max: number; visibilityMs: number }): Promise<LeasedEvent[]> {
    return this.#write(() => {
      const now = this.#clock.now();
      const leaseUntil = now + opts.visibilityMs;
      const rows = opts.max >= 1 ? (this.#due(opts.max).all(now) as Row[]) : [];
      return rows.map((row) => {
        const leaseToken = this.#newToken();
        this.#stmt.take.run(leaseUntil, leaseToken, row.seq);
        return { event: toEvent({ ...row, deliveries: row.deliveries + 1 }), leaseToken, leaseUntil };
      });
    });
  }

  /**
   * The due-events query for one batch size, its LIMIT written into the SQL: SQLite (3.45 on) lets
   * the planner look at a bound LIMIT's value, so each binding of `LIMIT ?` expired the statement
   * and every lease re-prepared it (perf: 8 % of a drain's server time in sqlite3Reprepare).
   */
  #due(max: number): Database.Statement {
    const n = Math.floor(max);
    let st = this.#dueByLimit.get(n);
    if (st === undefined) {
      st = this.#db.prepare(`SELECT * FROM async_events WHERE visible_at <= ? ORDER BY visible_at, seq LIMIT ${n}`);
      this.#dueByLimit.set(n, st);
    }
    return st;
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
    }, followUps.length === 0, false, true);
  }

  reschedule(lease: LeasedEvent, update: RescheduleUpdate): Promise<boolean> {
    return this.#write(() => {
      const outcome = update.lastOutcome ? JSON.stringify(update.lastOutcome) : null;
      const r = this.#stmt.reschedule.run(update.visibleAt, update.attempts, update.systemRetries, outcome, lease.event.requestId, lease.leaseToken);
      return r.changes === 1;
    }, true, false, true);
  }

  stats(): Promise<EventQueueStats> {
    const now = this.#clock.now();
    const ready = Number(this.#stmt.ready.get(now));
    const r = this.#stmt.later.get(now) as { later: number; inFlight: number };
    return Promise.resolve({ ready, delayed: Number(r.later) - Number(r.inFlight), inFlight: Number(r.inFlight) });
  }

  nextVisibleAt(): Promise<number | undefined> {
    const r = this.#stmt.next.get() as { t: number | null };
    return Promise.resolve(r.t ?? undefined);
  }

  close(): void {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    // Writes committed but not yet flushed: flush now (synchronously) and tell their callers.
    const waiting = [...(this.#syncing ?? []), ...this.#unsynced];
    this.#syncing = undefined;
    this.#unsynced = [];
    let error: unknown;
    try {
      if (waiting.length > 0 && this.#walPath !== undefined) fdatasyncSync(this.#walFd ?? this.#openWal());
    } catch (err) {
      error = err;
    }
    for (const w of waiting) (error === undefined ? settle(w) : w.reject(error));
    if (this.#walFd !== undefined) closeSync(this.#walFd);
    this.#walFd = undefined;
    this.#db.close();
  }

  /**
   * `lazy`: the write may wait up to LAZY_WRITE_MS for the next transaction instead of starting
   * one (acknowledgements and retries, which the pollers no longer wait on for a free slot).
   */
  #write<T>(run: () => T, single = false, durable = false, lazy = false): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('event queue is closed'));
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ run, single, durable, resolve: resolve as (v: unknown) => void, reject, failed: false, result: undefined });
      // While a flush of the log runs, writes gather: its end commits them all in one transaction.
      if (this.#flushScheduled || this.#syncing !== undefined) return;
      if (!lazy) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      } else this.#lazyTimer ??= setTimeout(() => this.#flush(), LAZY_WRITE_MS);
    });
  }

  /** Runs every queued write in one transaction (group commit), then settles their promises. */
  #flush(): void {
    this.#flushScheduled = false;
    clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0 || this.#closed) {
      for (const w of batch) w.reject(new Error('event queue is closed'));
      return;
    }
    try {
      this.#commit.immediate(batch);
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    if (this.#walPath === undefined) {
      for (const w of batch) settle(w);
      return;
    }
    let flushed = false;
    for (const w of batch) {
      if (!w.durable || w.failed) settle(w);
      else {
        this.#unsynced.push(w);
        flushed = true;
      }
    }
    if (flushed) this.#sync();
  }

  /** Flushes the log on the thread pool unless a flush is running (its end starts the next one). */
  #sync(): void {
    if (this.#syncing !== undefined || this.#unsynced.length === 0 || this.#closed) return;
    const batch = this.#unsynced;
    this.#unsynced = [];
    this.#syncing = batch;
    let fd: number;
    try {
      fd = this.#walFd ?? this.#openWal();
    } catch (error) {
      this.#syncing = undefined;
      for (const w of batch) w.reject(error);
      return;
    }
    fdatasync(fd, (error) => {
      // close() flushed and settled this batch itself.
      if (this.#syncing !== batch) return;
      this.#syncing = undefined;
      for (const w of batch) (error ? w.reject(error) : settle(w));
      // The writes that gathered meanwhile are committed on the next turn, after this turn's other
      // I/O (requests that will enqueue too) has run: fewer, larger rounds under load.
      if (this.#pending.length > 0 && !this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      } else this.#sync();
    });
  }

  /** The log exists from the first commit on, and stays (same inode) while this connection is open. */
  #openWal(): number {
    this.#walFd = openSync(this.#walPath!, 'r');
    return this.#walFd;
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
