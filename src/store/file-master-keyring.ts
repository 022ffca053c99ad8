import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MasterKeyring } from '../ports/master-keyring.js';
import { blobKeyId, LEGACY_KEY_ID, openBlob, sealV1 } from './master-key-blob.js';

/** Where the master keys come from. */
export type MasterKeySource =
  /** `<dataDir>/master-keys.json` (or the single-key `<dataDir>/master.key` of older data dirs). */
  | { kind: 'data-dir'; dataDir: string }
  /** FLINT_MASTER_KEY_FILE: a keyring file (or one bare hex key) outside the data directory. */
  | { kind: 'file'; path: string }
  /** FLINT_MASTER_KEY: one key (64 hex), fixed for the process; cannot rotate (nowhere to keep a new key). */
  | { kind: 'env'; hex: string };

export type MasterKeyState = 'current' | 'retiring';

interface StoredKey {
  id: number;
  key: string;
  state: MasterKeyState;
  createdAt: string;
}

/** The durable rotation state: which keys exist, which is current, which are retiring, which were retired. */
interface KeyringFile {
  format: 'flint-master-keys/1';
  current: number;
  nextId: number;
  keys: StoredKey[];
  retired: Array<{ id: number; retiredAt: string }>;
}

export interface MasterKeyStatus {
  source: string;
  current: number;
  keys: Array<{ id: number; state: MasterKeyState; createdAt: string }>;
  retired: Array<{ id: number; retiredAt: string }>;
}

const FORMAT = 'flint-master-keys/1';
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/**
 * Versioned AES-256-GCM master keys. Wraps use the current key; every key still listed (current
 * or retiring) unwraps. The key file is rewritten atomically (temp file + rename, 0600) on every
 * change, and re-read before each change, so a rotation started while the server was stopped is
 * seen rather than overwritten. Retiring a key destroys its material: only the rotation does it,
 * once no store holds a blob under it.
 */
export class FileMasterKeyring implements MasterKeyring {
  readonly #source: MasterKeySource;
  readonly #now: () => number;
  #state: KeyringFile;
  #keys = new Map<number, Buffer>();
  /** When the file was last compared with what this process holds (see #fresh). */
  #checkedAt: number;
  #fileStamp: string;

  private constructor(source: MasterKeySource, state: KeyringFile, now: () => number) {
    this.#source = source;
    this.#now = now;
    this.#state = state;
    this.#checkedAt = now();
    this.#fileStamp = stampOf(source);
    this.#index();
  }

  /** Loads the keys, generating a first key (id 1) into the data dir or key file when there is none. */
  static open(source: MasterKeySource, now: () => number = Date.now): FileMasterKeyring {
    if (source.kind === 'env') {
      if (!HEX_KEY.test(source.hex)) throw new Error('FLINT_MASTER_KEY must be 64 hex characters (32 bytes)');
      return new FileMasterKeyring(source, single(source.hex, now), now);
    }
    let state = readKeyring(source);
    if (!state) {
      state = { format: FORMAT, current: 1, nextId: 2, keys: [{ id: 1, key: randomBytes(32).toString('hex'), state: 'current', createdAt: iso(now) }], retired: [] };
      writeKeyring(source, state);
    }
    const ring = new FileMasterKeyring(source, state, now);
    ring.#dropLegacyFile();
    return ring;
  }

  get currentKeyId(): number {
    return this.#state.current;
  }

