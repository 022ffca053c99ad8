import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SUFFIX = '.sealed';

/**
 * A node's disk copies of code objects fetched from the shared store, one file per content address
 * holding the sealed chunks end to end — still encrypted, so the cache is no weaker at rest than the
 * store, and it survives restarts (unlike extracted trees). Bounded by `maxBytes`: past it, the
 * copies used longest ago go (a later use fetches them again). The cache does not vouch for what it
 * returns: the code store opens and hashes a copy before use and drops one that fails.
 */
export class LocalCodeCache {
  readonly #dir: string;
  readonly #maxBytes: number;
  /** Copies on disk, least recently used first (a Map keeps insertion order; a use re-inserts). */
  readonly #copies = new Map<string, number>();
  #bytes = 0;

  constructor(dir: string, maxBytes: number) {
    this.#dir = dir;
    this.#maxBytes = maxBytes;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Copies kept from an earlier run count from the start (in no particular order); half-written
    // temporary files of a run that died go.
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (name.endsWith(SUFFIX)) this.#note(name.slice(0, -SUFFIX.length), statSync(p).size);
      else if (name.endsWith('.tmp')) rmSync(p, { force: true });
    }
  }

  path(sha256Hex: string): string {
    return join(this.#dir, `${sha256Hex}${SUFFIX}`);
  }

  /** Bytes of copies on disk. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The cached sealed bytes, or undefined when there is no copy. */
  async read(sha256Hex: string): Promise<Buffer | undefined> {
    const bytes = await readFile(this.path(sha256Hex)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (bytes) this.#note(sha256Hex, bytes.length);
    else this.#forget(sha256Hex);
    return bytes;
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
    this.#note(sha256Hex, sealed.length);
    await this.#evict(sha256Hex);
  }

  async drop(sha256Hex: string): Promise<void> {
    this.#forget(sha256Hex);
    await rm(this.path(sha256Hex), { force: true });
  }

  /** Drops the least recently used copies until the cache fits, never the one just written. */
  async #evict(keep: string): Promise<void> {
    for (const [sha] of this.#copies) {
      if (this.#bytes <= this.#maxBytes) return;
      if (sha !== keep) await this.drop(sha);
    }
  }

  #note(sha256Hex: string, size: number): void {
    this.#forget(sha256Hex);
    this.#copies.set(sha256Hex, size);
    this.#bytes += size;
  }

  #forget(sha256Hex: string): void {
    const size = this.#copies.get(sha256Hex);
    if (size === undefined) return;
    this.#copies.delete(sha256Hex);
    this.#bytes -= size;
  }
}
