import { createHash } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { Clock, TimerClock } from '../../ports/clock.js';
import type { CodeStore, StoredCode, StoredObject } from '../../ports/code-store.js';
import type { MasterKeyring, MasterWrappedStore } from '../../ports/master-keyring.js';
import { CodeEnvelope } from '../code-envelope.js';
import { ExtractedCodeTrees, type ExtractedCode } from '../extracted-code-trees.js';
import { LocalCodeCache } from './local-code-cache.js';
import { INDEX_COLUMNS, PgCodeIndex, entryOf, type CodeIndexEntry, type IndexRow } from './pg-code-index.js';
import type { PgSyncClient } from './pg-sync-client.js';
import { CODE_CHANNEL, ensureCodeSchema } from './pg-code-schema.js';
import { SealedChunks } from './sealed-chunks.js';
import { PgCodeKeyRewrap } from './pg-code-key-rewrap.js';

/** Chunk sizes the store accepts: large enough for few rows, small enough for modest statements. */
export const CHUNK_SIZE_RANGE = { min: 512 * 1024, max: 1024 * 1024 } as const;
/** Chunks per INSERT: 8 MiB statements at most. */
const CHUNKS_PER_STATEMENT = 8;
/** Reading: chunks per SELECT, and SELECTs in flight for one archive (a share of the pool). */
const CHUNKS_PER_FETCH = 2;
const FETCHES_IN_FLIGHT = 3;

export interface PgCodeStoreOptions {
  /** The database; or `pool`, shared with other stores (then not ended by `close`). */
  databaseUrl?: string;
  pool?: pg.Pool;
  /**
   * The node's cache folder: `code/` (extracted trees, emptied at start) and `code-objects/` (sealed
   * copies, kept across restarts). Default: `<dataDir>/cache`.
   */
  cacheDir?: string;
  dataDir?: string;
  keyring: MasterKeyring;
  /**
   * A synchronous client (PgMetadataStore's): when given, `has` looks up an archive this node's
   * index does not know yet (uploaded on another node a moment ago) instead of answering false.
   */
  sync?: PgSyncClient;
  /** Time for `last_put_at`; its timers (when a TimerClock) drive the index reload. */
  clock?: Clock;
  /** Plaintext bytes per chunk (CHUNK_SIZE_RANGE; default 1 MiB). */
  chunkSize?: number;
  /** Bound of the node's sealed copies on disk, least recently used go first (default 10 GiB). */
  cacheMaxBytes?: number;
  /** Full index reload period, a backstop for lost notifications (default 30 s). */
  reloadMs?: number;
  poolSize?: number;
}

type Sizes = Pick<StoredCode, 'size' | 'unzippedSize'>;

/** How this node's copies served reads (tests and `flint cluster status`). */
export interface CodeCacheStats {
  /** Reads answered from the node's disk copy. */
  hits: number;
  /** Objects fetched from PostgreSQL (first use, or after a rejected copy). */
  fetched: number;
  /** Disk copies that failed to open or hash, dropped and fetched again. */
  rejected: number;
}

/**
 * The CodeStore for cluster mode (issue 16): archives content-addressed by SHA-256 in PostgreSQL,
 * sealed under the same envelope as the file store (CodeEnvelope) in chunks of `bytea`
 * (SealedChunks), with an index row per archive written in the same transaction as its chunks.
 * A worker fetches an archive on first use and keeps the sealed copy on its disk, opened and hashed
 * before every use (LocalCodeCache): a damaged copy is dropped and fetched again. `has`/`list` and
 * the rotation's `countStale` read this node's copy of the index (PgCodeIndex), kept current by
 * LISTEN/NOTIFY; `put` and `remove` are decided by PostgreSQL alone, so two nodes may put the same
 * archive at once and an upload racing the collector keeps its object.
 */
export class PgCodeStore implements CodeStore, MasterWrappedStore {
  readonly name = 'code objects';
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #sync: PgSyncClient | undefined;
  #started: Promise<void> | undefined;
  readonly #index: PgCodeIndex;
  readonly #envelope: CodeEnvelope;
  readonly #trees: ExtractedCodeTrees;
  readonly #cache: LocalCodeCache;
  readonly #clock: Clock;
  readonly #chunkSize: number;
  readonly #storing = new Map<string, Promise<Sizes>>();
  readonly #fetching = new Map<string, Promise<Buffer>>();
  readonly #rewrap: PgCodeKeyRewrap;
  readonly #stats: CodeCacheStats = { hits: 0, fetched: 0, rejected: 0 };

