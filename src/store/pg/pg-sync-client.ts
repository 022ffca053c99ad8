import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/**
 * A synchronous PostgreSQL client, for the store ports that are synchronous (MetadataStore has ~90
 * transaction call sites written for better-sqlite3). A worker thread holds one `pg` connection;
 * `query` posts the statement to it and blocks this thread with Atomics.wait until the reply is
 * signalled, then takes it with receiveMessageOnPort — no event loop turn on this thread.
 *
 * Hand-written rather than `synckit`: a timed-out call must kill the worker (and with it the
 * connection and any transaction it holds), and the statements of one transaction must run on one
 * connection; both are about the connection, which a generic sync-call library does not own.
 *
 * Failure behaviour: PG errors keep their SQLSTATE `code` (23505, 40001, 57014 …). A database that
 * does not answer fails the call after `timeoutMs` (+ a grace for PG's own statement timeout to
 * arrive first) with code `ETIMEDOUT`; the worker is then replaced. A lost connection reconnects on
 * the next call, except inside a transaction (`session` given), which fails instead.
 */
export class PgSyncClient {
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #applicationName: string;
  #worker: { worker: Worker; port: MessagePort; flag: Int32Array } | undefined;
  #nextId = 0;
  #generation = 0;
  #closed = false;

  constructor(url: string, opts: { timeoutMs?: number; applicationName?: string } = {}) {
    this.#url = url;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#applicationName = opts.applicationName ?? 'flint';
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Runs `sql` and returns its last statement's rows (a multi-statement string needs no params). */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], opts: { session?: number } = {}): PgSyncQueryResult<R> {
    const { results, session } = this.#call(sql, params, opts.session);
    const last = results[results.length - 1] ?? { rows: [], rowCount: 0 };
    return { rows: last.rows as R[], rowCount: last.rowCount, session, results };
  }

