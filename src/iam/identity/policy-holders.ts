import type { EntityKind, PolicyHolder } from './iam-store.js';
import type { GroupService } from './group-service.js';
import type { RoleService } from './role-service.js';
import type { UserService } from './user-service.js';

/** A user, group or role seen only as something that holds policies. */
export type HolderDoc = PolicyHolder & { Path: string; Arn: string; PermissionsBoundary?: string };

export interface Holders {
  require(kind: EntityKind, name: string): HolderDoc & { name: string };
  save(kind: EntityKind, doc: HolderDoc): void;
}

/** The three entity services behind one door, for inline policies and attachments. */
export function policyHolders(users: UserService, groups: GroupService, roles: RoleService): Holders {
  return {
    require(kind, name) {
      if (kind === 'user') { const u = users.require(name); return Object.assign(u, { name: u.UserName }); }
      if (kind === 'group') { const g = groups.require(name); return Object.assign(g, { name: g.GroupName }); }
      const r = roles.require(name);
      return Object.assign(r, { name: r.RoleName });
    },
    save(kind, doc) {
      const { name: _drop, ...plain } = doc as HolderDoc & { name?: string };
      if (kind === 'user') users.save(plain as Parameters<UserService['save']>[0]);
      else if (kind === 'group') groups.save(plain as Parameters<GroupService['save']>[0]);
      else roles.save(plain as Parameters<RoleService['save']>[0]);
    },
  };
}

/** The member that names the entity in IAM's inputs and outputs (`UserName`, `GroupName`, `RoleName`). */
export const NAME_MEMBER: Record<EntityKind, 'UserName' | 'GroupName' | 'RoleName'> = { user: 'UserName', group: 'GroupName', role: 'RoleName' };
