import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { extractZip } from './zip-archive.js';

/** An extracted tree held for an execution environment; `release` once the environment is gone. */
export interface ExtractedCode {
  dir: string;
  release(): Promise<void>;
}

/**
 * The plaintext side of a code store: extracted trees under `cacheDir/<sha>` that exist only while
 * an environment uses them. The folder is emptied when the store opens (no environment runs before
 * it exists), validation extracts into a staging tree removed at once, and a tree taken with
 * `acquire` is removed at its last release unless `extracted()` pinned it. Both code stores (files,
 * PostgreSQL) use it; `zipOf` is how the owning store reads an archive's decrypted bytes.
 */
export class ExtractedCodeTrees {
  readonly #cacheDir: string;
  readonly #zipOf: (sha256Hex: string) => Promise<Buffer>;
  /** Environments holding each extracted tree (acquire). */
  readonly #users = new Map<string, number>();
  /** Trees handed out by `extracted()`, whose users the store cannot see: kept until dropped or restart. */
  readonly #pinned = new Set<string>();
  readonly #dropping = new Map<string, Promise<void>>();
  readonly #extracting = new Map<string, Promise<string>>();

  constructor(cacheDir: string, zipOf: (sha256Hex: string) => Promise<Buffer>) {
    this.#cacheDir = cacheDir;
    this.#zipOf = zipOf;
    rmSync(cacheDir, { recursive: true, force: true });
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  }

  /** Validates an archive by extracting it into a staging tree that is removed at once; its unzipped size. */
  async validate(zip: Buffer, sha256Hex: string): Promise<number> {
    const staging = this.#staging(sha256Hex);
    try {
      return await extractZip(zip, staging);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async extracted(sha256Hex: string): Promise<string> {
    this.#pinned.add(sha256Hex);
    return this.#extract(sha256Hex);
  }

  /**
   * The extracted tree for one environment: extracted on first use, shared by every environment of
   * the same code, and removed when the last of them releases it (unless `extracted()` pinned it).
   */
  async acquire(sha256Hex: string): Promise<ExtractedCode> {
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

  /** Hashes of the trees currently extracted. */
  extractedNow(): string[] {
    return [...new Set([...this.#users.keys(), ...this.#pinned])];
  }

  /** True while an environment holds the tree (acquire without release). */
  inUse(sha256Hex: string): boolean {
    return this.#users.has(sha256Hex);
  }

  /** The archive was removed: its tree goes (unpinned) even if held, as the object is gone. */
  async drop(sha256Hex: string): Promise<void> {
    this.#pinned.delete(sha256Hex);
    await rm(join(this.#cacheDir, sha256Hex), { recursive: true, force: true });
  }

  async #extract(sha256Hex: string): Promise<string> {
    const dir = join(this.#cacheDir, sha256Hex);
    if (await exists(dir)) return dir;
    let pending = this.#extracting.get(sha256Hex);
    if (!pending) {
      pending = (async () => {
        const staging = this.#staging(sha256Hex);
        try {
          await extractZip(await this.#zipOf(sha256Hex), staging);
          if (!(await exists(dir))) {
            await rename(staging, dir).catch((err: NodeJS.ErrnoException) => {
              if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
            });
          }
        } finally {
          await rm(staging, { recursive: true, force: true });
        }
        return dir;
      })().finally(() => this.#extracting.delete(sha256Hex));
      this.#extracting.set(sha256Hex, pending);
    }
    return pending;
  }

  #staging(sha256Hex: string): string {
    return join(this.#cacheDir, `.staging-${sha256Hex}-${randomBytes(4).toString('hex')}`);
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}
