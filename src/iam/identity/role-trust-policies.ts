import type { NamedPolicy, ResourcePolicySource } from '../../ports/access-policies.js';
import type { ExecutionRoles } from '../../ports/execution-roles.js';
import type { IamContext } from './iam-context.js';
import { nameKey, type RoleDoc } from './iam-store.js';

/** Actions whose resource policy is the role's trust policy. */
const TRUST_ACTIONS = new Set(['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity', 'sts:TagSession', 'sts:SetSourceIdentity']);

/**
 * Role facts the rest of Flint asks about: a role's trust policy as the resource policy of
 * `sts:AssumeRole*` / `sts:TagSession` (AWS evaluates the trust policy exactly there), whether a
 * role can be a Lambda execution role, and entity paths for ARN building.
 */
export class RoleDirectory implements ResourcePolicySource, ExecutionRoles {
  readonly #ctx: IamContext;

  constructor(ctx: IamContext) {
    this.#ctx = ctx;
  }

  #roleByArn(arn: string): RoleDoc | undefined {
    const prefix = `arn:aws:iam::${this.#ctx.accountId}:role/`;
    if (!arn.startsWith(prefix)) return undefined;
    const role = this.#ctx.db.roles.get(nameKey(arn.slice(arn.lastIndexOf('/') + 1)));
    return role && role.Arn === arn ? role : undefined;
  }

  resourcePolicy(action: string, resourceArn: string): (NamedPolicy & { revision: string }) | undefined {
    if (!TRUST_ACTIONS.has(action)) return undefined;
    const role = this.#roleByArn(resourceArn);
    if (!role) return undefined;
    // The role id is part of the revision: a role deleted and re-created is another resource.
    return { id: `role/${role.RoleName}/trust`, document: role.AssumeRolePolicyDocument, revision: `${role.RoleId}:${role.trustRevision}` };
  }

  /**
   * What Lambda checks at CreateFunction: the role exists and its trust policy has an Allow for
   * sts:AssumeRole with the service principal lambda.amazonaws.com.
   */
  describeExecutionRole(roleArn: string): 'ok' | 'missing' | 'untrusted' {
    const role = this.#roleByArn(roleArn);
    if (!role) return 'missing';
    return trustsService(role.AssumeRolePolicyDocument, 'lambda.amazonaws.com') ? 'ok' : 'untrusted';
  }

  rolePath(name: string): string | undefined {
    return this.#ctx.db.roles.get(nameKey(name))?.Path;
  }

  userPath(name: string): string | undefined {
    return this.#ctx.db.users.get(nameKey(name))?.Path;
  }

  groupPath(name: string): string | undefined {
    return this.#ctx.db.groups.get(nameKey(name))?.Path;
  }

  /** The shape the authorizer's `paths` option takes. */
  get paths(): { user(n: string): string | undefined; role(n: string): string | undefined; group(n: string): string | undefined } {
    return { user: (n) => this.userPath(n), role: (n) => this.rolePath(n), group: (n) => this.groupPath(n) };
  }
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** An Allow statement for sts:AssumeRole (or sts:* / *) naming the service principal. */
export function trustsService(document: string, service: string): boolean {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(document);
  } catch {
    return false;
  }
  return asArray(doc.Statement).some((raw) => {
    const s = raw as Record<string, unknown>;
    if (s.Effect !== 'Allow') return false;
    const actions = asArray(s.Action) as string[];
    if (!actions.some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*')) return false;
    const principal = s.Principal as Record<string, unknown> | string | undefined;
    if (principal === '*') return true;
    return typeof principal === 'object' && principal !== null && asArray(principal.Service).includes(service);
  });
}
