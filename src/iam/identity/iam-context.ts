import { randomBytes } from 'node:crypto';
import type { Clock } from '../../ports/clock.js';
import type { IamStore } from './iam-store.js';

/** One change that could alter an authorization decision or a credential lookup. */
export type IamChange =
  | { kind: 'policies' }
  | { kind: 'key'; accessKeyId: string }
  | { kind: 'user-deleted'; userName: string }
  | { kind: 'role-deleted'; roleName: string };

/**
 * The identity-policy revision: one number bumped on every write that could change a decision
 * (users, groups, memberships, roles, policies, attachments, keys), so decision caches compare a
 * number instead of re-reading policies. Listeners (the credential directory, the identity-policy
 * cache) hear each change after it is committed.
 */
export class IamRevision {
  #value = 0;
  readonly #listeners: Array<(c: IamChange) => void> = [];

  get value(): number {
    return this.#value;
  }

  onChange(fn: (c: IamChange) => void): void {
    this.#listeners.push(fn);
  }

  bump(change: IamChange = { kind: 'policies' }): void {
    this.#value++;
    for (const fn of this.#listeners) fn(change);
  }
}

/** AWS's unique-id alphabet: upper-case letters and digits. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Ids shaped like AWS's: unique ids are a 4-letter type prefix and 17 characters (`AIDA…` users,
 * `AROA…` roles, `AGPA…` groups, `ANPA…` policies), access key ids a prefix and 16 (`AKIA…`
 * long-term, `ASIA…` temporary: 20 in all), secrets 40 characters.
 */
export class IamIds {
  readonly #random: (n: number) => Uint8Array;

  constructor(random: (n: number) => Uint8Array = randomBytes) {
    this.#random = random;
  }

  #chars(n: number, alphabet: string): string {
    const bytes = this.#random(n);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[bytes[i]! % alphabet.length];
    return s;
  }

  uniqueId(prefix: 'AIDA' | 'AROA' | 'AGPA' | 'ANPA'): string {
    return prefix + this.#chars(17, ALPHABET);
  }

  accessKeyId(prefix: 'AKIA' | 'ASIA'): string {
    return prefix + this.#chars(16, ALPHABET);
  }

  secret(): string {
    return this.#chars(40, SECRET_ALPHABET);
  }

  /** An opaque session token (AWS's are long base64 blobs; clients only pass them back). */
  sessionToken(): string {
    return 'FQoGZXIvYXdzE' + Buffer.from(this.#random(96)).toString('base64');
  }
}

/** What every IAM/STS service shares. */
export interface IamContext {
  db: IamStore;
  clock: Clock;
  accountId: string;
  region: string;
  ids: IamIds;
  revision: IamRevision;
}
