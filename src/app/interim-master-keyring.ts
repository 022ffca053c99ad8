import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { MasterKeyring } from '../ports/master-keyring.js';

/**
 * INTERIM: a one-key MasterKeyring over the data dir's master key, so KMS key material is wrapped
 * before the rotating keyring (issue 9 item 3, src/store) is wired. Blob: `0x00 | iv(12) | tag(16) | ct`;
 * never stale, since there is only one master key. Replace with the store's keyring.
 */
export function interimMasterKeyring(masterKey: Buffer): MasterKeyring {
  return {
    wrap(plaintext, context) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', masterKey, iv);
      c.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([c.update(plaintext), c.final()]);
      return Buffer.concat([Buffer.from([0]), iv, c.getAuthTag(), body]);
    },
    unwrap(blob, context) {
      if (blob[0] !== 0) throw new Error('unknown master key');
      const d = createDecipheriv('aes-256-gcm', masterKey, blob.subarray(1, 13));
      d.setAAD(Buffer.from(context, 'utf8'));
      d.setAuthTag(blob.subarray(13, 29));
      return Buffer.concat([d.update(blob.subarray(29)), d.final()]);
    },
    isStale: () => false,
  };
}
