import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/ports/clock.js';
import type { Credential } from '../../src/domain/principal.js';
import type { RoleCredentials } from '../../src/ports/role-credentials.js';

/** A live session as the front door's key lookup reads it. */
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
 * An in-memory `RoleCredentials`: assumed-role sessions for execution environments that Flint's
 * front door accepts (with their token) until they expire or are revoked. It stands in where no
 * STS service is wired: it cannot tell whether the role exists or what it allows, so it issues for
 * any role. Kept in memory: sessions die with the server, as the environments do.
 */
export class SessionCredentials implements RoleCredentials {
  readonly #byKey = new Map<string, Credential>();
  readonly #clock: Clock;
  readonly #accountId: string;

  constructor(opts: { clock: Clock; accountId: string }) {
    this.#clock = opts.clock;
    this.#accountId = opts.accountId;
  }

  issueForService(roleArn: string, sessionName: string, ttlMs: number): Credential {
    const roleName = roleArn.split('/').pop() || 'lambda-role';
    const now = this.#clock.now();
    const accessKeyId = 'ASIA' + [...randomBytes(16)].map((b) => KEY_ALPHABET[b % 32]).join('');
    const cred: Credential = {
      accessKeyId,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      expiresAt: now + ttlMs,
      principal: {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${this.#accountId}:assumed-role/${roleName}/${sessionName}`,
        accountId: this.#accountId,
        userId: `AROA${accessKeyId.slice(4, 21)}:${sessionName}`,
        roleArn,
        sessionName,
        tokenIssuedAt: now,
      },
    };
    this.#byKey.set(accessKeyId, cred);
    return cred;
  }

  extend(accessKeyId: string, ttlMs: number): void {
    const cred = this.#live(accessKeyId);
    if (!cred) throw new Error(`no live session ${accessKeyId}`);
    cred.expiresAt = this.#clock.now() + ttlMs;
  }

  revoke(accessKeyId: string): void {
    this.#byKey.delete(accessKeyId);
  }

  /** The live credential for an access key id (unknown, revoked or expired: undefined). */
  credential(accessKeyId: string): Credential | undefined {
    return this.#live(accessKeyId);
  }

  /** The live session for an access key id, in the shape the front door's key lookup reads. */
  lookup(accessKeyId: string): SessionCredential | undefined {
    const cred = this.#live(accessKeyId);
    if (!cred) return undefined;
    return { accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken: cred.sessionToken!, principalArn: cred.principal.arn, expiresAt: cred.expiresAt! };
  }

  #live(accessKeyId: string): Credential | undefined {
    const cred = this.#byKey.get(accessKeyId);
    if (!cred) return undefined;
    if (cred.expiresAt! <= this.#clock.now()) {
      this.#byKey.delete(accessKeyId);
      return undefined;
    }
    return cred;
  }
}
