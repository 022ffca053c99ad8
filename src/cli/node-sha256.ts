import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** Node's SHA-256 in the shape the Smithy signer wants (HMAC when given a secret). */
export class Sha256 {
  readonly #h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#h = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#h.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.#h.digest();
  }
}

function bytes(v: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof v === 'string') return v;
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}
