import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Flint's KMS ciphertext blob. Like AWS's, it is opaque to callers but names the key that made
 * it, so Decrypt needs no KeyId for symmetric keys:
 *
 *   version (1) = 1 | key id length (1) | key id (ASCII) | material version (u32 BE) | iv (12) | tag (16) | ciphertext
 *
 * AES-256-GCM under that material version; the additional authenticated data is the header
 * (version, key id, material version) followed by the canonical encryption context, so a blob
 * moved to another key, another material version or another context fails authentication —
 * AWS's "the same encryption context is required to decrypt" rule.
 */
const VERSION = 1;
const IV = 12;
const TAG = 16;

export interface BlobHeader {
  keyId: string;
  material: number;
}

/** The header of a blob, or undefined when it is not one of Flint's (callers answer InvalidCiphertextException). */
export function readBlobHeader(blob: Uint8Array): (BlobHeader & { headerLength: number }) | undefined {
  if (blob.length < 2 || blob[0] !== VERSION) return undefined;
  const idLen = blob[1]!;
  const headerLength = 2 + idLen + 4;
  if (idLen === 0 || blob.length < headerLength + IV + TAG) return undefined;
  const keyId = Buffer.from(blob.subarray(2, 2 + idLen)).toString('latin1');
  if (!/^[0-9a-f-]+$/.test(keyId)) return undefined;
  const material = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength).readUInt32BE(2 + idLen);
  return { keyId, material, headerLength };
}

/** The encryption context as bytes: keys sorted, so `{a,b}` and `{b,a}` are the same context, as in AWS. */
export function canonicalContext(context: Record<string, string> | undefined): Buffer {
  if (!context) return Buffer.alloc(0);
  const keys = Object.keys(context).sort();
  if (keys.length === 0) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(keys.map((k) => [k, context[k]])), 'utf8');
}

export function sealBlob(header: BlobHeader, key: Buffer, plaintext: Uint8Array, context: Record<string, string> | undefined): Buffer {
  const id = Buffer.from(header.keyId, 'latin1');
  const head = Buffer.alloc(2 + id.length + 4);
  head[0] = VERSION;
  head[1] = id.length;
  id.copy(head, 2);
  head.writeUInt32BE(header.material, 2 + id.length);
  const iv = randomBytes(IV);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.concat([head, canonicalContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([head, iv, cipher.getAuthTag(), body]);
}

/** The plaintext, or undefined when the blob does not authenticate under this key and context. */
export function openBlob(blob: Uint8Array, headerLength: number, key: Buffer, context: Record<string, string> | undefined): Buffer | undefined {
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const head = buf.subarray(0, headerLength);
  const iv = buf.subarray(headerLength, headerLength + IV);
  const tag = buf.subarray(headerLength + IV, headerLength + IV + TAG);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.concat([head, canonicalContext(context)]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(buf.subarray(headerLength + IV + TAG)), decipher.final()]);
  } catch {
    return undefined;
  }
}
