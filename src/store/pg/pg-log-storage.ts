import pg from 'pg';
import type { LogEventRecord } from '../../ports/log-events.js';
import type { LogGroupRecord, LogStorage, LogStreamRecord, LogStreamWriter, StoredLogEvent } from '../../ports/log-storage.js';
import { applySchema } from './pg-schema.js';
import { PgSyncClient } from './pg-sync-client.js';
import { APPEND_SQL, EVENT_OVERHEAD_BYTES, EXPIRE_EVENTS_SQL, EXPIRE_STREAMS_SQL, LOG_SCHEMA, appendParams, type LogLine } from './pg-log-schema.js';

/**
 * Bounds of the asynchronous writer (the invoke path's lines):
 * - lag: a line is sent within FLUSH_MS of its append, `commit()` included — a window rather than
 *   at once, so the lines of every invocation ending in it share one statement and one commit (a
 *   statement per invocation cost PostgreSQL as much CPU as the async enqueue itself in the
 *   cluster bench; CloudWatch Logs' own ingestion takes longer than this); one batch (at most
 *   MAX_BATCH_EVENTS / MAX_BATCH_BYTES) is in flight at a time, so a stream's batches commit in
 *   append order;
 * - memory: at most MAX_BUFFERED_BYTES of lines wait (buffered plus in flight). While PostgreSQL is
 *   unreachable the batch that could not be sent is retried every RETRY_MS, new lines queue up to
 *   the bound, and lines beyond it are dropped and counted (`dropped`, and one log line per outage)
 *   — an invocation never fails or waits because its logs cannot be stored.
 */
const FLUSH_MS = 100;
const RETRY_MS = 1000;
const MAX_BATCH_EVENTS = 5000;
const MAX_BATCH_BYTES = 1 << 20;
export const MAX_BUFFERED_BYTES = 16 << 20;
/** Events one retention statement removes at most. */
const EXPIRE_BATCH = 10_000;
/** A batch statement is abandoned after this (the pool then drops the connection). */
const APPEND_TIMEOUT_MS = 5000;


interface GroupRow { name: string; creation_time: number; retention_days: number | null; tags: string; bytes: number }
interface StreamRow { stream_name: string | null; creation_time: number | null; first_ts: number | null; last_ts: number | null; last_ingestion: number | null; stored_bytes: number | null }

/**
 * CloudWatch Logs' storage in PostgreSQL, so every node of a cluster sees the logs any worker wrote
 * (docs/cluster.md). The LogStorage port and the Logs services are synchronous, so control
 * operations — listing groups and streams, creating and deleting them, PutLogEvents — go through
 * the synchronous bridge (PgSyncClient), as the metadata store's do: control-plane rates.
 *
 * Function output never waits on PostgreSQL: `openStream`'s writer buffers lines on the node and a
 * background loop appends them in batches, one statement per batch (APPEND_SQL), which creates the
 * group and stream on a function's first line and reserves each stream's ordinals under its row
 * lock — so `seq` increases per stream and is never reused, whichever nodes write it. `read()` and
 * `expire()` are asynchronous SQL; `read()` first sends what this node holds, so a node reads its
 * own writes. Subscribers hear every line appended on this node when it is appended.
 *
 * Messages are stored as UTF-8 `bytea`: PostgreSQL's text type cannot hold the NUL character a
 * function may print. A batch's messages travel as one bytea parameter (binary, no escaping).
 */
export class PgLogStorage implements LogStorage {
  readonly #sync: PgSyncClient;
  readonly #pool: pg.Pool;
  readonly #ownPool: boolean;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #listeners = new Set<(event: LogEventRecord) => void>();
  /** Lines waiting to be sent, in append order. */
  #pending: LogLine[] = [];
  #bufferedBytes = 0;
  #inFlight: Promise<boolean> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #timerDue = 0;
  #retryAt = 0;
  #dropped = 0;
  #droppedThisOutage = 0;
  /** A batch failed and none has been stored since (one warning per outage). */
  #failing = false;
  #closed = false;

