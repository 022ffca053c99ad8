import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The wire formats of a master-wrapped blob. Every blob says which master key wrapped it, so a
 * rotated keyring can still open old blobs and tell which ones are stale:
 *
 * - `0xF1 | keyId (u32 BE) | iv (12) | tag (16) | ciphertext` — the current format; the 5-byte
 *   header and the caller's context are the AES-GCM additional data, so a header cannot be edited
 *   to point at another key and a blob cannot be moved to another context.
 * - `0x00 | iv | tag | ciphertext` — written by the interim one-key keyring (KMS key material,
 *   context as additional data): master key 0.
 * - `0xF0 | iv | tag | ciphertext` — the code store's data keys from before master keys had ids
 *   (`iv | tag | ciphertext`, no additional data), relabelled once by the store: master key 0.
 */
export const BLOB_V1 = 0xf1;
export const BLOB_INTERIM = 0x00;
export const BLOB_LEGACY = 0xf0;
/** The id of the single master key every blob from before rotation belongs to. */
export const LEGACY_KEY_ID = 0;

const IV = 12;
const TAG = 16;

/** The master key id a blob names; throws on a format this keyring does not know. */
export function blobKeyId(blob: Buffer): number {
  switch (blob[0]) {
    case BLOB_V1:
      if (blob.length < 5 + IV + TAG) throw new Error('master-wrapped blob is truncated');
      return blob.readUInt32BE(1);
    case BLOB_INTERIM:
    case BLOB_LEGACY:
      if (blob.length < 1 + IV + TAG) throw new Error('master-wrapped blob is truncated');
      return LEGACY_KEY_ID;
    default:
      throw new Error('not a master-wrapped blob');
  }
}

export function sealV1(keyId: number, key: Buffer, plaintext: Buffer, context: string): Buffer {
  const header = Buffer.alloc(5);
  header[0] = BLOB_V1;
  header.writeUInt32BE(keyId, 1);
  const iv = randomBytes(IV);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.concat([header, Buffer.from(context, 'utf8')]));
  const body = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([header, iv, c.getAuthTag(), body]);
}

/** Opens a blob of any known format with `key` (the key its header names). */
export function openBlob(key: Buffer, blob: Buffer, context: string): Buffer {
  const headerLength = blob[0] === BLOB_V1 ? 5 : 1;
  const d = createDecipheriv('aes-256-gcm', key, blob.subarray(headerLength, headerLength + IV));
  if (blob[0] === BLOB_V1) d.setAAD(Buffer.concat([blob.subarray(0, 5), Buffer.from(context, 'utf8')]));
  else if (blob[0] === BLOB_INTERIM) d.setAAD(Buffer.from(context, 'utf8'));
  // BLOB_LEGACY: written without additional data; the context cannot be checked for these.
  d.setAuthTag(blob.subarray(headerLength + IV, headerLength + IV + TAG));
  return Buffer.concat([d.update(blob.subarray(headerLength + IV + TAG)), d.final()]);
}
