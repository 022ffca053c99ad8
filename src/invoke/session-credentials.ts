import { randomBytes } from 'node:crypto';
import type { Clock } from '../ports/clock.js';

export interface SessionCredential {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** The assumed-role principal, `arn:aws:sts::<account>:assumed-role/<role>/<function>`. */
  principalArn: string;
  /** Epoch ms. */
  expiresAt: number;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Temporary credentials for execution environments, standing in for the execution role's STS
 * session: Lambda hands every environment AWS_ACCESS_KEY_ID (an `ASIA…` key),
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. Flint's API accepts them (with their token) until
 * they expire or the environment stops. Kept in memory: they die with the server, as the
 * environments do.
 */
export class SessionCredentials {
  readonly #byKey = new Map<string, SessionCredential>();
  readonly #clock: Clock;
  readonly #accountId: string;

  constructor(opts: { clock: Clock; accountId: string }) {
    this.#clock = opts.clock;
    this.#accountId = opts.accountId;
  }

  issue(roleArn: string, sessionName: string, ttlMs: number): SessionCredential {
    const roleName = roleArn.split('/').pop() || 'lambda-role';
    const cred: SessionCredential = {
      accessKeyId: 'ASIA' + [...randomBytes(16)].map((b) => KEY_ALPHABET[b % 32]).join(''),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      principalArn: `arn:aws:sts::${this.#accountId}:assumed-role/${roleName}/${sessionName}`,
      expiresAt: this.#clock.now() + ttlMs,
    };
    this.#byKey.set(cred.accessKeyId, cred);
    return cred;
  }

  /** The live credential for an access key id, or undefined (unknown, revoked or expired). */
  lookup(accessKeyId: string): SessionCredential | undefined {
    const cred = this.#byKey.get(accessKeyId);
    if (!cred) return undefined;
    if (cred.expiresAt <= this.#clock.now()) {
      this.#byKey.delete(accessKeyId);
      return undefined;
    }
    return cred;
  }

  revoke(accessKeyId: string): void {
    this.#byKey.delete(accessKeyId);
  }
}
