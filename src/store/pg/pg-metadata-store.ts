import pg from 'pg';
import type { Collection, CollectionOptions, MetadataStore } from '../../ports/metadata-store.js';
import { applySchema } from './pg-schema.js';
import { PgSyncClient, type PgSyncQueryResult } from './pg-sync-client.js';

/**
 * Same table shape as SQLite's `documents`. Keys are bytea holding the key's UTF-8 bytes: Flint's
 * keys contain U+0000 (`fn\u0000version`), which PG text cannot hold, and bytea compares bytewise,
 * which is SQLite's BINARY order (memcmp of UTF-8) — the key order the port promises. Values stay
 * text (not jsonb) so a document reads back as exactly the JSON text that was written.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS documents (
    collection text COLLATE "C" NOT NULL,
    key bytea NOT NULL,
    value text NOT NULL,
    PRIMARY KEY (collection, key)
  );
  CREATE TABLE IF NOT EXISTS config_version (id int PRIMARY KEY, version bigint NOT NULL);
  INSERT INTO config_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`;

/** The cluster-wide lock every metadata transaction holds: the port promises serialised transactions. */
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('flint-metadata'))`;

/**
 * Bound on what the cache holds, in documents (a cached list counts its rows): a safety net — the
 * invoke path reads a handful of documents, but paging through a large list caches every page.
 */
const MAX_CACHED_DOCUMENTS = 100_000;

type Query = (sql: string, params?: unknown[]) => PgSyncQueryResult<Record<string, unknown>>;

/**
 * MetadataStore on PostgreSQL, synchronous through PgSyncClient (a worker thread holding the
 * connection). Transactions: BEGIN, the advisory lock (so transactions from every node are
 * serialised, as SQLite's single writer serialises them on one node), the statements, a bump of
 * `config_version` when anything was written, COMMIT. Nested `transaction` calls are savepoints,
 * as better-sqlite3 makes them: a nested failure rolls back only its part when the caller catches it.
 *
 * Versioned read cache: reads are served from memory. Outside transactions it may be stale by
 * what other nodes committed: `refresh()` reads `config_version` (asynchronously, on its own small
 * pool) and drops the cache when it moved. Inside a transaction it is never stale: BEGIN reads the
 * version under the lock and drops the cache when it moved, so a read-modify-write sees the latest
 * committed state on every node. Writes (own commits) drop the cache.
 */
export class PgMetadataStore implements MetadataStore {
  readonly #url: string;
  readonly #client: PgSyncClient;
  readonly #collections = new Map<string, PgCollection<unknown>>();
  readonly #cache = new Map<string, unknown>();
  #cachedDocuments = 0;
  #version: number;
  /** `dirty`: configuration was written (not only volatile counters): the version moves at commit. */
  #tx: { session: number; dirty: boolean; depth: number } | undefined;
  #pool: pg.Pool | undefined;
  #inFlight: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(url: string, opts: { timeoutMs?: number } = {}) {
    this.#url = url;
    this.#client = new PgSyncClient(url, { ...opts, applicationName: 'flint-metadata' });
    try {
      applySchema(this.#client, SCHEMA);
      this.#version = this.#readVersion();
    } catch (err) {
      this.#client.close(); // no worker thread left behind by a store that never opened
      throw err;
    }
  }

  /** The config version this node's cache reflects. */
  get version(): number {
    return this.#version;
  }

  collection<T>(name: string, options: CollectionOptions = {}): Collection<T> {
    let c = this.#collections.get(name);
    if (!c) {
      c = new PgCollection<unknown>(name, this, options.volatile === true);
      this.#collections.set(name, c);
    }
    return c as Collection<T>;
  }

  transaction<R>(fn: () => R): R {
    if (this.#tx) return this.#nested(this.#tx, fn);
    let session: number;
    try {
      // One round trip; the version is read after the lock is held (each statement of a simple
      // query takes its own snapshot), so it is the version every committed write is under.
      const r = this.#client.query(`BEGIN; ${LOCK}; SELECT version FROM config_version WHERE id = 1`);
      session = r.session;
      // Under the lock the version is current: when it equals the cache's, nothing was committed
      // since the cache was filled and reads before the first write may be served from it.
      const version = Number(r.rows[0]?.['version'] ?? 0);
      if (version !== this.#version) {
        this.#dropCache();
        this.#version = version;
      }
    } catch (err) {
      // BEGIN may have run and the lock wait failed (57014): end that transaction.
      this.#client.rollback(undefined, err);
      throw err;
    }
    const tx = { session, dirty: false, depth: 0 };
    this.#tx = tx;
    try {
      const result = fn();
      // better-sqlite3 refuses the same way: the lock cannot be held across an await.
      if (isThenable(result)) throw new TypeError('Transaction function cannot return a promise');
      if (tx.dirty) {
        const r = this.#client.query('UPDATE config_version SET version = version + 1 WHERE id = 1 RETURNING version; COMMIT', undefined, { session });
        this.#version = Math.max(this.#version, Number(r.results[0]!.rows[0]!['version']));
      } else {
        // Nothing written, or only volatile counters: other nodes' caches stay valid.
        this.#client.query('COMMIT', undefined, { session });
      }
      return result;
    } catch (err) {
      this.#client.rollback(session, err);
      throw err;
    } finally {
      this.#tx = undefined;
      // Written (or maybe written, on failure): nothing cached before is known to be current.
      if (tx.dirty) this.#dropCache();
    }
  }

  #nested<R>(tx: { session: number; depth: number }, fn: () => R): R {
    const name = `flint_sp_${++tx.depth}`;
    const q = (sql: string) => this.#client.query(sql, undefined, { session: tx.session });
    try {
      q(`SAVEPOINT ${name}`);
      const result = fn();
      if (isThenable(result)) throw new TypeError('Transaction function cannot return a promise');
      q(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (err) {
      if (!isBridgeError(err)) this.#quietly(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`, tx.session);
      throw err;
    } finally {
      tx.depth--;
    }
  }

  /**
   * Drops the read cache when another node committed since it was filled. The front door awaits
   * this before a control-plane request (read-your-writes across api nodes); rejects when PG is
   * unreachable, and the cache then keeps serving what it has.
   */
  refresh(): Promise<void> {
    // The caller must see every commit made before its call, so it waits for a version read that
    // starts after it: one already in flight may predate such a commit. Callers that arrive while
    // a read is queued share it (it has not started yet).
    if (this.#queued) return this.#queued;
    if (!this.#inFlight) return this.#startRefresh();
    this.#queued = this.#inFlight.catch(() => undefined).then(() => {
      this.#queued = undefined;
      return this.#startRefresh();
    });
    return this.#queued;
  }

  #startRefresh(): Promise<void> {
    const p = this.#refreshOnce().finally(() => { if (this.#inFlight === p) this.#inFlight = undefined; });
    this.#inFlight = p;
    return p;
  }

  /** Refreshes in the background (the data plane's bounded staleness); stopped by close(). */
  startRefreshing(intervalMs: number): void {
    this.stopRefreshing();
    this.#timer = setInterval(() => { this.refresh().catch(() => undefined); }, intervalMs);
    this.#timer.unref();
  }

  stopRefreshing(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    this.stopRefreshing();
    void this.#pool?.end().catch(() => undefined);
    this.#pool = undefined;
    this.#client.close();
  }

  async #refreshOnce(): Promise<void> {
    if (!this.#pool) {
      this.#pool = new pg.Pool({ connectionString: this.#url, max: 1, application_name: 'flint-metadata-refresh', connectionTimeoutMillis: this.#client.timeoutMs, query_timeout: this.#client.timeoutMs });
      // An idle connection dropped by the server must not become an uncaught error.
      this.#pool.on('error', () => undefined);
    }
    const r = await this.#pool.query<{ version: string }>('SELECT version FROM config_version WHERE id = 1');
    this.#moveTo(Number(r.rows[0]?.version ?? 0));
  }

  /** Versions only move forward: a refresh that read before this node's own commit is older news. */
  #moveTo(version: number): void {
    if (version <= this.#version) return;
    this.#dropCache();
    this.#version = version;
  }

  #dropCache(): void {
    this.#cache.clear();
    this.#cachedDocuments = 0;
  }

  #readVersion(): number {
    return Number(this.#client.query('SELECT version FROM config_version WHERE id = 1').rows[0]?.['version'] ?? 0);
  }

  #quietly(sql: string, session?: number): void {
    try {
      this.#client.query(sql, undefined, session === undefined ? {} : { session });
    } catch {
      // The connection is gone or the transaction is already over: PG has rolled it back.
    }
  }

  /**
   * A read: from the cache, except inside a transaction after its first write (the transaction's
   * own uncommitted state is read from PG and never cached). The cache is current inside a
   * transaction because BEGIN checked the version under the lock.
   */
  read<X>(cacheKey: string | undefined, load: (q: Query) => X): X {
    const tx = this.#tx;
    const q: Query = tx ? (sql, params) => this.#client.query(sql, params, { session: tx.session }) : (sql, params) => this.#client.query(sql, params);
    // Volatile collections (no cache key) and a transaction's own uncommitted writes come from PG.
    if (cacheKey === undefined || tx?.dirty) return load(q);
    if (this.#cache.has(cacheKey)) return this.#cache.get(cacheKey) as X;
    const value = load(q);
    const weight = Array.isArray(value) ? value.length + 1 : 1;
    if (this.#cachedDocuments + weight > MAX_CACHED_DOCUMENTS) this.#dropCache();
    this.#cache.set(cacheKey, value);
    this.#cachedDocuments += weight;
    return value;
  }

  /** A write: inside the caller's transaction, or in one of its own (lock, version bump). */
  write<X>(run: (q: Query) => X, volatile = false): X {
    const tx = this.#tx;
    if (!tx) return this.transaction(() => this.write(run, volatile));
    if (!volatile) tx.dirty = true;
    return run((sql, params) => this.#client.query(sql, params, { session: tx.session }));
  }
}

class PgCollection<T> implements Collection<T> {
  readonly #name: string;
  readonly #store: PgMetadataStore;
  readonly #volatile: boolean;

  constructor(name: string, store: PgMetadataStore, volatile: boolean) {
    this.#name = name;
    this.#store = store;
    this.#volatile = volatile;
  }

  /** Volatile collections are never cached (undefined key) and never move the config version. */
  #key(key: string): string | undefined {
    return this.#volatile ? undefined : key;
  }

  #write<X>(run: (q: Query) => X): X {
    return this.#store.write(run, this.#volatile);
  }

  get(key: string): T | undefined {
    const text = this.#store.read(this.#key(`g\u0000${this.#name}\u0000${key}`), (q) => {
      const row = q('SELECT value FROM documents WHERE collection = $1 AND key = $2', [this.#name, bytes(key)]).rows[0];
      return row ? (row['value'] as string) : null;
    });
    // Parsed per call, so each caller gets its own object (as from SQLite).
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  put(key: string, value: T): void {
    const text = JSON.stringify(value);
    this.#write((q) => q('INSERT INTO documents (collection, key, value) VALUES ($1, $2, $3) ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value', [this.#name, bytes(key), text]));
  }

  insert(key: string, value: T): boolean {
    const text = JSON.stringify(value);
    return this.#write((q) => q('INSERT INTO documents (collection, key, value) VALUES ($1, $2, $3) ON CONFLICT (collection, key) DO NOTHING', [this.#name, bytes(key), text]).rowCount === 1);
  }

  delete(key: string): boolean {
    return this.#write((q) => q('DELETE FROM documents WHERE collection = $1 AND key = $2', [this.#name, bytes(key)]).rowCount === 1);
  }

  list(prefix = '', opts: { after?: string; limit?: number } = {}): Array<{ key: string; value: T }> {
    const cacheKey = `l\u0000${this.#name}\u0000${prefix}\u0000${opts.after === undefined ? '' : `a${opts.after}`}\u0000${opts.limit ?? ''}`;
    const rows = this.#store.read(this.#key(cacheKey), (q) => {
      const params: unknown[] = [this.#name, bytes(prefix), upperBound(prefix), opts.limit ?? null];
      if (opts.after !== undefined) params.push(bytes(opts.after));
      const sql = `SELECT key, value FROM documents WHERE collection = $1 AND key >= $2 AND key < $3 ${opts.after !== undefined ? 'AND key > $5' : ''} ORDER BY key LIMIT $4`;
      return q(sql, params).rows.map((r) => ({ key: text(r['key'] as Uint8Array), text: r['value'] as string }));
    });
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.text) as T }));
  }

  count(prefix = ''): number {
    return this.#store.read(this.#key(`c\u0000${this.#name}\u0000${prefix}`), (q) =>
      Number(q('SELECT count(*) AS n FROM documents WHERE collection = $1 AND key >= $2 AND key < $3', [this.#name, bytes(prefix), upperBound(prefix)]).rows[0]!['n']),
    );
  }
}

function bytes(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

function text(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

/** Greater than the UTF-8 of every string starting with `prefix`: 0xFF never occurs in UTF-8. */
function upperBound(prefix: string): Buffer {
  return Buffer.concat([bytes(prefix), Buffer.from([0xff])]);
}

function isThenable(v: unknown): boolean {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** The bridge failed (timeout, lost connection): the connection is gone and PG rolled back. */
function isBridgeError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code === 'ETIMEDOUT' || code.startsWith('FLINT_PG_'));
}
