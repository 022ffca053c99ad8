import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import type { Collection, MetadataStore } from '../ports/metadata-store.js';
import { MIGRATIONS } from './migrations.js';

/**
 * MetadataStore on SQLite (WAL). Documents are JSON text in one table keyed by (collection, key);
 * prefix listing uses the primary-key index. Migrations run in order, each once, each in a transaction.
 *
 * `get` keeps the JSON text of the documents it read (and which keys are absent): every Invoke
 * reads the same few documents (function, version, alias, concurrency, async config), and the
 * SQLite lookup costs ~4× the parse. Each get still parses, so callers get their own object. The
 * text is replaced on every put/insert/delete through this store, and all of it is dropped when a
 * transaction rolls back. It assumes, as Flint does, that one process owns the data directory:
 * nothing else writes the `documents` table (the event queue's connection writes only its own).
 */
export class SqliteMetadataStore implements MetadataStore {
  readonly db: Database.Database;
  readonly #collections = new Map<string, SqliteCollection<unknown>>();
  /** The transaction wrapper, made on first use (see `transaction`). */
  #tx: Database.Transaction<(f: () => unknown) => unknown> | undefined;

  constructor(file: string) {
    // Created 0600 before SQLite opens it: its -wal and -shm files take the database file's mode.
    if (file !== ':memory:') closeSync(openSync(file, 'a', 0o600));
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.#migrate();
  }

  #migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const done = new Set(this.db.prepare('SELECT id FROM schema_migrations').all().map((r) => (r as { id: number }).id));
    for (const m of MIGRATIONS) {
      if (done.has(m.id)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, new Date().toISOString());
      })();
    }
  }

  collection<T>(name: string): Collection<T> {
    let c = this.#collections.get(name);
    if (!c) {
      c = new SqliteCollection<unknown>(this.db, name);
      this.#collections.set(name, c);
    }
    return c as Collection<T>;
  }

  transaction<R>(fn: () => R): R {
    try {
      // One wrapper made once (better-sqlite3 builds four per transaction() call); nested calls
      // still become savepoints, decided when called.
      this.#tx ??= this.db.transaction(<R>(f: () => R): R => f());
      return this.#tx.immediate(fn) as R;
    } catch (err) {
      // Rolled back (this level, or all of it): what the cache learnt from its writes is void.
      for (const c of this.#collections.values()) c.forget();
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }
}

/** Bound on the cached document texts of one collection (a safety net: Flint reads few documents per invoke). */
const MAX_CACHED_PER_COLLECTION = 10_000;

class SqliteCollection<T> implements Collection<T> {
  readonly #name: string;
  /** Key → the document's JSON text, or null when it is known to be absent. */
  readonly #texts = new Map<string, string | null>();
  readonly #get: Database.Statement;
  readonly #put: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #list: Database.Statement;
  readonly #count: Database.Statement;

  constructor(db: Database.Database, name: string) {
    this.#name = name;
    this.#get = db.prepare('SELECT value FROM documents WHERE collection = ? AND key = ?');
    this.#put = db.prepare('INSERT INTO documents (collection, key, value) VALUES (?, ?, ?) ON CONFLICT (collection, key) DO UPDATE SET value = excluded.value');
    this.#insert = db.prepare('INSERT OR IGNORE INTO documents (collection, key, value) VALUES (?, ?, ?)');
    this.#delete = db.prepare('DELETE FROM documents WHERE collection = ? AND key = ?');
    this.#list = db.prepare('SELECT key, value FROM documents WHERE collection = ? AND key >= ? AND key < ? AND key > ? ORDER BY key LIMIT ?');
    this.#count = db.prepare('SELECT COUNT(*) AS n FROM documents WHERE collection = ? AND key >= ? AND key < ?');
  }

  get(key: string): T | undefined {
    let text = this.#texts.get(key);
    if (text === undefined) {
      const row = this.#get.get(this.#name, key) as { value: string } | undefined;
      text = row ? row.value : null;
      if (this.#texts.size >= MAX_CACHED_PER_COLLECTION) this.#texts.clear();
      this.#texts.set(key, text);
    }
    return text === null ? undefined : (JSON.parse(text) as T);
  }

  put(key: string, value: T): void {
    const text = JSON.stringify(value);
    this.#texts.delete(key);
    this.#put.run(this.#name, key, text);
    this.#texts.set(key, text);
  }

  insert(key: string, value: T): boolean {
    this.#texts.delete(key);
    return this.#insert.run(this.#name, key, JSON.stringify(value)).changes === 1;
  }

  delete(key: string): boolean {
    this.#texts.delete(key);
    return this.#delete.run(this.#name, key).changes === 1;
  }

  /** Drops every cached document text (after a rollback). */
  forget(): void {
    this.#texts.clear();
  }

  list(prefix = '', opts: { after?: string; limit?: number } = {}): Array<{ key: string; value: T }> {
    const rows = this.#list.all(this.#name, prefix, upperBound(prefix), opts.after ?? '', opts.limit ?? -1) as Array<{ key: string; value: string }>;
    return rows.filter((r) => opts.after === undefined || r.key > opts.after).map((r) => ({ key: r.key, value: JSON.parse(r.value) as T }));
  }

  count(prefix = ''): number {
    return (this.#count.get(this.#name, prefix, upperBound(prefix)) as { n: number }).n;
  }
}

/** The smallest string greater than every string starting with `prefix`. */
function upperBound(prefix: string): string {
  return prefix + '\u{10FFFF}';
}
