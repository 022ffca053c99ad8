import { createHash } from 'node:crypto';
import { CodeEnvelope, SEAL_OVERHEAD } from '../code-envelope.js';

/**
 * An archive sealed in chunks: chunk i holds plaintext bytes [i·size, (i+1)·size), sealed on its own
 * under the archive's data key with its place (`<sha>/<i>/<count>`) as additional data, so chunks
 * cannot be swapped, moved to another archive or dropped from the end without failing to open.
 * Opening checks the SHA-256 of the whole result against the content address as well.
 */
export class SealedChunks {
  /** Number of chunks an archive of `size` bytes takes (an empty archive still has one). */
  static count(size: number, chunkSize: number): number {
    return Math.max(1, Math.ceil(size / chunkSize));
  }

  static seal(dataKey: Buffer, sha256Hex: string, zip: Buffer, chunkSize: number): Buffer[] {
    const n = SealedChunks.count(zip.length, chunkSize);
    const out: Buffer[] = [];
    for (let i = 0; i < n; i++) out.push(CodeEnvelope.seal(dataKey, zip.subarray(i * chunkSize, (i + 1) * chunkSize), aad(sha256Hex, i, n)));
    return out;
  }

  /** The sealed length of chunk `i` of an archive of `size` bytes. */
  static sealedLength(size: number, chunkSize: number, i: number): number {
    return Math.min(chunkSize, size - i * chunkSize) + SEAL_OVERHEAD;
  }

  /** The whole sealed archive's length (what the local cache file holds). */
  static totalSealedLength(size: number, chunkSize: number): number {
    return size + SealedChunks.count(size, chunkSize) * SEAL_OVERHEAD;
  }

  /**
   * Opens the chunks laid end to end (`sealed`, as the cache file holds them) and verifies the
   * result's SHA-256; throws on any mismatch (length, authentication, digest).
   */
  static open(dataKey: Buffer, sha256Hex: string, sealed: Buffer, size: number, chunkSize: number): Buffer {
    if (sealed.length !== SealedChunks.totalSealedLength(size, chunkSize)) throw new Error(`sealed code object ${sha256Hex} has the wrong length`);
    const n = SealedChunks.count(size, chunkSize);
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = 0; i < n; i++) {
      const len = SealedChunks.sealedLength(size, chunkSize, i);
      parts.push(CodeEnvelope.open(dataKey, sealed.subarray(at, at + len), aad(sha256Hex, i, n)));
      at += len;
    }
    const zip = Buffer.concat(parts, size);
    if (createHash('sha256').update(zip).digest('hex') !== sha256Hex) throw new Error(`code object ${sha256Hex} does not match its SHA-256`);
    return zip;
  }
}

function aad(sha256Hex: string, i: number, n: number): string {
  return `${sha256Hex}/${i}/${n}`;
}
