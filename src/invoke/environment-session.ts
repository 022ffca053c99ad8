import type { Clock } from '../ports/clock.js';
import type { Credential } from '../domain/principal.js';
import type { RoleCredentials } from '../ports/role-credentials.js';
import { InvalidParameterValueException } from '../domain/errors.js';

/** What Lambda answers an Invoke when it cannot assume the function's execution role (a deleted role, a trust policy that no longer names Lambda). */
export const ROLE_CANNOT_BE_ASSUMED = 'The role defined for the function cannot be assumed by Lambda.';

export interface EnvironmentSessionDeps {
  credentials: RoleCredentials;
  clock: Clock;
  ttlMs: number;
}

/**
 * One execution environment's execution-role session, as Lambda gives every environment the
 * credentials of an assumed-role session of the function's role
 * (`arn:aws:sts::<acct>:assumed-role/<role>/<function>`) in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. The process reads them once, so the session itself
 * is kept alive rather than replaced: it is extended whenever at most half its lifetime remains —
 * checked at each invocation start (the TTL is at least twice Lambda's longest invocation, so no
 * invocation outlives it) and by a timer while the environment idles (provisioned environments idle
 * for hours). It is revoked when the environment ends.
 */
export class EnvironmentSession {
  readonly credential: Credential;
  readonly #deps: EnvironmentSessionDeps;
  #expiresAt: number;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(credential: Credential, deps: EnvironmentSessionDeps) {
    this.credential = credential;
    this.#deps = deps;
    this.#expiresAt = credential.expiresAt ?? deps.clock.now() + deps.ttlMs;
    this.#schedule();
  }

  /** Assumes `roleArn` for `functionName`; fails as Lambda's Invoke does when the role cannot be assumed. */
  static issue(deps: EnvironmentSessionDeps, roleArn: string, functionName: string): EnvironmentSession {
    let credential: Credential;
    try {
      credential = deps.credentials.issueForService(roleArn, functionName, deps.ttlMs);
    } catch (err) {
      throw Object.assign(new InvalidParameterValueException(ROLE_CANNOT_BE_ASSUMED), { cause: err });
    }
    return new EnvironmentSession(credential, deps);
  }

  get accessKeyId(): string {
    return this.credential.accessKeyId;
  }

  get expiresAt(): number {
    return this.#expiresAt;
  }

  /**
   * Extends the session when at most half of its lifetime is left. False when it cannot be kept
   * (expired meanwhile, revoked, its role gone): code must not run on it any more.
   */
  refresh(): boolean {
    if (this.#closed) return false;
    const { clock, ttlMs, credentials } = this.#deps;
    const now = clock.now();
    if (this.#expiresAt - now > ttlMs / 2) return true;
    try {
      credentials.extend(this.credential.accessKeyId, ttlMs);
    } catch {
      return false;
    }
    this.#expiresAt = now + ttlMs;
    return true;
  }

  /** Revokes the session (idempotent): its key no longer signs anything. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#deps.credentials.revoke(this.credential.accessKeyId);
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      if (this.refresh()) this.#schedule();
    }, Math.max(1000, this.#deps.ttlMs / 4));
    this.#timer.unref();
  }
}
