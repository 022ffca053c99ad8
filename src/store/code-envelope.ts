import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { MasterKeyring } from '../ports/master-keyring.js';

/** Bytes a sealed blob adds to its plaintext: iv (12) ‖ tag (16). */
export const SEAL_OVERHEAD = 28;

/**
 * The envelope both code stores use (files on one node, PostgreSQL chunks in a cluster): each
 * archive gets a fresh AES-256-GCM data key, and the data key is kept only wrapped by the master
 * keyring, bound to the archive's digest — envelope encryption as KMS does it for Lambda's code.
 * A store keeps the wrapped key next to its index row; master-key rotation re-wraps it in place
 * without touching the sealed bytes.
 */
export class CodeEnvelope {
  readonly #keyring: MasterKeyring;

  constructor(keyring: MasterKeyring) {
    this.#keyring = keyring;
  }

  /** A fresh data key for an archive, and that key wrapped for storage. */
  newDataKey(sha256Hex: string): { dataKey: Buffer; wrappedKey: Buffer } {
    const dataKey = randomBytes(32);
    return { dataKey, wrappedKey: this.#keyring.wrap(dataKey, keyContext(sha256Hex)) };
  }

  /** The data key of an archive; throws when the wrapped key was altered, moved or its master key is gone. */
  dataKey(sha256Hex: string, wrappedKey: Buffer): Buffer {
    return this.#keyring.unwrap(wrappedKey, keyContext(sha256Hex));
  }

  isStale(wrappedKey: Buffer): boolean {
    return this.#keyring.isStale(wrappedKey);
  }

  /** The same data key wrapped under the current master key. */
  rewrap(sha256Hex: string, wrappedKey: Buffer): Buffer {
    const ctx = keyContext(sha256Hex);
    return this.#keyring.wrap(this.#keyring.unwrap(wrappedKey, ctx), ctx);
  }

  /** AES-256-GCM: iv (12) ‖ tag (16) ‖ ciphertext; `aad` (e.g. a chunk's place) must match on open. */
  static seal(key: Buffer, plain: Buffer, aad?: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    if (aad !== undefined) c.setAAD(Buffer.from(aad));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }

  /** Throws (`Unsupported state or unable to authenticate data`) when the blob, key or `aad` differ. */
  static open(key: Buffer, sealed: Buffer, aad?: string): Buffer {
    if (sealed.length < SEAL_OVERHEAD) throw new Error('sealed blob too short');
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    if (aad !== undefined) d.setAAD(Buffer.from(aad));
    d.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([d.update(sealed.subarray(28)), d.final()]);
  }
}

/** Binds a wrapped data key to its object: a key row moved to another object does not open. */
function keyContext(sha256Hex: string): string {
  return `flint code object ${sha256Hex}`;
}
