import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { CodeStore, StoredCode, StoredObject } from '../ports/code-store.js';
import type { MasterKeyring, MasterWrappedStore } from '../ports/master-keyring.js';
import { extractZip } from './zip-archive.js';
import { FileMasterKeyring } from './file-master-keyring.js';
import { BLOB_LEGACY } from './master-key-blob.js';

/** A data key wrapped the way this store did before master keys had ids: iv (12) ‖ tag (16) ‖ 32 bytes. */
const LEGACY_WRAPPED_KEY_LENGTH = 60;

/** An extracted tree held for an execution environment; `release` once the environment is gone. */
export interface ExtractedCode {
  dir: string;
  release(): Promise<void>;
}

/**
 * Archives stored once per SHA-256, encrypted with AES-256-GCM under a fresh data key per object;
 * the data key is stored wrapped by the master keyring (bound to the object's digest) — envelope
 * encryption as KMS does it for Lambda. Extracted trees live under `cache/code/<sha>` only while an
 * environment uses them: the cache is emptied at start, validation extracts into a staging tree that
 * is removed at once, and a tree taken with `acquireExtracted` is removed at its last release.
 * Also a MasterWrappedStore: master-key rotation re-wraps the data keys in batches.
 */
export class EncryptedCodeStore implements CodeStore, MasterWrappedStore {
  readonly name = 'code objects';
  readonly #dir: string;
  readonly #cacheDir: string;
  readonly #keyring: MasterKeyring;
  readonly #db: Database.Database;
  /** Environments holding each extracted tree (acquireExtracted). */
  readonly #users = new Map<string, number>();
  /** Trees handed out by `extracted()`, whose users this store cannot see: kept until removed or restart. */
  readonly #pinned = new Set<string>();
  readonly #dropping = new Map<string, Promise<void>>();
  readonly #extracting = new Map<string, Promise<string>>();
  /** One writer per content address: concurrent uploads of the same archive share one store. */
  readonly #storing = new Map<string, Promise<StoredCode>>();
  /** File removals in progress: an upload of the same bytes waits for them before writing. */
  readonly #removing = new Map<string, Promise<void>>();
  readonly #now: () => number;

  /** `masterKey` (one key, id 0) is for tests and tools; the server passes its rotating `keyring`. */
  constructor(opts: { dataDir: string; keyring?: MasterKeyring; masterKey?: Buffer; db: Database.Database; now?: () => number }) {
    if (opts.masterKey && opts.masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    const keyring = opts.keyring ?? (opts.masterKey ? FileMasterKeyring.open({ kind: 'env', hex: opts.masterKey.toString('hex') }) : undefined);
    if (!keyring) throw new Error('the code store needs a master keyring');
    this.#dir = join(opts.dataDir, 'code');
    this.#cacheDir = join(opts.dataDir, 'cache', 'code');
    this.#keyring = keyring;
    this.#db = opts.db;
    this.#now = opts.now ?? Date.now;
    this.#relabelLegacyKeys();
    // No environment runs before the store exists: plaintext trees left by a previous run go now.
    rmSync(this.#cacheDir, { recursive: true, force: true });
    mkdirSync(this.#cacheDir, { recursive: true, mode: 0o700 });
  }

  /**
   * Data keys wrapped before master keys had ids carry no header: give them the legacy label (a
   * byte, no re-encryption) so the keyring knows them as master key 0's and rotation re-wraps them.
   */
  #relabelLegacyKeys(): void {
    const rows = this.#db.prepare('SELECT sha256, wrapped_key FROM code_objects WHERE length(wrapped_key) = ?').all(LEGACY_WRAPPED_KEY_LENGTH) as Array<{ sha256: string; wrapped_key: Buffer }>;
    if (rows.length === 0) return;
    const update = this.#db.prepare('UPDATE code_objects SET wrapped_key = ? WHERE sha256 = ? AND length(wrapped_key) = ?');
    this.#db.transaction(() => {
      for (const r of rows) update.run(Buffer.concat([Buffer.from([BLOB_LEGACY]), r.wrapped_key]), r.sha256, LEGACY_WRAPPED_KEY_LENGTH);
    })();
  }

