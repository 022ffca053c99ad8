import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../ports/clock.js';

/** Route prefix of the unsigned download endpoint that serves stored archives by token. */
export const CODE_ROUTE_PREFIX = '/flint/code/';

/** How long a download link stays valid; Lambda's presigned S3 links for Code.Location last 10 minutes. */
const LINK_TTL_MS = 10 * 60_000;

/**
 * Presigned-style download links for stored code and layer archives (`Code.Location` of GetFunction,
 * `Content.Location` of GetLayerVersion). Lambda hands out a presigned S3 URL that works without AWS
 * credentials for ten minutes; Flint hands out `<endpoint>/flint/code/<token>` where the token is
 * `<sha256Hex>.<expiresEpochSeconds>.<hmac>`, so the route can serve it without SigV4 and nobody can
 * forge a link to an archive they were never shown.
 */
export class CodeLocations {
  readonly #key: Buffer;
  readonly #clock: Clock;

  /** `secret`: at least 32 bytes, stable across restarts (derived from the master key by the app). */
  constructor(secret: Buffer, clock: Clock) {
    if (secret.length < 32) throw new Error('the code-location secret must be at least 32 bytes');
    this.#key = secret;
    this.#clock = clock;
  }

  /** A download URL for the archive with this content address, valid for ten minutes. */
  url(endpoint: string, sha256Hex: string): string {
    return `${endpoint.replace(/\/+$/, '')}${CODE_ROUTE_PREFIX}${this.token(sha256Hex)}`;
  }

  token(sha256Hex: string): string {
    const expires = Math.floor((this.#clock.now() + LINK_TTL_MS) / 1000);
    return `${sha256Hex}.${expires}.${this.#sign(sha256Hex, expires)}`;
  }

  /** The archive a token designates, or undefined when it is malformed, forged or expired. */
  resolve(token: string): string | undefined {
    const m = /^([0-9a-f]{64})\.(\d{1,12})\.([0-9a-f]{64})$/.exec(token);
    if (!m) return undefined;
    const [, sha, exp, sig] = m as unknown as [string, string, string, string];
    const expires = Number(exp);
    const want = Buffer.from(this.#sign(sha, expires), 'hex');
    if (!timingSafeEqual(want, Buffer.from(sig, 'hex'))) return undefined;
    if (expires * 1000 < this.#clock.now()) return undefined;
    return sha;
  }

  #sign(sha256Hex: string, expires: number): string {
    return createHmac('sha256', this.#key).update(`${sha256Hex}.${expires}`).digest('hex');
  }
}
