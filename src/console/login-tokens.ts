import { randomBytes } from 'node:crypto';
import type { Clock } from '../ports/clock.js';

/** A login link is good for this long, and once. */
export const LOGIN_LINK_TTL_MS = 5 * 60_000;

/**
 * One-time login tokens for `flint console`: the CLI (signed as an identity) asks for one, the
 * browser trades it once for temporary credentials of that identity. Tokens live in memory only: a
 * restart voids the links, which are minutes-long anyway.
 */
export class LoginTokens<T> {
  readonly #tokens = new Map<string, { subject: T; expiresAt: number }>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  issue(subject: T): { token: string; expiresAt: number } {
    this.#sweep();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.#clock.now() + LOGIN_LINK_TTL_MS;
    this.#tokens.set(token, { subject, expiresAt });
    return { token, expiresAt };
  }

  /** The token's subject, consuming the token; undefined when unknown, used or expired. */
  redeem(token: string): T | undefined {
    const entry = this.#tokens.get(token);
    if (!entry) return undefined;
    this.#tokens.delete(token);
    return entry.expiresAt > this.#clock.now() ? entry.subject : undefined;
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [k, v] of this.#tokens) if (v.expiresAt <= now) this.#tokens.delete(k);
  }
}
