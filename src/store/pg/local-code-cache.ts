import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A node's disk copies of code objects fetched from the shared store, one file per content address
 * holding the sealed chunks end to end — still encrypted, so the cache is no weaker at rest than the
 * store, and it survives restarts (unlike extracted trees). The cache does not vouch for what it
 * returns: the code store opens and hashes it before use and drops a copy that fails.
 */
export class LocalCodeCache {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  path(sha256Hex: string): string {
    return join(this.#dir, `${sha256Hex}.sealed`);
  }

  /** The cached sealed bytes, or undefined when there is no copy. */
  async read(sha256Hex: string): Promise<Buffer | undefined> {
    return readFile(this.path(sha256Hex)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  /** Written to a temporary name and renamed: a reader sees the whole copy or none. */
  async write(sha256Hex: string, sealed: Buffer): Promise<void> {
    const tmp = `${this.path(sha256Hex)}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, sealed, { mode: 0o600 });
      await rename(tmp, this.path(sha256Hex));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async drop(sha256Hex: string): Promise<void> {
    await rm(this.path(sha256Hex), { force: true });
  }
}
