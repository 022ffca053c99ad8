import type { Principal } from '../../domain/principal.js';
import type { IdentityPolicies, IdentityPolicySource, NamedPolicy } from '../../ports/access-policies.js';
import type { CredentialDirectory } from './credential-directory.js';
import type { IamContext } from './iam-context.js';
import { nameKey, type PolicyHolder } from './iam-store.js';
import type { ManagedPolicyService } from './managed-policy-service.js';

const NONE: IdentityPolicies = Object.freeze({ identity: Object.freeze([]) as unknown as NamedPolicy[] });

/**
 * The identity-based policies in force for a principal, for the authorizer: an IAM user's inline
 * and attached policies and those of its groups, plus its permissions boundary; a role session's
 * role policies (+ boundary) and the session policies it was issued with; nothing for the root
 * (which IAM policies do not restrict). Cached per principal until the revision moves.
 */
export class IamIdentityPolicies implements IdentityPolicySource {
  readonly #ctx: IamContext;
  readonly #policies: ManagedPolicyService;
  readonly #directory: CredentialDirectory;
  readonly #cache = new Map<string, IdentityPolicies>();
  #cachedAt = -1;

  constructor(ctx: IamContext, policies: ManagedPolicyService, directory: CredentialDirectory) {
    this.#ctx = ctx;
    this.#policies = policies;
    this.#directory = directory;
  }

  get revision(): number {
    return this.#ctx.revision.value;
  }

  identityPolicies(principal: Principal): IdentityPolicies {
    if (principal.type === 'Account') return NONE;
    if (this.#cachedAt !== this.#ctx.revision.value) {
      this.#cache.clear();
      this.#cachedAt = this.#ctx.revision.value;
    }
    const key = principal.tokenIssuedAt === undefined ? principal.arn : principal.arn + '\t' + principal.tokenIssuedAt;
    let found = this.#cache.get(key);
    if (!found) {
      found = principal.type === 'User' ? this.#forUser(principal) : this.#forSession(principal);
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(key, found);
    }
    return found;
  }

  #forUser(p: Principal): IdentityPolicies {
    const user = p.userName ? this.#ctx.db.users.get(nameKey(p.userName)) : undefined;
    if (!user) return NONE;
    const out: NamedPolicy[] = [];
    const seen = new Set<string>();
    this.#collect(`user/${user.UserName}`, user, out, seen);
    for (const g of user.groups) {
      const group = this.#ctx.db.groups.get(nameKey(g));
      if (group) this.#collect(`group/${group.GroupName}`, group, out, seen);
    }
    return this.#withBoundary(out, user.PermissionsBoundary);
  }

  #forSession(p: Principal): IdentityPolicies {
    const roleName = p.roleArn?.slice(p.roleArn.lastIndexOf('/') + 1);
    const role = roleName ? this.#ctx.db.roles.get(nameKey(roleName)) : undefined;
    if (!role || role.Arn !== p.roleArn) return NONE;
    const out: NamedPolicy[] = [];
    this.#collect(`role/${role.RoleName}`, role, out, new Set());
    const result = this.#withBoundary(out, role.PermissionsBoundary);
    const session = this.#directory.sessionPolicies(p);
    return session ? { ...result, sessionPolicies: session } : result;
  }

  #collect(prefix: string, holder: PolicyHolder, out: NamedPolicy[], seen: Set<string>): void {
    for (const [name, document] of Object.entries(holder.inline)) out.push({ id: `${prefix}/inline/${name}`, document });
    for (const arn of holder.attached) {
      if (seen.has(arn)) continue;
      seen.add(arn);
      const p = this.#policies.resolve(arn);
      if (p) out.push({ id: arn, document: p.document });
    }
  }

  #withBoundary(identity: NamedPolicy[], boundaryArn: string | undefined): IdentityPolicies {
    const b = boundaryArn ? this.#policies.resolve(boundaryArn) : undefined;
    return b ? { identity, permissionsBoundary: { id: b.arn, document: b.document } } : { identity };
  }
}