  countStale(): number {
    let n = 0;
    for (const r of this.#db.prepare('SELECT wrapped_key FROM code_objects').iterate() as Iterable<{ wrapped_key: Buffer }>) if (this.#keyring.isStale(r.wrapped_key)) n++;
    return n;
  }

  /** Re-wraps up to `limit` data keys under the current master key, in one transaction. */
  rewrapStale(limit: number): number {
    return this.#db.transaction(() => {
      const update = this.#db.prepare('UPDATE code_objects SET wrapped_key = ? WHERE sha256 = ?');
      let n = 0;
      for (const r of this.#db.prepare('SELECT sha256, wrapped_key FROM code_objects').all() as Array<{ sha256: string; wrapped_key: Buffer }>) {
        if (n >= limit) break;
        if (!this.#keyring.isStale(r.wrapped_key)) continue;
        const ctx = wrapContext(r.sha256);
        update.run(this.#keyring.wrap(this.#keyring.unwrap(r.wrapped_key, ctx), ctx), r.sha256);
        n++;
      }
      return n;
    })();
  }

  async put(zip: Buffer): Promise<StoredCode> {
    const digest = createHash('sha256').update(zip).digest();
    const sha256Hex = digest.toString('hex');
    let pending = this.#storing.get(sha256Hex);
    if (!pending) {
      const removing = this.#removing.get(sha256Hex);
      pending = (removing ? removing.then(() => this.#store(zip, digest)) : this.#store(zip, digest)).finally(() => this.#storing.delete(sha256Hex));
      this.#storing.set(sha256Hex, pending);
    }
    return pending;
  }

  async #store(zip: Buffer, digest: Buffer): Promise<StoredCode> {
    const sha256Hex = digest.toString('hex');
    // Touching the row and reading it in one synchronous step: the collector's conditional delete
    // either ran before (the row is gone and the archive is stored anew) or sees the fresh time.
    const row = this.#db
      .prepare('UPDATE code_objects SET last_put_at = ? WHERE sha256 = ? RETURNING size, unzipped_size')
      .get(this.#now(), sha256Hex) as { size: number; unzipped_size: number } | undefined;
    if (row) {
      return { sha256Hex, codeSha256: digest.toString('base64'), size: row.size, unzippedSize: row.unzipped_size };
    }
    // Validate by extracting: a bad archive is rejected before anything is stored. The tree is not
    // kept: plaintext code sits in the cache only while an environment uses it.
    const staging = join(this.#cacheDir, `.staging-${sha256Hex}-${randomBytes(4).toString('hex')}`);
    let unzippedSize: number;
    try {
      unzippedSize = await extractZip(zip, staging);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    const dataKey = randomBytes(32);
    await mkdir(this.#objectDir(sha256Hex), { recursive: true });
    const tmp = `${this.#objectPath(sha256Hex)}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, seal(dataKey, zip), { mode: 0o600 });
    await rename(tmp, this.#objectPath(sha256Hex));
    this.#db
      .prepare('INSERT OR IGNORE INTO code_objects (sha256, size, unzipped_size, wrapped_key, created_at, last_put_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sha256Hex, zip.length, unzippedSize, this.#keyring.wrap(dataKey, wrapContext(sha256Hex)), new Date(this.#now()).toISOString(), this.#now());
    return { sha256Hex, codeSha256: digest.toString('base64'), size: zip.length, unzippedSize };
  }

  has(sha256Hex: string): boolean {
    return this.#db.prepare('SELECT 1 FROM code_objects WHERE sha256 = ?').get(sha256Hex) !== undefined;
  }

  async get(sha256Hex: string): Promise<Buffer> {
    const row = this.#db.prepare('SELECT wrapped_key FROM code_objects WHERE sha256 = ?').get(sha256Hex) as { wrapped_key: Buffer } | undefined;
    if (!row) throw new Error(`code object ${sha256Hex} not found`);
    const dataKey = this.#keyring.unwrap(row.wrapped_key, wrapContext(sha256Hex));
    return open(dataKey, await readFile(this.#objectPath(sha256Hex)));
  }

  async extracted(sha256Hex: string): Promise<string> {
    this.#pinned.add(sha256Hex);
    return this.#extract(sha256Hex);
  }

  /**
   * The extracted tree for one environment: extracted on first use, shared by every environment of
   * the same code, and removed when the last of them releases it (unless `extracted()` pinned it).
   */
  async acquireExtracted(sha256Hex: string): Promise<ExtractedCode> {
    this.#users.set(sha256Hex, (this.#users.get(sha256Hex) ?? 0) + 1);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      const left = (this.#users.get(sha256Hex) ?? 1) - 1;
      if (left > 0) {
        this.#users.set(sha256Hex, left);
        return;
      }
      this.#users.delete(sha256Hex);
      if (this.#pinned.has(sha256Hex)) return;
      const drop = rm(join(this.#cacheDir, sha256Hex), { recursive: true, force: true }).finally(() => {
        if (this.#dropping.get(sha256Hex) === drop) this.#dropping.delete(sha256Hex);
      });
      this.#dropping.set(sha256Hex, drop);
      await drop;
    };
    try {
      await this.#dropping.get(sha256Hex);
      return { dir: await this.#extract(sha256Hex), release };
    } catch (err) {
      await release();
      throw err;
    }
  }

  /** Hashes of the trees currently extracted under cache/code. */
  extractedNow(): string[] {
    return [...this.#users.keys(), ...this.#pinned].filter((v, i, a) => a.indexOf(v) === i);
  }

  async #extract(sha256Hex: string): Promise<string> {
    const dir = join(this.#cacheDir, sha256Hex);
    if (await exists(dir)) return dir;
    let pending = this.#extracting.get(sha256Hex);
    if (!pending) {
      pending = (async () => {
        const staging = join(this.#cacheDir, `.staging-${sha256Hex}-${randomBytes(4).toString('hex')}`);
        try {
          await extractZip(await this.get(sha256Hex), staging);
          await this.#publishExtracted(staging, sha256Hex);
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
        return dir;
      })().finally(() => this.#extracting.delete(sha256Hex));
      this.#extracting.set(sha256Hex, pending);
    }
    return pending;
  }

  list(): StoredObject[] {
    return (this.#db.prepare('SELECT sha256, size, last_put_at FROM code_objects').all() as Array<{ sha256: string; size: number; last_put_at: number }>)
      .map((r) => ({ sha256Hex: r.sha256, size: r.size, lastPutAt: r.last_put_at }));
  }

  async remove(sha256Hex: string, notPutSince: number): Promise<boolean> {
    if (this.#storing.has(sha256Hex)) return false;
    const deleted = this.#db.prepare('DELETE FROM code_objects WHERE sha256 = ? AND last_put_at < ?').run(sha256Hex, notPutSince).changes > 0;
    if (!deleted) return false;
    this.#pinned.delete(sha256Hex);
    const files = (async () => {
      await rm(this.#objectPath(sha256Hex), { force: true });
      await rm(join(this.#cacheDir, sha256Hex), { recursive: true, force: true });
    })().finally(() => this.#removing.delete(sha256Hex));
    this.#removing.set(sha256Hex, files);
    await files;
    return true;
  }

  async #publishExtracted(staging: string, sha256Hex: string): Promise<void> {
    const dir = join(this.#cacheDir, sha256Hex);
    if (await exists(dir)) return;
    await rename(staging, dir).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
    });
  }

  #objectDir(sha: string): string {
    return join(this.#dir, sha.slice(0, 2));
  }

  #objectPath(sha: string): string {
    return join(this.#objectDir(sha), `${sha}.enc`);
  }
}

/** Binds a wrapped data key to its object: a key row moved to another object does not open. */
function wrapContext(sha256Hex: string): string {
  return `flint code object ${sha256Hex}`;
}

/** AES-256-GCM: iv (12) ‖ tag (16) ‖ ciphertext. */
function seal(key: Buffer, plain: Buffer): Buffer {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, c.getAuthTag(), body]);
}

function open(key: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  d.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}
