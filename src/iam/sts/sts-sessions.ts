import { AccessDeniedException } from '../../domain/errors.js';
import type { Credential } from '../../domain/principal.js';
import type { RoleCredentials } from '../../ports/role-credentials.js';
import type { CredentialDirectory } from '../identity/credential-directory.js';
import type { IamContext } from '../identity/iam-context.js';
import { nameKey, type RoleDoc, type SessionDoc } from '../identity/iam-store.js';

/** Expired sessions are purged from the store after this many issues (lazily, off the read path). */
const PURGE_EVERY = 100;

/**
 * Issues, extends and revokes temporary credentials. AssumeRole and GetSessionToken sessions are
 * stored (they survive a restart, as STS credentials outlive a client); execution-environment
 * sessions (RoleCredentials) live in memory only: they die with their environments.
 */
export class StsSessions implements RoleCredentials {
  readonly #ctx: IamContext;
  readonly #directory: CredentialDirectory;
  #issued = 0;

  constructor(ctx: IamContext, directory: CredentialDirectory) {
    this.#ctx = ctx;
    this.#directory = directory;
  }

  /** An assumed-role session for `role`, valid for `ttlMs`. */
  assumeRole(role: RoleDoc, sessionName: string, ttlMs: number, opts: { durable: boolean; sessionPolicies?: SessionDoc['sessionPolicies'] }): { doc: SessionDoc; credential: Credential } {
    const arn = `arn:aws:sts::${this.#ctx.accountId}:assumed-role/${role.RoleName}/${sessionName}`;
    return this.#issue({ kind: 'AssumedRole', roleName: role.RoleName, roleId: role.RoleId, sessionName, ...(opts.sessionPolicies?.length ? { sessionPolicies: opts.sessionPolicies } : {}) }, arn, ttlMs, opts.durable);
  }

  /** GetSessionToken: a session that acts as the calling user (or the account's root). */
  userSession(userName: string | undefined, principalArn: string, ttlMs: number): { doc: SessionDoc; credential: Credential } {
    return this.#issue(userName ? { kind: 'User', userName } : { kind: 'Account' }, principalArn, ttlMs, true);
  }

  #issue(fields: Partial<SessionDoc> & { kind: SessionDoc['kind'] }, arn: string, ttlMs: number, durable: boolean): { doc: SessionDoc; credential: Credential } {
    const { ids, clock, db } = this.#ctx;
    // Two sessions of one principal never share an issue time: the authorizer's caches and the
    // session-policy lookup key a session by ARN and aws:TokenIssueTime.
    let issuedAt = clock.now();
    while (this.#directory.issuedAtTaken(arn, issuedAt)) issuedAt++;
    const doc: SessionDoc = {
      AccessKeyId: ids.accessKeyId('ASIA'),
      SecretAccessKey: ids.secret(),
      SessionToken: ids.sessionToken(),
      issuedAt,
      expiresAt: issuedAt + ttlMs,
      ...fields,
    };
    if (durable) db.sessions.put(doc.AccessKeyId, doc);
    const credential = this.#directory.addSession(doc);
    if (!credential) throw new AccessDeniedException(`Cannot issue a session for ${arn}.`);
    if (++this.#issued % PURGE_EVERY === 0) this.#directory.purgeExpired();
    return { doc, credential };
  }

  /**
   * RoleCredentials for the data plane: Lambda assumes a function's execution role for each
   * execution environment, with the function name as the session name.
   */
  issueForService(roleArn: string, sessionName: string, ttlMs: number): Credential {
    const role = this.#ctx.db.roles.get(nameKey(roleArn.slice(roleArn.lastIndexOf('/') + 1)));
    if (!role || role.Arn !== roleArn) throw new AccessDeniedException(`The role ${roleArn} cannot be assumed: it does not exist.`);
    return this.assumeRole(role, sessionName, ttlMs, { durable: false }).credential;
  }

  extend(accessKeyId: string, ttlMs: number): void {
    const doc = this.#directory.session(accessKeyId);
    if (!doc) return;
    const updated = { ...doc, expiresAt: this.#ctx.clock.now() + ttlMs };
    this.#directory.removeSession(accessKeyId);
    this.#directory.addSession(updated);
    if (this.#ctx.db.sessions.get(accessKeyId)) this.#ctx.db.sessions.put(accessKeyId, updated);
  }

  revoke(accessKeyId: string): void {
    this.#directory.removeSession(accessKeyId);
    this.#ctx.db.sessions.delete(accessKeyId);
  }
}
