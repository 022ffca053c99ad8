import { createHash, createPublicKey, sign as edSign, type KeyObject } from 'node:crypto';

/** SHA-256 of the public key's DER (SPKI): how digests name the key that verifies them. */
export function publicKeyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

/** Ed25519 signing with Flint's audit key (the private half never leaves this object). */
export class DigestSigner {
  readonly #key: KeyObject;
  readonly publicKey: KeyObject;
  readonly fingerprint: string;

  constructor(privateKey: KeyObject) {
    this.#key = privateKey;
    this.publicKey = createPublicKey(privateKey);
    this.fingerprint = publicKeyFingerprint(this.publicKey);
  }

  sign(record: string): string {
    return edSign(null, Buffer.from(record), this.#key).toString('base64');
  }
}
