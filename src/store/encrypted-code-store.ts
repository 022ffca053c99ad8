import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { CodeStore, StoredCode, StoredObject } from '../ports/code-store.js';
import { extractZip } from './zip-archive.js';

/**
 * Archives stored once per SHA-256, encrypted with AES-256-GCM under a fresh data key per object;
 * the data key is stored wrapped (AES-256-GCM) by the master key — envelope encryption as KMS does
 * it for Lambda. Extracted trees are cached under `cache/<sha>` for execution environments.
 */
export class EncryptedCodeStore implements CodeStore {
  readonly #dir: string;
  readonly #cacheDir: string;
  readonly #masterKey: Buffer;
  readonly #db: Database.Database;
  readonly #extracting = new Map<string, Promise<string>>();
  /** One writer per content address: concurrent uploads of the same archive share one store. */
  readonly #storing = new Map<string, Promise<StoredCode>>();
  /** File removals in progress: an upload of the same bytes waits for them before writing. */
  readonly #removing = new Map<string, Promise<void>>();
  readonly #now: () => number;

  constructor(opts: { dataDir: string; masterKey: Buffer; db: Database.Database; now?: () => number }) {
    if (opts.masterKey.length !== 32) throw new Error('the master key must be 32 bytes');
    this.#dir = join(opts.dataDir, 'code');
    this.#cacheDir = join(opts.dataDir, 'cache', 'code');
    this.#masterKey = opts.masterKey;
    this.#db = opts.db;
    this.#now = opts.now ?? Date.now;
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
    // Validate by extracting into the cache: a bad archive is rejected before anything is stored.
    const staging = join(this.#cacheDir, `.staging-${sha256Hex}-${randomBytes(4).toString('hex')}`);
    let unzippedSize: number;
    try {
      unzippedSize = await extractZip(zip, staging);
      await this.#publishExtracted(staging, sha256Hex);
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
      .run(sha256Hex, zip.length, unzippedSize, seal(this.#masterKey, dataKey), new Date(this.#now()).toISOString(), this.#now());
    return { sha256Hex, codeSha256: digest.toString('base64'), size: zip.length, unzippedSize };
  }

  has(sha256Hex: string): boolean {
    return this.#db.prepare('SELECT 1 FROM code_objects WHERE sha256 = ?').get(sha256Hex) !== undefined;
  }

  async get(sha256Hex: string): Promise<Buffer> {
    const row = this.#db.prepare('SELECT wrapped_key FROM code_objects WHERE sha256 = ?').get(sha256Hex) as { wrapped_key: Buffer } | undefined;
    if (!row) throw new Error(`code object ${sha256Hex} not found`);
    const dataKey = open(this.#masterKey, row.wrapped_key);
    return open(dataKey, await readFile(this.#objectPath(sha256Hex)));
  }

  async extracted(sha256Hex: string): Promise<string> {
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
