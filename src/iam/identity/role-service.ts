import { AwsError, ValidationException } from '../../domain/errors.js';
import type { IamContext } from './iam-context.js';
import { nameKey, type RoleDoc, type Tag } from './iam-store.js';
import { checkPolicyDocument, encodeDocument, mergeTags, paginate, pageOutput, removeTags, tagsMember, underPath, refuseWhilePoliciesRemain } from './iam-validation.js';

export const noSuchRole = (name: string) => new AwsError('NoSuchEntityException', `The role with name ${name} cannot be found.`);

/** IAM's quota for a trust policy ("ACLSizePerRole"), counted without whitespace. */
const TRUST_LIMIT = 2048;

/** IAM's bounds for a role's MaxSessionDuration: one to twelve hours. */
function checkMaxSessionDuration(v: number | undefined): void {
  if (v === undefined) return;
  if (v < 3600) throw new ValidationException(`1 validation error detected: Value '${v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600`);
  if (v > 43200) throw new ValidationException(`1 validation error detected: Value '${v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200`);
}

function checkTrust(doc: string): void {
  checkPolicyDocument(doc, 'trust', { max: TRUST_LIMIT, message: `Cannot exceed quota for ACLSizePerRole: ${TRUST_LIMIT}` });
}

export interface CreateRoleInput {
  RoleName: string;
  AssumeRolePolicyDocument: string;
  Path?: string;
  Description?: string;
  MaxSessionDuration?: number;
  PermissionsBoundary?: string;
  Tags?: Tag[];
}

/** IAM roles: trust policy, session duration, description, boundary, tags. */
export class RoleService {
  readonly #ctx: IamContext;

  constructor(ctx: IamContext) {
    this.#ctx = ctx;
  }

  require(name: string): RoleDoc {
    const r = this.#ctx.db.roles.get(nameKey(name));
    if (!r) throw noSuchRole(name);
    return r;
  }

  find(name: string): RoleDoc | undefined {
    return this.#ctx.db.roles.get(nameKey(name));
  }

  save(role: RoleDoc): void {
    this.#ctx.db.roles.put(nameKey(role.RoleName), role);
  }

  create(input: CreateRoleInput, checkBoundary?: (arn: string) => void) {
    const { db, ids, accountId, clock } = this.#ctx;
    checkMaxSessionDuration(input.MaxSessionDuration);
    checkTrust(input.AssumeRolePolicyDocument);
    if (input.PermissionsBoundary) checkBoundary?.(input.PermissionsBoundary);
    const path = input.Path ?? '/';
    const role: RoleDoc = {
      RoleName: input.RoleName,
      RoleId: ids.uniqueId('AROA'),
      Path: path,
      Arn: `arn:aws:iam::${accountId}:role${path}${input.RoleName}`,
      CreateDate: clock.now(),
      AssumeRolePolicyDocument: input.AssumeRolePolicyDocument,
      ...(input.Description !== undefined ? { Description: input.Description } : {}),
      MaxSessionDuration: input.MaxSessionDuration ?? 3600,
      ...(input.PermissionsBoundary ? { PermissionsBoundary: input.PermissionsBoundary } : {}),
      Tags: mergeTags([], input.Tags),
      trustRevision: 1,
      inline: {},
      attached: [],
    };
    if (!db.roles.insert(nameKey(input.RoleName), role)) {
      throw new AwsError('EntityAlreadyExistsException', `Role with name ${input.RoleName} already exists.`);
    }
    this.#ctx.revision.bump();
    return { Role: roleOutput(role) };
  }

  get(input: { RoleName: string }) {
    return { Role: roleOutput(this.require(input.RoleName), true) };
  }

  list(input: { PathPrefix?: string; Marker?: string; MaxItems?: number }) {
    const roles = this.#ctx.db.roles.list().map((e) => e.value).filter((r) => underPath(r.Path, input.PathPrefix));
    return pageOutput('Roles', paginate(roles, (r) => nameKey(r.RoleName), input), (r) => roleOutput(r));
  }

  /** UpdateRole: description and/or maximum session duration. */
  update(input: { RoleName: string; Description?: string; MaxSessionDuration?: number }) {
    checkMaxSessionDuration(input.MaxSessionDuration);
    this.#ctx.db.transaction(() => {
      const r = this.require(input.RoleName);
      this.save({
        ...r,
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        ...(input.MaxSessionDuration !== undefined ? { MaxSessionDuration: input.MaxSessionDuration } : {}),
      });
    });
    return {};
  }

  updateDescription(input: { RoleName: string; Description?: string }) {
    this.update({ RoleName: input.RoleName, Description: input.Description ?? '' });
    return { Role: roleOutput(this.require(input.RoleName), true) };
  }

  /** UpdateAssumeRolePolicy: a new trust policy, and a new revision of it as a resource policy. */
  updateAssumeRolePolicy(input: { RoleName: string; PolicyDocument: string }) {
    checkTrust(input.PolicyDocument);
    this.#ctx.db.transaction(() => {
      const r = this.require(input.RoleName);
      this.save({ ...r, AssumeRolePolicyDocument: input.PolicyDocument, trustRevision: r.trustRevision + 1 });
    });
    this.#ctx.revision.bump();
    return {};
  }

  /**
   * DeleteRole refuses while policies are attached or inline (DeleteConflict, IAM's words). Its
   * sessions stop working: a role re-created under the same name is another role (another id).
   */
  delete(input: { RoleName: string }) {
    this.#ctx.db.transaction(() => {
      const r = this.require(input.RoleName);
      refuseWhilePoliciesRemain(r);
      this.#ctx.db.roles.delete(nameKey(r.RoleName));
    });
    this.#ctx.revision.bump({ kind: 'role-deleted', roleName: input.RoleName });
    return {};
  }

  tag(input: { RoleName: string; Tags: Tag[] }) {
    this.#ctx.db.transaction(() => {
      const r = this.require(input.RoleName);
      this.save({ ...r, Tags: mergeTags(r.Tags, input.Tags) });
    });
    return {};
  }

  untag(input: { RoleName: string; TagKeys: string[] }) {
    this.#ctx.db.transaction(() => {
      const r = this.require(input.RoleName);
      this.save({ ...r, Tags: removeTags(r.Tags, input.TagKeys) });
    });
    return {};
  }

  listTags(input: { RoleName: string; Marker?: string; MaxItems?: number }) {
    return pageOutput('Tags', paginate(this.require(input.RoleName).Tags, (t) => t.Key, input), (t) => t);
  }
}

/**
 * The `Role` shape. GetRole adds the boundary, tags and RoleLastUsed; ListRoles leaves them out,
 * as IAM does. The trust policy travels URL-encoded.
 */
export function roleOutput(r: RoleDoc, full = false) {
  return {
    Path: r.Path,
    RoleName: r.RoleName,
    RoleId: r.RoleId,
    Arn: r.Arn,
    CreateDate: new Date(r.CreateDate),
    AssumeRolePolicyDocument: encodeDocument(r.AssumeRolePolicyDocument),
    ...(r.Description !== undefined ? { Description: r.Description } : {}),
    MaxSessionDuration: r.MaxSessionDuration,
    ...(full && r.PermissionsBoundary
      ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: r.PermissionsBoundary } }
      : {}),
    ...(full ? tagsMember(r.Tags) : {}),
    ...(full
      ? { RoleLastUsed: r.LastUsedDate ? { LastUsedDate: new Date(r.LastUsedDate), Region: r.LastUsedRegion } : {} }
      : {}),
  };
}
