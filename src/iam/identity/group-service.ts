import { AwsError } from '../../domain/errors.js';
import type { IamContext } from './iam-context.js';
import { membershipKey, membershipPrefix, nameKey, type GroupDoc } from './iam-store.js';
import { paginate, pageOutput, underPath, deleteConflict, refuseWhilePoliciesRemain } from './iam-validation.js';
import { userOutput, type UserService } from './user-service.js';

export const noSuchGroup = (name: string) => new AwsError('NoSuchEntityException', `The group with name ${name} cannot be found.`);

/** IAM groups and their members. A user's policies include those of every group it is in. */
export class GroupService {
  readonly #ctx: IamContext;
  readonly #users: UserService;

  constructor(ctx: IamContext, users: UserService) {
    this.#ctx = ctx;
    this.#users = users;
  }

  require(name: string): GroupDoc {
    const g = this.#ctx.db.groups.get(nameKey(name));
    if (!g) throw noSuchGroup(name);
    return g;
  }

  find(name: string): GroupDoc | undefined {
    return this.#ctx.db.groups.get(nameKey(name));
  }

  save(group: GroupDoc): void {
    this.#ctx.db.groups.put(nameKey(group.GroupName), group);
  }

  create(input: { GroupName: string; Path?: string }) {
    const { db, ids, accountId, clock } = this.#ctx;
    const path = input.Path ?? '/';
    const group: GroupDoc = {
      GroupName: input.GroupName,
      GroupId: ids.uniqueId('AGPA'),
      Path: path,
      Arn: `arn:aws:iam::${accountId}:group${path}${input.GroupName}`,
      CreateDate: clock.now(),
      inline: {},
      attached: [],
    };
    if (!db.groups.insert(nameKey(input.GroupName), group)) {
      throw new AwsError('EntityAlreadyExistsException', `Group with name ${input.GroupName} already exists.`);
    }
    this.#ctx.revision.bump();
    return { Group: groupOutput(group) };
  }

  /** GetGroup: the group and a page of its users. */
  get(input: { GroupName: string; Marker?: string; MaxItems?: number }) {
    const group = this.require(input.GroupName);
    const members = this.#ctx.db.memberships.list(membershipPrefix(group.GroupName))
      .map((e) => this.#ctx.db.users.get(e.key.slice(e.key.indexOf('\u0000') + 1)))
      .filter((u) => u !== undefined);
    const page = paginate(members, (u) => nameKey(u.UserName), input);
    return { Group: groupOutput(group), ...pageOutput('Users', page, (u) => userOutput(u, false)) } as
      { Group: ReturnType<typeof groupOutput>; Users: Array<ReturnType<typeof userOutput>>; IsTruncated: boolean; Marker?: string };
  }

  list(input: { PathPrefix?: string; Marker?: string; MaxItems?: number }) {
    const groups = this.#ctx.db.groups.list().map((e) => e.value).filter((g) => underPath(g.Path, input.PathPrefix));
    return pageOutput('Groups', paginate(groups, (g) => nameKey(g.GroupName), input), groupOutput);
  }

  /** DeleteGroup refuses while the group has members, inline or attached policies (DeleteConflict). */
  delete(input: { GroupName: string }) {
    const { db } = this.#ctx;
    db.transaction(() => {
      const g = this.require(input.GroupName);
      if (db.memberships.count(membershipPrefix(g.GroupName)) > 0) throw deleteConflict('Cannot delete entity, must remove users from group first.');
      refuseWhilePoliciesRemain(g);
      db.groups.delete(nameKey(g.GroupName));
    });
    this.#ctx.revision.bump();
    return {};
  }

  /** AddUserToGroup: adding a member twice is not an error in IAM. */
  addUser(input: { GroupName: string; UserName: string }) {
    const { db } = this.#ctx;
    db.transaction(() => {
      const g = this.require(input.GroupName);
      const u = this.#users.require(input.UserName);
      if (!db.memberships.insert(membershipKey(g.GroupName, u.UserName), {})) return;
      this.#users.save({ ...u, groups: [...u.groups, g.GroupName] });
    });
    this.#ctx.revision.bump();
    return {};
  }

  removeUser(input: { GroupName: string; UserName: string }) {
    const { db } = this.#ctx;
    db.transaction(() => {
      const g = this.require(input.GroupName);
      const u = this.#users.require(input.UserName);
      if (!db.memberships.delete(membershipKey(g.GroupName, u.UserName))) {
        throw new AwsError('NoSuchEntityException', `The user with name ${u.UserName} cannot be found.`);
      }
      this.#users.save({ ...u, groups: u.groups.filter((n) => nameKey(n) !== nameKey(g.GroupName)) });
    });
    this.#ctx.revision.bump();
    return {};
  }

  listForUser(input: { UserName: string; Marker?: string; MaxItems?: number }) {
    const u = this.#users.require(input.UserName);
    const groups = u.groups.map((n) => this.find(n)).filter((g) => g !== undefined)
      .sort((a, b) => (nameKey(a.GroupName) < nameKey(b.GroupName) ? -1 : 1));
    return pageOutput('Groups', paginate(groups, (g) => nameKey(g.GroupName), input), groupOutput);
  }
}

export function groupOutput(g: GroupDoc) {
  return { Path: g.Path, GroupName: g.GroupName, GroupId: g.GroupId, Arn: g.Arn, CreateDate: new Date(g.CreateDate) };
}
