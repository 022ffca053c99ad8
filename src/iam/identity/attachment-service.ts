import { AwsError } from '../../domain/errors.js';
import type { IamContext } from './iam-context.js';
import { attachmentKey, attachmentPrefix, type EntityKind } from './iam-store.js';
import { paginate, pageOutput, underPath } from './iam-validation.js';
import type { ManagedPolicyService } from './managed-policy-service.js';
import type { Holders } from './policy-holders.js';

/** IAM's default quota of managed policies attached to one user, group or role. */
const MAX_ATTACHED = 10;
const QUOTA_NAME: Record<EntityKind, string> = { user: 'PoliciesPerUser', group: 'PoliciesPerGroup', role: 'PoliciesPerRole' };

/** Managed policies attached to users, groups and roles, and permissions boundaries. */
export class AttachmentService {
  readonly #ctx: IamContext;
  readonly #holders: Holders;
  readonly #policies: ManagedPolicyService;

  constructor(ctx: IamContext, holders: Holders, policies: ManagedPolicyService) {
    this.#ctx = ctx;
    this.#holders = holders;
    this.#policies = policies;
  }

  /** Attach…Policy: attaching a policy that is already attached changes nothing, as in IAM. */
  attach(kind: EntityKind, name: string, policyArn: string) {
    const { db } = this.#ctx;
    db.transaction(() => {
      const h = this.#holders.require(kind, name);
      if (!this.#policies.resolve(policyArn)) {
        throw new AwsError('NoSuchEntityException', `Policy ${policyArn} does not exist or is not attachable.`);
      }
      if (h.attached.includes(policyArn)) return;
      if (h.attached.length >= MAX_ATTACHED) throw new AwsError('LimitExceededException', `Cannot exceed quota for ${QUOTA_NAME[kind]}: ${MAX_ATTACHED}`);
      db.attachments.put(attachmentKey(policyArn, kind, h.name), { PolicyArn: policyArn, kind, name: h.name });
      this.#holders.save(kind, { ...h, attached: [...h.attached, policyArn] });
    });
    this.#ctx.revision.bump();
    return {};
  }

  detach(kind: EntityKind, name: string, policyArn: string) {
    const { db } = this.#ctx;
    db.transaction(() => {
      const h = this.#holders.require(kind, name);
      if (!h.attached.includes(policyArn)) throw new AwsError('NoSuchEntityException', `Policy ${policyArn} was not found.`);
      db.attachments.delete(attachmentKey(policyArn, kind, h.name));
      this.#holders.save(kind, { ...h, attached: h.attached.filter((a) => a !== policyArn) });
    });
    this.#ctx.revision.bump();
    return {};
  }

  listAttached(kind: EntityKind, name: string, input: { PathPrefix?: string; Marker?: string; MaxItems?: number }) {
    const rows = this.#holders.require(kind, name).attached
      .map((arn) => this.#policies.resolve(arn))
      .filter((p) => p !== undefined && underPath(p.path, input.PathPrefix))
      .map((p) => ({ PolicyName: p!.name, PolicyArn: p!.arn }));
    return pageOutput('AttachedPolicies', paginate(rows, (r) => r.PolicyArn, input), (r) => r);
  }

  /** ListEntitiesForPolicy: the users, groups and roles a policy is attached to. */
  listEntities(input: { PolicyArn: string; EntityFilter?: string; PathPrefix?: string }) {
    if (!this.#policies.resolve(input.PolicyArn)) throw new AwsError('NoSuchEntityException', `Policy ${input.PolicyArn} was not found.`);
    const filter = input.EntityFilter;
    const out = { PolicyGroups: [] as unknown[], PolicyUsers: [] as unknown[], PolicyRoles: [] as unknown[], IsTruncated: false };
    for (const { value } of this.#ctx.db.attachments.list(attachmentPrefix(input.PolicyArn))) {
      const want = filter === undefined || filter === 'LocalManagedPolicy' || filter === 'AWSManagedPolicy' || filter.toLowerCase() === value.kind;
      if (!want) continue;
      const h = this.#holders.require(value.kind, value.name) as unknown as Record<string, string>;
      if (!underPath(h.Path!, input.PathPrefix)) continue;
      if (value.kind === 'user') out.PolicyUsers.push({ UserName: h.UserName, UserId: h.UserId });
      else if (value.kind === 'group') out.PolicyGroups.push({ GroupName: h.GroupName, GroupId: h.GroupId });
      else out.PolicyRoles.push({ RoleName: h.RoleName, RoleId: h.RoleId });
    }
    return out;
  }

  /** Throws IAM's error when a permissions boundary names no managed policy. */
  checkBoundary(arn: string): void {
    if (!this.#policies.resolve(arn)) throw new AwsError('NoSuchEntityException', `Scope ARN: ${arn} does not exist or is not attachable.`);
  }

  putBoundary(kind: 'user' | 'role', name: string, arn: string) {
    this.#ctx.db.transaction(() => {
      const h = this.#holders.require(kind, name);
      this.checkBoundary(arn);
      this.#holders.save(kind, { ...h, PermissionsBoundary: arn });
    });
    this.#ctx.revision.bump();
    return {};
  }

  deleteBoundary(kind: 'user' | 'role', name: string) {
    this.#ctx.db.transaction(() => {
      const h = this.#holders.require(kind, name);
      const { PermissionsBoundary: _gone, ...rest } = h;
      this.#holders.save(kind, rest);
    });
    this.#ctx.revision.bump();
    return {};
  }
}
