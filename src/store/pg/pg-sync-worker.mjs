// @ts-check
import { workerData } from 'node:worker_threads';
import pg from 'pg';

/**
 * The worker side of PgSyncClient (pg-sync-client.ts): one `pg` Client, one query at a time. The
 * main thread is blocked in Atomics.wait while a query runs here, so each reply is posted on the
 * port first and only then signalled through the shared flag (the main thread reads it with
 * receiveMessageOnPort, without its event loop).
 */
/** @type {import('./pg-sync-client.js').SyncWorkerData} */
const data = workerData;
const flag = new Int32Array(data.flag);
const port = data.port;

// bigint columns (seq, epoch ms, config_version) as numbers: all of Flint's fit in 2^53, and
// callers compare them with numbers as the SQLite stores return them.
pg.types.setTypeParser(20, (/** @type {string} */ v) => Number(v));

/** @type {pg.Client | undefined} */
let client;
let session = data.sessionBase;

/** @returns {Promise<pg.Client>} */
async function connect() {
  const c = new pg.Client({
    connectionString: data.url,
    application_name: data.applicationName,
    connectionTimeoutMillis: data.timeoutMs,
    // PG ends a statement (57014) before the main thread gives up waiting, so a slow statement or
    // a lock held by a stuck node is an error with a code, not a killed connection.
    statement_timeout: data.timeoutMs,
    // A node stopped mid-transaction (SIGSTOP, partition) would hold the metadata lock forever.
    idle_in_transaction_session_timeout: data.timeoutMs * 3,
    // A hung server (answers nothing): give up on the read a little after PG's own timeout.
    query_timeout: data.timeoutMs + 1000,
    keepAlive: true,
  });
  c.on('error', () => {
    // The connection broke between queries: the next call reconnects (its session changes).
    if (client === c) client = undefined;
  });
  try {
    await c.connect();
  } catch (err) {
    void c.end().catch(() => undefined);
    throw err;
  }
  session++;
  return c;
}

/** @param {pg.Client} c */
function drop(c) {
  if (client === c) client = undefined;
  void c.end().catch(() => undefined);
}

/**
 * @param {import('./pg-sync-client.js').SyncRequest} m
 * @returns {Promise<import('./pg-sync-client.js').SyncReply>}
 */
async function handle(m) {
  if (m.close) {
    const c = client;
    client = undefined;
    await c?.end().catch(() => undefined);
    return { id: m.id, ok: true, results: [], session };
  }
  if (m.session !== undefined && (client === undefined || m.session !== session)) {
    return { id: m.id, ok: false, error: { code: 'FLINT_PG_SESSION_LOST', message: 'the PostgreSQL connection was lost inside a transaction; the transaction was rolled back' } };
  }
  let c = client;
  try {
    if (!c) {
      c = await connect();
      client = c;
    }
    // Buffers arrive as plain Uint8Arrays after the structured clone: pg sends only Buffers as bytea.
    const params = m.params?.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
    /** @type {pg.QueryResult | pg.QueryResult[]} */
    const res = /** @type {any} */ (await c.query(m.sql, params));
    const list = Array.isArray(res) ? res : [res];
    return { id: m.id, ok: true, results: list.map((r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 })), session };
  } catch (err) {
    /** @type {{ message?: string; code?: string; detail?: string; constraint?: string; severity?: string }} */
    const e = /** @type {any} */ (err);
    // Not an error PG reported for a statement (no severity): the connection is suspect.
    if (c && e.severity === undefined) drop(c);
    // pg's own timeouts carry no code: give them one callers can test, and say what timed out.
    const timedOut = e.code === undefined && /timeout/i.test(e.message ?? '');
    return {
      id: m.id,
      ok: false,
      error: { message: timedOut ? `PostgreSQL did not answer within ${data.timeoutMs} ms (${e.message})` : e.message ?? String(err), ...(timedOut ? { code: 'ETIMEDOUT' } : {}), ...(e.code ? { code: e.code } : {}), ...(e.detail ? { detail: e.detail } : {}), ...(e.constraint ? { constraint: e.constraint } : {}) },
    };
  }
}

/** Reconnects until PG answers a query, then marks the client healthy again (flag[1]). */
async function probe() {
  for (;;) {
    if (client) drop(client);
    try {
      const c = await connect();
      client = c;
      await c.query('SELECT 1');
      Atomics.store(flag, 1, 1);
      return;
    } catch {
      if (client) drop(client);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

port.on('message', (/** @type {import('./pg-sync-client.js').SyncRequest} */ m) => {
  if (m.probe) {
    void probe();
    return;
  }
  void handle(m).then((reply) => {
    port.postMessage(reply);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
