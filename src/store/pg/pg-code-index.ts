import type pg from 'pg';
import type { Timer, TimerClock } from '../../ports/clock.js';
import { CODE_CHANNEL } from './pg-code-schema.js';

/** One archive as the index table holds it. */
export interface CodeIndexEntry {
  sha256Hex: string;
  size: number;
  unzippedSize: number;
  wrappedKey: Buffer;
  chunkSize: number;
  chunkCount: number;
  lastPutAt: number;
}

/** A connection held for LISTEN, and how to let it go. */
export interface ListenerConnection {
  client: pg.ClientBase;
  end(): Promise<void>;
}

/** A row of `code_objects` as pg returns it (bigints as strings). */
export interface IndexRow {
  sha256: string;
  size: string;
  unzipped_size: string;
  wrapped_key: Buffer;
  chunk_size: number;
  chunk_count: number;
  last_put_at: string;
}

export const INDEX_COLUMNS = 'sha256, size, unzipped_size, wrapped_key, chunk_size, chunk_count, last_put_at';

/**
 * This node's copy of the `code_objects` index, so the CodeStore port's synchronous `has`/`list`
 * (the code download route, the collector) and the rotation's synchronous `countStale` answer
 * without a database round trip. Loaded in full when the store opens; kept current by PostgreSQL
 * LISTEN/NOTIFY (every put and removal on any node is announced on CODE_CHANNEL, each announced row
 * is re-read), with a full reload on a timer and after the listening connection is lost, as
 * notifications sent while it was down are gone. Bounded staleness: an archive put on another node
 * appears here one notification later (milliseconds), at worst one reload period later.
 */
export class PgCodeIndex {
  readonly #pool: pg.Pool;
  readonly #connectListener: () => Promise<ListenerConnection>;
  readonly #timers: TimerClock;
  readonly #reloadMs: number;
  readonly #onRemoved: (sha256Hex: string) => void;
  #entries = new Map<string, CodeIndexEntry>();
  /** Changes learnt while a full reload runs: applied over its (possibly older) result. */
  #changed: Map<string, CodeIndexEntry | null> | undefined;
  #reloading: Promise<void> | undefined;
  #reloadAgain = false;
  /** Notifications are handled one at a time, in the order sent. */
  #notified: Promise<void> = Promise.resolve();
  #listener: ListenerConnection | undefined;
  #reloadTimer: Timer | undefined;
  #retryTimer: Timer | undefined;
  #closed = false;

  constructor(opts: { pool: pg.Pool; connectListener: () => Promise<ListenerConnection>; timers: TimerClock; reloadMs: number; onRemoved: (sha256Hex: string) => void }) {
    this.#pool = opts.pool;
    this.#connectListener = opts.connectListener;
    this.#timers = opts.timers;
    this.#reloadMs = opts.reloadMs;
    this.#onRemoved = opts.onRemoved;
  }

  /** Starts listening, then loads the whole index (listening first: nothing put in between is missed). */
  async open(): Promise<void> {
    await this.#listen();
    await this.reload();
    this.#reloadTimer = this.#timers.setInterval(() => { this.reload().catch(() => undefined); }, this.#reloadMs).unref();
  }

  get(sha256Hex: string): CodeIndexEntry | undefined {
    return this.#entries.get(sha256Hex);
  }

  entries(): IterableIterator<CodeIndexEntry> {
    return this.#entries.values();
  }

  /** A change this node made (its own put, removal or re-wrap), known before the notification. */
  set(entry: CodeIndexEntry): void {
    this.#entries.set(entry.sha256Hex, entry);
    this.#changed?.set(entry.sha256Hex, entry);
  }

  delete(sha256Hex: string): void {
    this.#entries.delete(sha256Hex);
    this.#changed?.set(sha256Hex, null);
  }

  /** Re-reads one row (absent: removed). */
  async refresh(sha256Hex: string): Promise<CodeIndexEntry | undefined> {
    const { rows } = await this.#pool.query<IndexRow>(`SELECT ${INDEX_COLUMNS} FROM code_objects WHERE sha256 = $1`, [sha256Hex]);
    const entry = rows[0] ? entryOf(rows[0]) : undefined;
    if (entry) this.set(entry);
    else this.delete(sha256Hex);
    return entry;
  }

  /** Reloads the whole index; concurrent calls share one reload (and one more after it, if asked meanwhile). */
  async reload(): Promise<void> {
    if (this.#reloading) {
      this.#reloadAgain = true;
      return this.#reloading;
    }
    this.#reloading = (async () => {
      do {
        this.#reloadAgain = false;
        this.#changed = new Map();
        try {
          const { rows } = await this.#pool.query<IndexRow>(`SELECT ${INDEX_COLUMNS} FROM code_objects`);
          const next = new Map(rows.map((r) => [r.sha256, entryOf(r)] as const));
          for (const [sha, e] of this.#changed) {
            if (e) next.set(sha, e);
            else next.delete(sha);
          }
          this.#entries = next;
        } finally {
          this.#changed = undefined;
        }
      } while (this.#reloadAgain && !this.#closed);
    })().finally(() => { this.#reloading = undefined; });
    return this.#reloading;
  }

  /** Resolves once every notification received so far has been applied (tests, rotation). */
  async settled(): Promise<void> {
    await this.#notified;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#reloadTimer) this.#timers.clearTimer(this.#reloadTimer);
    if (this.#retryTimer) this.#timers.clearTimer(this.#retryTimer);
    await this.#reloading?.catch(() => undefined);
    await this.#notified;
    const l = this.#listener;
    this.#listener = undefined;
    await l?.end().catch(() => undefined);
  }

  async #listen(): Promise<void> {
    const conn = await this.#connectListener();
    const { client } = conn;
    client.on('notification', (n) => {
      if (n.channel !== CODE_CHANNEL || !n.payload) return;
      const [kind, sha] = n.payload.split(' ');
      if (!sha) return;
      this.#notified = this.#notified.then(() => this.#apply(kind!, sha)).catch(() => undefined);
    });
    // A lost connection loses the notifications sent meanwhile: reconnect, then reload in full.
    const lost = () => {
      if (this.#listener !== conn || this.#closed) return;
      this.#listener = undefined;
      conn.end().catch(() => undefined);
      this.#retry();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.query(`LISTEN ${CODE_CHANNEL}`);
    } catch (err) {
      await conn.end().catch(() => undefined);
      throw err;
    }
    this.#listener = conn;
  }

  #retry(): void {
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#listen().then(() => this.reload()).catch(() => this.#retry());
    }, 1000).unref();
  }

  async #apply(kind: string, sha256Hex: string): Promise<void> {
    if (kind === 'remove') {
      // Removed on another node (the collector): its local copies go too.
      this.delete(sha256Hex);
      this.#onRemoved(sha256Hex);
      return;
    }
    await this.refresh(sha256Hex);
  }
}

export function entryOf(r: IndexRow): CodeIndexEntry {
  return {
    sha256Hex: r.sha256,
    size: Number(r.size),
    unzippedSize: Number(r.unzipped_size),
    wrappedKey: Buffer.from(r.wrapped_key), // (a Uint8Array when it crossed a thread)
    chunkSize: r.chunk_size,
    chunkCount: r.chunk_count,
    lastPutAt: Number(r.last_put_at),
  };
}
