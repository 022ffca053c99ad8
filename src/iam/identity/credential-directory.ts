import type { Credential, Principal } from '../../domain/principal.js';
import type { NamedPolicy } from '../../ports/access-policies.js';
import type { IamChange, IamContext } from './iam-context.js';
import { nameKey, type AccessKeyDoc, type SessionDoc } from './iam-store.js';

/** The account's root key pair, configured outside IAM. */
export interface RootKeys {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Sessions stay in the store this long after they expire, so a client using them hears
 * ExpiredToken (as from AWS) rather than an unknown key; then they are purged.
 */
const KEEP_EXPIRED_MS = 24 * 3600_000;

/**
 * Every credential the front door accepts: the root key, IAM users' Active access keys and STS
 * sessions (AssumeRole, GetSessionToken, execution environments). One map lookup per request: the
 * maps are loaded from the store at start and kept in step with every write through IamRevision.
 */
export class CredentialDirectory {
  readonly #ctx: IamContext;
  readonly #root: Credential;
  readonly #keys = new Map<string, Credential>();
  readonly #sessions = new Map<string, { credential: Credential; doc: SessionDoc }>();
  /** `<principal arn>\t<tokenIssuedAt>` → session policies (how a role session's principal finds them). */
  readonly #sessionPolicies = new Map<string, NamedPolicy[]>();

  constructor(ctx: IamContext, root: RootKeys) {
    this.#ctx = ctx;
    const acct = ctx.accountId;
    this.#root = {
      accessKeyId: root.accessKeyId,
      secretAccessKey: root.secretAccessKey,
      principal: { type: 'Account', arn: `arn:aws:iam::${acct}:root`, accountId: acct, userId: acct },
    };
    this.#loadKeys();
    this.#loadSessions();
    ctx.revision.onChange((c) => this.#changed(c));
  }

  lookup(accessKeyId: string): Credential | undefined {
    if (accessKeyId === this.#root.accessKeyId) return this.#root;
    return this.#keys.get(accessKeyId) ?? this.#sessions.get(accessKeyId)?.credential;
  }

  /** The session policies of a role session principal (AssumeRole's Policy / PolicyArns). */
  sessionPolicies(principal: Principal): NamedPolicy[] | undefined {
    if (principal.tokenIssuedAt === undefined) return undefined;
    return this.#sessionPolicies.get(principal.arn + '\t' + principal.tokenIssuedAt);
  }

  /** True when a live session already has this principal ARN and issue time (keys must stay unique). */
  issuedAtTaken(arn: string, issuedAt: number): boolean {
    for (const s of this.#sessions.values()) {
      if (s.credential.principal.arn === arn && s.credential.principal.tokenIssuedAt === issuedAt) return true;
    }
    return false;
  }

  /** Adds a session (already stored, or memory-only for execution environments). */
  addSession(doc: SessionDoc): Credential | undefined {
    const principal = this.#sessionPrincipal(doc);
    if (!principal) return undefined;
    const credential: Credential = {
      accessKeyId: doc.AccessKeyId,
      secretAccessKey: doc.SecretAccessKey,
      sessionToken: doc.SessionToken,
      expiresAt: doc.expiresAt,
      principal,
    };
    this.#sessions.set(doc.AccessKeyId, { credential, doc });
    if (doc.sessionPolicies?.length) this.#sessionPolicies.set(principal.arn + '\t' + doc.issuedAt, doc.sessionPolicies);
    return credential;
  }

  session(accessKeyId: string): SessionDoc | undefined {
    return this.#sessions.get(accessKeyId)?.doc;
  }

  removeSession(accessKeyId: string): void {
    const s = this.#sessions.get(accessKeyId);
    if (!s) return;
    this.#sessions.delete(accessKeyId);
    this.#sessionPolicies.delete(s.credential.principal.arn + '\t' + s.doc.issuedAt);
  }

  /** Deletes stored sessions expired long ago (called now and then by STS). */
  purgeExpired(): void {
    const cutoff = this.#ctx.clock.now() - KEEP_EXPIRED_MS;
    for (const [id, s] of [...this.#sessions]) {
      if (s.doc.expiresAt < cutoff) {
        this.removeSession(id);
        this.#ctx.db.sessions.delete(id);
      }
    }
  }

  #sessionPrincipal(doc: SessionDoc): Principal | undefined {
    const acct = this.#ctx.accountId;
    if (doc.kind === 'AssumedRole') {
      const role = this.#ctx.db.roles.get(nameKey(doc.roleName!));
      if (!role || role.RoleId !== doc.roleId) return undefined;
      return {
        type: 'AssumedRole',
        arn: `arn:aws:sts::${acct}:assumed-role/${role.RoleName}/${doc.sessionName}`,
        accountId: acct,
        userId: `${role.RoleId}:${doc.sessionName}`,
        roleArn: role.Arn,
        sessionName: doc.sessionName,
        tokenIssuedAt: doc.issuedAt,
      };
    }
    if (doc.kind === 'User') {
      const user = this.#ctx.db.users.get(nameKey(doc.userName!));
      if (!user) return undefined;
      return { type: 'User', arn: user.Arn, accountId: acct, userId: user.UserId, userName: user.UserName, tokenIssuedAt: doc.issuedAt };
    }
    return { ...this.#root.principal, tokenIssuedAt: doc.issuedAt };
  }

  #keyCredential(k: AccessKeyDoc): Credential | undefined {
    if (k.Status !== 'Active') return undefined;
    const user = this.#ctx.db.users.get(nameKey(k.UserName));
    if (!user) return undefined;
    return {
      accessKeyId: k.AccessKeyId,
      secretAccessKey: k.SecretAccessKey,
      principal: { type: 'User', arn: user.Arn, accountId: this.#ctx.accountId, userId: user.UserId, userName: user.UserName },
    };
  }

  #loadKeys(): void {
    this.#keys.clear();
    for (const { value } of this.#ctx.db.accessKeys.list()) {
      const c = this.#keyCredential(value);
      if (c) this.#keys.set(value.AccessKeyId, c);
    }
  }

  #loadSessions(): void {
    const cutoff = this.#ctx.clock.now() - KEEP_EXPIRED_MS;
    for (const { key, value } of this.#ctx.db.sessions.list()) {
      if (value.expiresAt < cutoff || !this.addSession(value)) this.#ctx.db.sessions.delete(key);
    }
  }

  /** Sessions whose user or role is gone (or renamed) stop working; keys whose owner changed are re-read. */
  #changed(c: IamChange): void {
    if (c.kind === 'key') {
      const k = this.#ctx.db.accessKeys.get(c.accessKeyId);
      const cred = k && this.#keyCredential(k);
      if (cred) this.#keys.set(c.accessKeyId, cred);
      else this.#keys.delete(c.accessKeyId);
    } else if (c.kind === 'user-deleted' || c.kind === 'role-deleted') {
      if (c.kind === 'user-deleted') this.#loadKeys();
      for (const [id, s] of [...this.#sessions]) {
        const principal = this.#sessionPrincipal(s.doc);
        if (principal && principal.arn === s.credential.principal.arn) continue;
        this.removeSession(id);
        this.#ctx.db.sessions.delete(id);
      }
    }
  }
}