  wrap(plaintext: Buffer, context: string): Buffer {
    this.#fresh();
    return sealV1(this.#state.current, this.#keys.get(this.#state.current)!, plaintext, context);
  }

  unwrap(blob: Buffer, context: string): Buffer {
    const id = blobKeyId(blob);
    let key = this.#keys.get(id);
    if (!key && this.#source.kind !== 'env') {
      // A cluster's nodes share the key file: another node may have rotated since this one read it.
      this.reload();
      key = this.#keys.get(id);
    }
    if (!key) throw new Error(`master key ${id} is not in the keyring (retired or never known here)`);
    return openBlob(key, blob, context);
  }

  isStale(blob: Buffer): boolean {
    return blobKeyId(blob) !== this.#state.current;
  }

  /** Ids of keys that still unwrap but no longer wrap: the rotation re-wraps their blobs. */
  retiring(): number[] {
    return this.#state.keys.filter((k) => k.state === 'retiring').map((k) => k.id);
  }

  /** A secret for another purpose (e.g. signing download links), derived from the current key. */
  derive(label: string): Buffer {
    return createHmac('sha256', this.#keys.get(this.#state.current)!).update(label).digest();
  }

  status(): MasterKeyStatus {
    return {
      source: describe(this.#source),
      current: this.#state.current,
      keys: this.#state.keys.map(({ id, state, createdAt }) => ({ id, state, createdAt })),
      retired: [...this.#state.retired],
    };
  }

  /**
   * Introduces a new master key, current from now on; every other key becomes retiring. Durable
   * before it returns: a crash afterwards resumes with the new key current.
   */
  rotate(): number {
    if (this.#source.kind === 'env') {
      throw new Error('the master key comes from FLINT_MASTER_KEY, where a new key cannot be kept: move it to a file (FLINT_MASTER_KEY_FILE) to rotate');
    }
    this.reload();
    const id = this.#state.nextId;
    const next: KeyringFile = {
      ...this.#state,
      current: id,
      nextId: id + 1,
      keys: [...this.#state.keys.map((k) => ({ ...k, state: 'retiring' as const })), { id, key: randomBytes(32).toString('hex'), state: 'current', createdAt: iso(this.#now) }],
    };
    writeKeyring(this.#source, next);
    this.#state = next;
    this.#index();
    this.#dropLegacyFile();
    return id;
  }

  /** Destroys retiring keys' material. The caller has made sure nothing is wrapped under them. */
  retire(ids: readonly number[]): void {
    if (this.#source.kind === 'env' || ids.length === 0) return;
    this.reload();
    const gone = new Set(ids.filter((id) => id !== this.#state.current));
    const next: KeyringFile = {
      ...this.#state,
      keys: this.#state.keys.filter((k) => !gone.has(k.id)),
      retired: [...this.#state.retired, ...[...gone].filter((id) => this.#keys.has(id)).map((id) => ({ id, retiredAt: iso(this.#now) }))],
    };
    writeKeyring(this.#source, next);
    this.#state = next;
    this.#index();
  }

  /** Re-reads the key file (a rotation may have been started by `flint keys rotate` offline, or by another node). */
  reload(): void {
    if (this.#source.kind === 'env') return;
    const stamp = stampOf(this.#source);
    const state = readKeyring(this.#source);
    if (!state) throw new Error(`the master keyring ${describe(this.#source)} has disappeared`);
    this.#state = state;
    this.#fileStamp = stamp;
    this.#checkedAt = this.#now();
    this.#index();
  }

  /**
   * Before a wrap, at most once a second: reloads the file if it changed (another node of a
   * cluster rotated), so new blobs are wrapped under the current key, not a retiring one that
   * the rotation is about to re-wrap away and destroy.
   */
  #fresh(): void {
    if (this.#source.kind === 'env' || this.#now() - this.#checkedAt < 1000) return;
    this.#checkedAt = this.#now();
    if (stampOf(this.#source) !== this.#fileStamp) this.reload();
  }

  #index(): void {
    this.#keys = new Map(this.#state.keys.map((k) => [k.id, Buffer.from(k.key, 'hex')]));
    if (!this.#keys.has(this.#state.current)) throw new Error(`the master keyring names current key ${this.#state.current} but does not hold it`);
  }

  /** The single-key `master.key` of an older data dir, once its key lives in master-keys.json. */
  #dropLegacyFile(): void {
    if (this.#source.kind !== 'data-dir') return;
    const legacy = join(this.#source.dataDir, 'master.key');
    if (existsSync(join(this.#source.dataDir, 'master-keys.json')) && existsSync(legacy)) rmSync(legacy, { force: true });
  }
}

function iso(now: () => number): string {
  return new Date(now()).toISOString();
}

function single(hex: string, now: () => number): KeyringFile {
  return { format: FORMAT, current: LEGACY_KEY_ID, nextId: LEGACY_KEY_ID + 1, keys: [{ id: LEGACY_KEY_ID, key: hex.toLowerCase(), state: 'current', createdAt: iso(now) }], retired: [] };
}

function describe(source: MasterKeySource): string {
  switch (source.kind) {
    case 'env': return 'FLINT_MASTER_KEY';
    case 'file': return `FLINT_MASTER_KEY_FILE (${source.path})`;
    case 'data-dir': return join(source.dataDir, 'master-keys.json');
  }
}

/** The key file's identity and change time: a rename (every write is one) changes it. */
function stampOf(source: MasterKeySource): string {
  if (source.kind === 'env') return '';
  try {
    const st = statSync(keyringPath(source));
    return `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    return '';
  }
}

function keyringPath(source: Exclude<MasterKeySource, { kind: 'env' }>): string {
  return source.kind === 'file' ? source.path : join(source.dataDir, 'master-keys.json');
}

/** The keyring as stored, or undefined when there is none yet. A bare hex key is key 0 (older data dirs). */
function readKeyring(source: Exclude<MasterKeySource, { kind: 'env' }>): KeyringFile | undefined {
  const candidates = source.kind === 'file' ? [source.path] : [keyringPath(source), join(source.dataDir, 'master.key')];
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8').trim();
    if (HEX_KEY.test(text)) return single(text, () => 0);
    let parsed: KeyringFile;
    try {
      parsed = JSON.parse(text) as KeyringFile;
    } catch {
      throw new Error(`${file} is neither a master keyring nor a 64-hex-character key`);
    }
    if (parsed.format !== FORMAT) throw new Error(`${file}: unknown master keyring format '${String(parsed.format)}'`);
    return parsed;
  }
  return undefined;
}

/** Atomic and durable: a crash leaves either the old or the new keyring, never a torn one. */
function writeKeyring(source: Exclude<MasterKeySource, { kind: 'env' }>, state: KeyringFile): void {
  const file = keyringPath(source);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, JSON.stringify(state, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}