  /** Ready once `start()` resolved (or use `PgCodeStore.open`). */
  constructor(opts: PgCodeStoreOptions) {
    const chunkSize = opts.chunkSize ?? CHUNK_SIZE_RANGE.max;
    if (!Number.isInteger(chunkSize) || chunkSize < CHUNK_SIZE_RANGE.min || chunkSize > CHUNK_SIZE_RANGE.max) {
      throw new Error(`the code chunk size must be between ${CHUNK_SIZE_RANGE.min} and ${CHUNK_SIZE_RANGE.max} bytes`);
    }
    const cacheDir = opts.cacheDir ?? (opts.dataDir !== undefined ? join(opts.dataDir, 'cache') : undefined);
    if (cacheDir === undefined) throw new Error('the PostgreSQL code store needs a cacheDir (or dataDir)');
    if (!opts.pool && !opts.databaseUrl) throw new Error('the PostgreSQL code store needs a pool or a databaseUrl');
    const timers = timersOf(opts.clock);
    const pool = opts.pool ?? new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize ?? 4 });
    if (!opts.pool) pool.on('error', () => undefined); // an idle client's lost connection; the next query reconnects
    this.#pool = pool;
    this.#ownsPool = !opts.pool;
    this.#sync = opts.sync;
    this.#clock = opts.clock ?? timers;
    this.#chunkSize = chunkSize;
    this.#envelope = new CodeEnvelope(opts.keyring);
    this.#cache = new LocalCodeCache(join(cacheDir, 'code-objects'), opts.cacheMaxBytes ?? 10 * 1024 ** 3);
    this.#trees = new ExtractedCodeTrees(join(cacheDir, 'code'), (sha) => this.get(sha));
    const url = opts.databaseUrl;
    this.#index = new PgCodeIndex({
      pool,
      // LISTEN holds its connection: its own client, or one taken out of the shared pool for good.
      connectListener: async () => {
        if (url) {
          const client = new pg.Client({ connectionString: url, application_name: 'flint-code-listener' });
          await client.connect();
          return { client, end: () => client.end() };
        }
        const client = await pool.connect();
        return { client, end: async () => client.release(true) };
      },
      timers,
      reloadMs: opts.reloadMs ?? 30_000,
      onRemoved: (sha) => { this.#forget(sha, false).catch(() => undefined); },
    });
    this.#rewrap = new PgCodeKeyRewrap(pool, this.#index, this.#envelope);
  }

  /** A started store. */
  static async open(opts: PgCodeStoreOptions): Promise<PgCodeStore> {
    const store = new PgCodeStore(opts);
    try {
      await store.start();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    return store;
  }

  /** Creates the tables if needed, starts listening for other nodes' changes and loads the index. */
  async start(): Promise<void> {
    this.#started ??= (async () => {
      await ensureCodeSchema(this.#pool);
      await this.#index.open();
    })();
    return this.#started;
  }

  async close(): Promise<void> {
    await this.#rewrap.drain();
    await this.#index.close();
    if (this.#ownsPool) await this.#pool.end();
  }

  async put(zip: Buffer): Promise<StoredCode> {
    const digest = createHash('sha256').update(zip).digest();
    const sha256Hex = digest.toString('hex');
    let pending = this.#storing.get(sha256Hex);
    if (!pending) {
      pending = this.#store(zip, sha256Hex).finally(() => this.#storing.delete(sha256Hex));
      this.#storing.set(sha256Hex, pending);
    }
    const { size, unzippedSize } = await pending;
    return { sha256Hex, codeSha256: digest.toString('base64'), size, unzippedSize };
  }

  async #store(zip: Buffer, sha256Hex: string): Promise<Sizes> {
    // Stored already (here or by another node): touching `last_put_at` is the whole upload, and it
    // keeps the object from a collector that has not deleted it yet.
    const touched = await this.#touch(sha256Hex);
    if (touched) return touched;
    const unzippedSize = await this.#trees.validate(zip, sha256Hex);
    const { dataKey, wrappedKey } = this.#envelope.newDataKey(sha256Hex);
    const chunks = SealedChunks.seal(dataKey, sha256Hex, zip, this.#chunkSize);
    const now = this.#clock.now();
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      // Another node inserting the same archive now makes this insert wait for its commit, then
      // take the update branch: one object, one set of chunks, both uploads succeed.
      const { rows } = await client.query<{ inserted: boolean; wrapped_key: Buffer; chunk_size: number; chunk_count: number; unzipped_size: string }>(
        `INSERT INTO code_objects (sha256, size, unzipped_size, wrapped_key, chunk_size, chunk_count, created_at, last_put_at)
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::double precision / 1000), $8)
         ON CONFLICT (sha256) DO UPDATE SET last_put_at = EXCLUDED.last_put_at
         RETURNING (xmax = 0) AS inserted, wrapped_key, chunk_size, chunk_count, unzipped_size`,
        [sha256Hex, zip.length, unzippedSize, wrappedKey, this.#chunkSize, chunks.length, now, now],
      );
      const row = rows[0]!;
      if (row.inserted) {
        for (let i = 0; i < chunks.length; i += CHUNKS_PER_STATEMENT) {
          const batch = chunks.slice(i, i + CHUNKS_PER_STATEMENT);
          const values = batch.map((_, j) => `($1, ${i + j}, $${j + 2})`).join(', ');
          await client.query(`INSERT INTO code_chunks (sha256, idx, data) VALUES ${values}`, [sha256Hex, ...batch]);
        }
      }
      await client.query('SELECT pg_notify($1, $2)', [CODE_CHANNEL, `put ${sha256Hex}`]);
      await client.query('COMMIT');
      const entry: CodeIndexEntry = row.inserted
        ? { sha256Hex, size: zip.length, unzippedSize, wrappedKey, chunkSize: this.#chunkSize, chunkCount: chunks.length, lastPutAt: now }
        : { sha256Hex, size: zip.length, unzippedSize: Number(row.unzipped_size), wrappedKey: row.wrapped_key, chunkSize: row.chunk_size, chunkCount: row.chunk_count, lastPutAt: now };
      this.#index.set(entry);
      return entry;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async #touch(sha256Hex: string): Promise<Sizes | undefined> {
    const now = this.#clock.now();
    const { rows } = await this.#pool.query<{ size: string; unzipped_size: string; wrapped_key: Buffer; chunk_size: number; chunk_count: number }>(
      `WITH t AS (UPDATE code_objects SET last_put_at = $2 WHERE sha256 = $1 RETURNING size, unzipped_size, wrapped_key, chunk_size, chunk_count)
       SELECT t.*, pg_notify($3, $4) FROM t`,
      [sha256Hex, now, CODE_CHANNEL, `put ${sha256Hex}`],
    );
    const r = rows[0];
    if (!r) return undefined;
    const entry = { sha256Hex, size: Number(r.size), unzippedSize: Number(r.unzipped_size), wrappedKey: r.wrapped_key, chunkSize: r.chunk_size, chunkCount: r.chunk_count, lastPutAt: now };
    this.#index.set(entry);
    return entry;
  }

  /**
   * True when this node's index knows the archive (an upload on another node shows up within one
   * notification); with a sync client, an archive it does not know is looked up in PostgreSQL.
   */
  has(sha256Hex: string): boolean {
    if (this.#index.get(sha256Hex)) return true;
    if (!this.#sync || !/^[0-9a-f]{64}$/.test(sha256Hex)) return false;
    const row = this.#sync.query<IndexRow>(`SELECT ${INDEX_COLUMNS} FROM code_objects WHERE sha256 = $1`, [sha256Hex]).rows[0];
    if (row) this.#index.set(entryOf(row));
    return row !== undefined;
  }

  list(): StoredObject[] {
    return [...this.#index.entries()].map((e) => ({ sha256Hex: e.sha256Hex, size: e.size, lastPutAt: e.lastPutAt }));
  }

  /** The decrypted zip: from this node's verified disk copy, else fetched from PostgreSQL and copied. */
  async get(sha256Hex: string): Promise<Buffer> {
    let pending = this.#fetching.get(sha256Hex);
    if (!pending) {
      pending = this.#read(sha256Hex).finally(() => this.#fetching.delete(sha256Hex));
      this.#fetching.set(sha256Hex, pending);
    }
    return pending;
  }

  async #read(sha256Hex: string): Promise<Buffer> {
    const entry = this.#index.get(sha256Hex) ?? (await this.#index.refresh(sha256Hex));
    if (!entry) throw new Error(`code object ${sha256Hex} not found`);
    const dataKey = await this.#dataKey(entry);
    const copy = await this.#cache.read(sha256Hex);
    if (copy) {
      try {
        const zip = SealedChunks.open(dataKey, sha256Hex, copy, entry.size, entry.chunkSize);
        this.#stats.hits++;
        return zip;
      } catch {
        // Damaged or altered on this disk: never used, fetched again below.
        this.#stats.rejected++;
        await this.#cache.drop(sha256Hex);
      }
    }
    const sealed = await this.#fetch(entry);
    const zip = SealedChunks.open(dataKey, sha256Hex, sealed, entry.size, entry.chunkSize);
    this.#stats.fetched++;
    await this.#cache.write(sha256Hex, sealed);
    return zip;
  }

  /** The data key; a key re-wrapped by another node's rotation (the old master key retired) is re-read. */
  async #dataKey(entry: CodeIndexEntry): Promise<Buffer> {
    try {
      return this.#envelope.dataKey(entry.sha256Hex, entry.wrappedKey);
    } catch (err) {
      const fresh = await this.#index.refresh(entry.sha256Hex);
      if (!fresh || fresh.wrappedKey.equals(entry.wrappedKey)) throw err;
      return this.#envelope.dataKey(fresh.sha256Hex, fresh.wrappedKey);
    }
  }

  /**
   * The sealed chunks, a few statements in flight at once: node-pg reads results as text only (a
   * bytea comes as hex, twice its size), so decoding dominates and overlaps well with PostgreSQL's
   * work; base64 is a third smaller than hex. A missing chunk (the object removed meanwhile) fails.
   */
  async #fetch(entry: CodeIndexEntry): Promise<Buffer> {
    const parts: Buffer[] = new Array(entry.chunkCount);
    let next = 0;
    const worker = async () => {
      for (let from = next; from < entry.chunkCount; from = next) {
        next += CHUNKS_PER_FETCH;
        const { rows } = await this.#pool.query<{ idx: number; data: string }>(
          "SELECT idx, encode(data, 'base64') AS data FROM code_chunks WHERE sha256 = $1 AND idx >= $2 AND idx < $3",
          [entry.sha256Hex, from, from + CHUNKS_PER_FETCH],
        );
        for (const r of rows) parts[r.idx] = Buffer.from(r.data, 'base64');
      }
    };
    await Promise.all(Array.from({ length: FETCHES_IN_FLIGHT }, worker));
    const missing = parts.length - parts.filter(Boolean).length;
    if (missing > 0) throw new Error(`code object ${entry.sha256Hex} lacks ${missing} of its ${entry.chunkCount} chunks (removed meanwhile?)`);
    return Buffer.concat(parts);
  }

  async extracted(sha256Hex: string): Promise<string> {
    return this.#trees.extracted(sha256Hex);
  }

  async acquireExtracted(sha256Hex: string): Promise<ExtractedCode> {
    return this.#trees.acquire(sha256Hex);
  }

  /** Hashes of the trees currently extracted on this node. */
  extractedNow(): string[] {
    return this.#trees.extractedNow();
  }

  cacheStats(): CodeCacheStats {
    return { ...this.#stats };
  }

  /**
   * Deletes the object (its chunks go with it) unless it was put at or after `notPutSince` on any
   * node — PostgreSQL re-checks the condition on the row an upload just touched — then this node's
   * copies; other nodes drop theirs when the removal is announced.
   */
  async remove(sha256Hex: string, notPutSince: number): Promise<boolean> {
    if (this.#storing.has(sha256Hex)) return false;
    const { rowCount } = await this.#pool.query(
      `WITH d AS (DELETE FROM code_objects WHERE sha256 = $1 AND last_put_at < $2 RETURNING sha256)
       SELECT pg_notify($3, 'remove ' || d.sha256) FROM d`,
      [sha256Hex, notPutSince, CODE_CHANNEL],
    );
    if (!rowCount) return false;
    await this.#forget(sha256Hex, true);
    return true;
  }

  /** Drops this node's copies of a removed object; a removal seen from afar spares a tree in use. */
  async #forget(sha256Hex: string, local: boolean): Promise<void> {
    this.#index.delete(sha256Hex);
    await this.#cache.drop(sha256Hex);
    if (local || !this.#trees.inUse(sha256Hex)) await this.#trees.drop(sha256Hex);
  }

  countStale(): number {
    return this.#rewrap.countStale();
  }

  /** Re-wraps up to `limit` stale data keys (PgCodeKeyRewrap: written in the background, see `settle`). */
  rewrapStale(limit: number): number {
    return this.#rewrap.rewrapStale(limit);
  }

  /** Waits for re-wraps to reach PostgreSQL and reloads the index (MasterKeyRotation calls it after each batch). */
  async settle(): Promise<void> {
    await this.#rewrap.settle();
  }
}

function timersOf(clock: Clock | undefined): TimerClock {
  if (clock && 'setInterval' in clock && 'clearTimer' in clock) return clock as TimerClock;
  return {
    now: () => (clock ? clock.now() : Date.now()),
    monotonic: () => (clock ? clock.monotonic() : performance.now()),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearTimer: (t) => clearTimeout(t as NodeJS.Timeout),
  };
}
