import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { CodeStore, StoredCode, StoredObject } from '../ports/code-store.js';
import type { MasterKeyring, MasterWrappedStore } from '../ports/master-keyring.js';
import { FileMasterKeyring } from './file-master-keyring.js';
import { BLOB_LEGACY } from './master-key-blob.js';
import { CodeEnvelope } from './code-envelope.js';
import { ExtractedCodeTrees, type ExtractedCode } from './extracted-code-trees.js';

export type { ExtractedCode } from './extracted-code-trees.js';

/** A data key wrapped the way this store did before master keys had ids: iv (12) ‖ tag (16) ‖ 32 bytes. */
const LEGACY_WRAPPED_KEY_LENGTH = 60;

/**
 * Archives stored once per SHA-256 as files, sealed under a fresh data key per object whose wrapped
 * form sits in the SQLite index (CodeEnvelope: envelope encryption as KMS does it for Lambda).
 * Extracted trees live under `cache/code/<sha>` only while an environment uses them
 * (ExtractedCodeTrees). Also a MasterWrappedStore: master-key rotation re-wraps the data keys in
 * batches.
 */
export class EncryptedCodeStore implements CodeStore, MasterWrappedStore {
  readonly name = 'code objects';
  readonly #dir: string;
  readonly #envelope: CodeEnvelope;
  readonly #trees: ExtractedCodeTrees;
  readonly #db: Database.Database;
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
    this.#envelope = new CodeEnvelope(keyring);
    this.#db = opts.db;
    this.#now = opts.now ?? Date.now;
    this.#relabelLegacyKeys();
    this.#trees = new ExtractedCodeTrees(join(opts.dataDir, 'cache', 'code'), (sha) => this.get(sha));
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
    for (const r of this.#db.prepare('SELECT wrapped_key FROM code_objects').iterate() as Iterable<{ wrapped_key: Buffer }>) if (this.#envelope.isStale(r.wrapped_key)) n++;
    return n;
  }

  /** Re-wraps up to `limit` data keys under the current master key, in one transaction. */
  rewrapStale(limit: number): number {
    return this.#db.transaction(() => {
      const update = this.#db.prepare('UPDATE code_objects SET wrapped_key = ? WHERE sha256 = ?');
      let n = 0;
      for (const r of this.#db.prepare('SELECT sha256, wrapped_key FROM code_objects').all() as Array<{ sha256: string; wrapped_key: Buffer }>) {
        if (n >= limit) break;
        if (!this.#envelope.isStale(r.wrapped_key)) continue;
        update.run(this.#envelope.rewrap(r.sha256, r.wrapped_key), r.sha256);
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
    // Validate by extracting: a bad archive is rejected before anything is stored.
    const unzippedSize = await this.#trees.validate(zip, sha256Hex);
    const { dataKey, wrappedKey } = this.#envelope.newDataKey(sha256Hex);
    await mkdir(this.#objectDir(sha256Hex), { recursive: true });
    const tmp = `${this.#objectPath(sha256Hex)}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, CodeEnvelope.seal(dataKey, zip), { mode: 0o600 });
    await rename(tmp, this.#objectPath(sha256Hex));
    this.#db
      .prepare('INSERT OR IGNORE INTO code_objects (sha256, size, unzipped_size, wrapped_key, created_at, last_put_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sha256Hex, zip.length, unzippedSize, wrappedKey, new Date(this.#now()).toISOString(), this.#now());
    return { sha256Hex, codeSha256: digest.toString('base64'), size: zip.length, unzippedSize };
  }

  has(sha256Hex: string): boolean {
    return this.#db.prepare('SELECT 1 FROM code_objects WHERE sha256 = ?').get(sha256Hex) !== undefined;
  }

  async get(sha256Hex: string): Promise<Buffer> {
    const row = this.#db.prepare('SELECT wrapped_key FROM code_objects WHERE sha256 = ?').get(sha256Hex) as { wrapped_key: Buffer } | undefined;
    if (!row) throw new Error(`code object ${sha256Hex} not found`);
    return CodeEnvelope.open(this.#envelope.dataKey(sha256Hex, row.wrapped_key), await readFile(this.#objectPath(sha256Hex)));
  }

  async extracted(sha256Hex: string): Promise<string> {
    return this.#trees.extracted(sha256Hex);
  }

  /** The extracted tree for one environment (see ExtractedCodeTrees.acquire). */
  async acquireExtracted(sha256Hex: string): Promise<ExtractedCode> {
    return this.#trees.acquire(sha256Hex);
  }

  /** Hashes of the trees currently extracted under cache/code. */
  extractedNow(): string[] {
    return this.#trees.extractedNow();
  }

  list(): StoredObject[] {
    return (this.#db.prepare('SELECT sha256, size, last_put_at FROM code_objects').all() as Array<{ sha256: string; size: number; last_put_at: number }>)
      .map((r) => ({ sha256Hex: r.sha256, size: r.size, lastPutAt: r.last_put_at }));
  }

  async remove(sha256Hex: string, notPutSince: number): Promise<boolean> {
    if (this.#storing.has(sha256Hex)) return false;
    const deleted = this.#db.prepare('DELETE FROM code_objects WHERE sha256 = ? AND last_put_at < ?').run(sha256Hex, notPutSince).changes > 0;
    if (!deleted) return false;
    const files = (async () => {
      await rm(this.#objectPath(sha256Hex), { force: true });
      await this.#trees.drop(sha256Hex);
    })().finally(() => this.#removing.delete(sha256Hex));
    this.#removing.set(sha256Hex, files);
    await files;
    return true;
  }

  #objectDir(sha: string): string {
    return join(this.#dir, sha.slice(0, 2));
  }

  #objectPath(sha: string): string {
    return join(this.#objectDir(sha), `${sha}.enc`);
  }
}