  /**
   * `pool`: the writer's and readers' connections (tests); by default the storage opens its own
   * small pool whose sessions commit asynchronously (synchronous_commit off): a log line is then
   * durable within PostgreSQL's WAL writer delay (3 × 200 ms at most) rather than at its commit —
   * the bound FileLogStorage gives with its fdatasync each second — and a batch does not wait for
   * a WAL flush. Nothing else shares that pool: the queues' and metadata's commits stay synchronous.
   */
  constructor(deps: { url: string; pool?: pg.Pool; ownPool?: boolean; now: () => number; log?: (line: string) => void; timeoutMs?: number }) {
    this.#sync = new PgSyncClient(deps.url, { ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}), applicationName: 'flint-logs' });
    try {
      applySchema(this.#sync, LOG_SCHEMA);
    } catch (err) {
      this.#sync.close();
      throw err;
    }
    this.#pool = deps.pool ?? logPool(deps.url, deps.log);
    this.#ownPool = deps.pool === undefined || (deps.ownPool ?? false);
    this.#now = deps.now;
    this.#log = deps.log ?? (() => undefined);
  }

  /** Lines dropped since start because the buffer was full or a batch's fate was unknown. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Bytes of lines buffered or in flight. */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  subscribe(listener: (event: LogEventRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  groups(): LogGroupRecord[] {
    return this.#sync.query<GroupRow>(`${GROUP_SELECT} ORDER BY g.name`).rows.map(groupRecord);
  }

  group(logGroupName: string): LogGroupRecord | undefined {
    const row = this.#sync.query<GroupRow>(`${GROUP_SELECT} WHERE g.name = $1`, [logGroupName]).rows[0];
    return row ? groupRecord(row) : undefined;
  }

  createGroup(logGroupName: string, tags: Record<string, string>): boolean {
    return this.#sync.query('INSERT INTO log_groups (name, creation_time, tags) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING', [logGroupName, this.#now(), JSON.stringify(tags)]).rowCount === 1;
  }

  deleteGroup(logGroupName: string): boolean {
    // Lines of the group this node has not sent yet go with it (a writer's next line re-creates it).
    this.#discard((l) => l.group === logGroupName);
    return this.#sync.query('DELETE FROM log_groups WHERE name = $1', [logGroupName]).rowCount === 1;
  }

  updateGroup(logGroupName: string, change: { retentionInDays?: number | null; tags?: Record<string, string> }): void {
    if (change.retentionInDays !== undefined) this.#sync.query('UPDATE log_groups SET retention_days = $2 WHERE name = $1', [logGroupName, change.retentionInDays]);
    if (change.tags) this.#sync.query('UPDATE log_groups SET tags = $2 WHERE name = $1', [logGroupName, JSON.stringify(change.tags)]);
  }

  streams(logGroupName: string): LogStreamRecord[] | undefined {
    const rows = this.#sync.query<StreamRow>(
      `SELECT s.stream_name, s.creation_time, s.first_ts, s.last_ts, s.last_ingestion, s.stored_bytes
       FROM log_groups g LEFT JOIN log_streams s ON s.group_name = g.name WHERE g.name = $1 ORDER BY s.id`,
      [logGroupName],
    ).rows;
    if (rows.length === 0) return undefined;
    return rows.filter((r) => r.stream_name !== null).map((r) => ({
      logStreamName: r.stream_name!,
      creationTime: r.creation_time!,
      ...(r.first_ts !== null ? { firstEventTimestamp: r.first_ts } : {}),
      ...(r.last_ts !== null ? { lastEventTimestamp: r.last_ts } : {}),
      ...(r.last_ingestion !== null ? { lastIngestionTime: r.last_ingestion } : {}),
      storedBytes: r.stored_bytes ?? 0,
    }));
  }

  createStream(logGroupName: string, logStreamName: string): 'created' | 'exists' | 'no-group' {
    const created = this.#sync.query(
      `INSERT INTO log_streams (group_name, stream_name, creation_time)
       SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM log_groups WHERE name = $1)
       ON CONFLICT (group_name, stream_name) DO NOTHING`,
      [logGroupName, logStreamName, this.#now()],
    ).rowCount === 1;
    if (created) return 'created';
    return this.#sync.query('SELECT 1 FROM log_groups WHERE name = $1', [logGroupName]).rowCount === 1 ? 'exists' : 'no-group';
  }

  deleteStream(logGroupName: string, logStreamName: string): boolean {
    this.#discard((l) => l.group === logGroupName && l.stream === logStreamName);
    return this.#sync.query('DELETE FROM log_streams WHERE group_name = $1 AND stream_name = $2', [logGroupName, logStreamName]).rowCount === 1;
  }

  openStream(logGroupName: string, logStreamName: string): LogStreamWriter {
    let closed = false;
    return {
      logGroupName,
      logStreamName,
      append: (timestamp, message) => {
        if (closed || this.#closed) return;
        this.#notify(logGroupName, logStreamName, timestamp, message);
        this.#buffer({ group: logGroupName, stream: logStreamName, timestamp, ingestion: timestamp, message, bytes: Buffer.byteLength(message) });
      },
      // Never waits: the invocation's response does not wait for PostgreSQL.
      commit: () => this.#schedule(FLUSH_MS),
      close: async () => {
        if (closed) return;
        closed = true;
        this.#schedule(FLUSH_MS);
      },
    };
  }

  /**
   * PutLogEvents: synchronous, so the caller's answer follows the commit. Lines of the same stream
   * this node still holds go first, in the same statement, so the stream keeps this node's append order.
   */
  put(logGroupName: string, logStreamName: string, events: readonly { timestamp: number; message: string }[]): void {
    if (this.#sync.query('SELECT 1 FROM log_streams WHERE group_name = $1 AND stream_name = $2', [logGroupName, logStreamName]).rowCount === 0) {
      throw new Error(`no log stream ${logGroupName} ${logStreamName}`);
    }
    const held = this.#discard((l) => l.group === logGroupName && l.stream === logStreamName);
    const ingestion = this.#now();
    const lines = [...held];
    for (const e of events) {
      this.#notify(logGroupName, logStreamName, e.timestamp, e.message);
      lines.push({ group: logGroupName, stream: logStreamName, timestamp: e.timestamp, ingestion, message: e.message, bytes: Buffer.byteLength(e.message) });
    }
    this.#sync.query(APPEND_SQL, appendParams(lines, ingestion));
  }

  async read(logGroupName: string, logStreamName: string): Promise<StoredLogEvent[]> {
    await this.sync();
    const r = await this.#pool.query<{ ts: string; ingestion: string; message: Buffer; seq: string }>(
      `SELECT e.ts, e.ingestion, e.message, e.seq FROM log_events e
       JOIN log_streams s ON s.id = e.stream_id WHERE s.group_name = $1 AND s.stream_name = $2 ORDER BY e.seq`,
      [logGroupName, logStreamName],
    );
    return r.rows.map((row) => ({ timestamp: Number(row.ts), ingestionTime: Number(row.ingestion), message: row.message.toString('utf8'), seq: Number(row.seq) }));
  }

  /**
   * Two statements, each atomic and idempotent: nodes running the hourly sweep at once delete each
   * row once (the second finds it gone) and each subtracts only the bytes it deleted.
   */
  async expire(logGroupName: string, before: number): Promise<{ removedEvents: number; removedStreams: number }> {
    await this.sync();
    let removedEvents = 0;
    for (;;) {
      const r = await this.#pool.query<{ removed: string }>(EXPIRE_EVENTS_SQL, [logGroupName, before, EXPIRE_BATCH]);
      const removed = Number(r.rows[0]?.removed ?? 0);
      removedEvents += removed;
      if (removed < EXPIRE_BATCH) break;
    }
    const streams = await this.#pool.query(EXPIRE_STREAMS_SQL, [logGroupName, before]);
    return { removedEvents, removedStreams: streams.rowCount ?? 0 };
  }

  /** Sends everything this node holds; resolves when it is stored, or when a batch could not be (PostgreSQL unreachable). */
  async sync(): Promise<void> {
    for (;;) {
      if (this.#inFlight) {
        if (!(await this.#inFlight)) return;
        continue;
      }
      if (this.#pending.length === 0) return;
      this.#start();
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.sync().catch(() => undefined);
    if (this.#pending.length > 0) this.#log(`flint: warning: ${this.#pending.length} function log line(s) could not be stored in PostgreSQL before shutdown`);
    this.#sync.close();
    if (this.#ownPool) await this.#pool.end();
  }

  #notify(logGroupName: string, logStreamName: string, timestamp: number, message: string): void {
    if (this.#listeners.size === 0) return;
    const record: LogEventRecord = { logGroupName, logStreamName, timestamp, message };
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch {
        // A subscriber's failure (metrics extraction) never loses the line.
      }
    }
  }

  #buffer(line: LogLine): void {
    const size = line.bytes + EVENT_OVERHEAD_BYTES;
    if (this.#bufferedBytes + size > MAX_BUFFERED_BYTES) {
      this.#dropped++;
      if (this.#droppedThisOutage++ === 0) this.#log(`flint: warning: PostgreSQL is not taking function log lines fast enough (${MAX_BUFFERED_BYTES} bytes waiting); new lines are dropped until it catches up`);
      return;
    }
    this.#pending.push(line);
    this.#bufferedBytes += size;
    this.#schedule(this.#bufferedBytes >= MAX_BATCH_BYTES ? 0 : FLUSH_MS);
  }

  /** Takes this node's unsent lines that match out of the buffer (in order). */
  #discard(match: (l: LogLine) => boolean): LogLine[] {
    const taken: LogLine[] = [];
    const kept: LogLine[] = [];
    for (const l of this.#pending) (match(l) ? taken : kept).push(l);
    if (taken.length === 0) return taken;
    this.#pending = kept;
    for (const l of taken) this.#bufferedBytes -= l.bytes + EVENT_OVERHEAD_BYTES;
    return taken;
  }

  #schedule(delayMs: number): void {
    // Once closing, sync() sends what is left itself.
    if (this.#closed || this.#inFlight || this.#pending.length === 0) return;
    const due = Math.max(Date.now() + delayMs, this.#retryAt);
    // A timer due sooner stands; a later one is moved forward.
    if (this.#timer && this.#timerDue <= due) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDue = due;
    // Unref'd: close() sends what is left.
    this.#timer = setTimeout(() => this.#start(), Math.max(0, due - Date.now()));
    this.#timer.unref();
  }

  /** Sends one batch; the promise says whether it was stored. */
  #start(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#inFlight || this.#pending.length === 0) return;
    let bytes = 0;
    let n = 0;
    while (n < this.#pending.length && n < MAX_BATCH_EVENTS && (n === 0 || bytes < MAX_BATCH_BYTES)) bytes += this.#pending[n++]!.bytes + EVENT_OVERHEAD_BYTES;
    const batch = this.#pending.slice(0, n);
    this.#pending = this.#pending.slice(n);
    // Named: each connection plans the statement once. pg reads query_timeout on the query config
    // (@types/pg does not list it): a hung connection is dropped.
    const run = this.#pool.query({ name: 'flint-log-append', text: APPEND_SQL, values: appendParams(batch, this.#now()), query_timeout: APPEND_TIMEOUT_MS } as pg.QueryConfig).then(
      () => {
        this.#bufferedBytes -= bytes;
        if (this.#failing || this.#droppedThisOutage > 0) this.#log(`flint: function log lines reach PostgreSQL again; ${this.#droppedThisOutage} were dropped meanwhile`);
        this.#failing = false;
        this.#droppedThisOutage = 0;
        this.#retryAt = 0;
        return true;
      },
      (err: unknown) => {
        if (retriable(err)) {
          // Not stored: it goes first again, after a pause.
          this.#pending = batch.concat(this.#pending);
          this.#retryAt = Date.now() + RETRY_MS;
        } else {
          // Unknown fate (the connection went mid-statement) or refused for good: dropping never
          // stores a line twice.
          this.#bufferedBytes -= bytes;
          this.#dropped += batch.length;
          this.#droppedThisOutage += batch.length;
        }
        if (!this.#failing) this.#log(`flint: warning: function log lines could not be stored in PostgreSQL (${String((err as Error | undefined)?.message ?? err)}); ${retriable(err) ? `retrying every ${RETRY_MS} ms` : `${batch.length} dropped`}`);
        this.#failing = true;
        return false;
      },
    ).finally(() => {
      this.#inFlight = undefined;
      this.#schedule(0);
    });
    this.#inFlight = run;
  }
}

/** The storage's own connections (see the constructor): few, short timeouts, asynchronous commits. */
function logPool(url: string, log: ((line: string) => void) | undefined): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: 3, application_name: 'flint-logs', connectionTimeoutMillis: 3000, query_timeout: APPEND_TIMEOUT_MS, options: '-c synchronous_commit=off' });
  // An idle connection the database dropped must not take the node down.
  pool.on('error', (err) => log?.(`flint: log storage connection lost (it reconnects on next use): ${err.message}`));
  return pool;
}

const GROUP_SELECT = `SELECT g.name, g.creation_time, g.retention_days, g.tags,
  coalesce((SELECT sum(stored_bytes) FROM log_streams s WHERE s.group_name = g.name), 0)::bigint AS bytes FROM log_groups g`;

function groupRecord(r: GroupRow): LogGroupRecord {
  return {
    logGroupName: r.name,
    creationTime: r.creation_time,
    ...(r.retention_days !== null ? { retentionInDays: r.retention_days } : {}),
    tags: JSON.parse(r.tags) as Record<string, string>,
    storedBytes: Number(r.bytes),
  };
}

/**
 * A batch that certainly was not stored: PostgreSQL refused it and rolled back (a deadlock, a
 * serialization failure, a group deleted meanwhile, a server shutting down), or no connection was made.
 */
function retriable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(08|40|53|57P)/.test(code) || code === '23503';
  const message = String((err as Error | undefined)?.message ?? '');
  return code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || /timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(message);
}
