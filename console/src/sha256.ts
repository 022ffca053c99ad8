import { sha256 } from '@noble/hashes/sha256';
import { hmac } from '@noble/hashes/hmac';

type Data = string | ArrayBuffer | ArrayBufferView;
const enc = new TextEncoder();
const bytes = (d: Data): Uint8Array =>
  typeof d === 'string' ? enc.encode(d) : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

/**
 * SHA-256 (HMAC with a secret) in the shape @smithy/signature-v4 wants. Pure JS rather than
 * WebCrypto: crypto.subtle exists only in secure contexts, and Flint is often reached over plain
 * HTTP on a LAN address.
 */
export class Sha256 {
  readonly #h: { update(b: Uint8Array): unknown; digest(): Uint8Array };
  constructor(secret?: Data) {
    this.#h = secret === undefined ? sha256.create() : hmac.create(sha256, bytes(secret));
  }
  update(data: Data): void {
    this.#h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.#h.digest();
  }
}
