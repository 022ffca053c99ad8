import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const AUDIT_KEY_FILE = 'audit-signing-key.pem';
export const AUDIT_PUBLIC_KEY_FILE = 'audit-signing-key.pub.pem';

/**
 * Flint's Ed25519 key for signing audit digests: generated on first start into the data dir
 * (`audit-signing-key.pem`, PKCS#8, mode 0600, like credentials.json), with its public half beside
 * it (`audit-signing-key.pub.pem`) for `flint audit verify` and for export. Keep a copy of the
 * public key outside the data dir: whoever can write the data dir can also replace the key pair.
 */
export function loadAuditSigningKey(dataDir: string): KeyObject {
  const file = join(dataDir, AUDIT_KEY_FILE);
  const pub = join(dataDir, AUDIT_PUBLIC_KEY_FILE);
  if (existsSync(file)) {
    const key = createPrivateKey(readFileSync(file));
    if (!existsSync(pub)) writeFileSync(pub, publicPem(key), { mode: 0o600 });
    return key;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  writeFileSync(pub, publicPem(privateKey), { mode: 0o600 });
  return privateKey;
}

function publicPem(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}