  /**
   * Ends a failed transaction: ROLLBACK on its connection (`session`, when BEGIN answered), unless
   * the failure took the connection with it (timeout, lost connection), when PG has rolled back.
   */
  rollback(session: number | undefined, cause: unknown): void {
    const code = (cause as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && (code === 'ETIMEDOUT' || code.startsWith('FLINT_PG_'))) return;
    // Without a session BEGIN itself failed: only a statement error (SQLSTATE) leaves a transaction open.
    if (session === undefined && !(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))) return;
    try {
      this.query('ROLLBACK', undefined, session === undefined ? {} : { session });
    } catch {
      // The connection went away meanwhile: PG rolled back.
    }
  }

  /** Closes the connection and stops the worker. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const w = this.#worker;
    if (!w) return;
    try {
      // Briefly: a clean goodbye spares PG an "unexpected EOF" log line, but a dead database must
      // not hold up shutdown.
      this.#roundTrip(w, { id: ++this.#nextId, sql: '', close: true }, 500);
    } catch {
      // Closing a hung or dead connection: terminating the worker below drops it anyway.
    }
    this.#kill();
  }

  #call(sql: string, params: unknown[] | undefined, session: number | undefined): { results: SyncResult[]; session: number } {
    if (this.#closed) throw new PgSyncError('the PostgreSQL client is closed', 'FLINT_PG_CLOSED');
    const w = this.#ensureWorker();
    const req: SyncRequest = { id: ++this.#nextId, sql, ...(params ? { params } : {}), ...(session !== undefined ? { session } : {}) };
    // A grace beyond the worker's own timeouts (statement 57014, read timeout) so their error,
    // which leaves the worker usable, arrives first; only a stuck worker runs into this one.
    const reply = this.#roundTrip(w, req, this.#timeoutMs + 3000);
    if (!reply.ok) throw new PgSyncError(reply.error.message, reply.error.code, reply.error.detail, reply.error.constraint);
    return { results: reply.results, session: reply.session };
  }

  #roundTrip(w: { port: MessagePort; flag: Int32Array }, req: SyncRequest, waitMs: number): SyncReply {
    Atomics.store(w.flag, 0, 0);
    w.port.postMessage(req);
    if (Atomics.wait(w.flag, 0, 0, waitMs) === 'timed-out') {
      this.#kill();
      throw new PgSyncError(`PostgreSQL did not answer within ${waitMs} ms (${this.#url.replace(/\/\/[^@/]*@/, '//')})`, 'ETIMEDOUT');
    }
    const msg = receiveMessageOnPort(w.port);
    const reply = msg?.message as SyncReply | undefined;
    if (!reply || reply.id !== req.id) {
      this.#kill();
      throw new PgSyncError('the PostgreSQL worker answered out of turn', 'FLINT_PG_PROTOCOL');
    }
    return reply;
  }

  #ensureWorker(): { worker: Worker; port: MessagePort; flag: Int32Array } {
    if (this.#worker) return this.#worker;
    const shared = new SharedArrayBuffer(4);
    const { port1, port2 } = new MessageChannel();
    // Sessions are numbered per worker generation, so a replaced worker's first connection never
    // passes for the connection a transaction started on.
    const data: SyncWorkerData = { url: this.#url, flag: shared, port: port2, timeoutMs: this.#timeoutMs, sessionBase: ++this.#generation * 1_000_000, applicationName: this.#applicationName };
    const worker = new Worker(WORKER_FILE, { workerData: data, transferList: [port2] });
    // Errors surface as call failures (timeouts); an unhandled 'error' event must not crash the node.
    worker.on('error', () => undefined);
    // An unclosed client must not keep the process alive.
    worker.unref();
    port1.unref();
    this.#worker = { worker, port: port1, flag: new Int32Array(shared) };
    return this.#worker;
  }

  #kill(): void {
    const w = this.#worker;
    this.#worker = undefined;
    if (!w) return;
    w.port.close();
    void w.worker.terminate();
  }
}

export interface PgSyncQueryResult<R> {
  rows: R[];
  rowCount: number;
  /** The connection the statement ran on (pass it back to stay in a transaction). */
  session: number;
  /** Every statement's result, for a multi-statement string. */
  results: SyncResult[];
}

/** An error from PostgreSQL (SQLSTATE in `code`) or from the bridge (ETIMEDOUT, FLINT_PG_*). */
export class PgSyncError extends Error {
  readonly code: string | undefined;
  readonly detail: string | undefined;
  readonly constraint: string | undefined;

  constructor(message: string, code?: string, detail?: string, constraint?: string) {
    super(message);
    this.name = 'PgSyncError';
    this.code = code;
    this.detail = detail;
    this.constraint = constraint;
  }
}

/**
 * The worker (plain JavaScript, so it loads the same way under tsx and from dist/: Node 20 does not
 * pass tsx's loader hooks on to worker threads). Located as src/ files are from dist/ elsewhere
 * (src/api/service-model.ts): `../../../src/…` is the package root's src/ from both places.
 */
const WORKER_FILE = new URL('../../../src/store/pg/pg-sync-worker.mjs', import.meta.url);

/** The bridge's protocol (pg-sync-worker.mjs). */
export interface SyncRequest {
  id: number;
  sql: string;
  params?: unknown[];
  /** Run only on this connection (inside a transaction); a new connection would silently leave it. */
  session?: number;
  close?: boolean;
}

export interface SyncResult {
  rows: Array<Record<string, unknown>>;
  rowCount: number;
}

export type SyncReply =
  | { id: number; ok: true; results: SyncResult[]; session: number }
  | { id: number; ok: false; error: { message: string; code?: string; detail?: string; constraint?: string } };

export interface SyncWorkerData {
  url: string;
  flag: SharedArrayBuffer;
  port: MessagePort;
  timeoutMs: number;
  sessionBase: number;
  applicationName: string;
}
