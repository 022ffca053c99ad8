import { AwsError, ValidationException } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { IamContext } from './iam-context.js';
import { nameKey, type Tag, type UserDoc } from './iam-store.js';
import { mergeTags, paginate, pageOutput, removeTags, tagsMember, underPath, deleteConflict, refuseWhilePoliciesRemain } from './iam-validation.js';

export const noSuchUser = (name: string) => new AwsError('NoSuchEntityException', `The user with name ${name} cannot be found.`);

/**
 * Operations that may omit UserName act on the caller's own user (GetUser, CreateAccessKey,
 * ListAccessKeys…). AWS refuses them for role sessions: "Must specify userName when calling with
 * non-User credentials".
 */
export function callerUserName(given: string | undefined, principal: Principal): string | undefined {
  if (given) return given;
  if (principal.type === 'User' && principal.userName) return principal.userName;
  if (principal.type === 'Account') return undefined;
  throw new ValidationException('Must specify userName when calling with non-User credentials');
}

/** IAM users: create, read, list, rename/move, delete (with IAM's DeleteConflict rules), tags. */
export class UserService {
  readonly #ctx: IamContext;

  constructor(ctx: IamContext) {
    this.#ctx = ctx;
  }

  /** The stored user, or NoSuchEntity in IAM's words. */
  require(name: string): UserDoc {
    const u = this.#ctx.db.users.get(nameKey(name));
    if (!u) throw noSuchUser(name);
    return u;
  }

  find(name: string): UserDoc | undefined {
    return this.#ctx.db.users.get(nameKey(name));
  }

  create(input: { UserName: string; Path?: string; PermissionsBoundary?: string; Tags?: Tag[] }, checkBoundary?: (arn: string) => void) {
    const { db, ids, accountId, clock } = this.#ctx;
    const path = input.Path ?? '/';
    if (input.PermissionsBoundary) checkBoundary?.(input.PermissionsBoundary);
    const user: UserDoc = {
      UserName: input.UserName,
      UserId: ids.uniqueId('AIDA'),
      Path: path,
      Arn: `arn:aws:iam::${accountId}:user${path}${input.UserName}`,
      CreateDate: clock.now(),
      Tags: mergeTags([], input.Tags),
      ...(input.PermissionsBoundary ? { PermissionsBoundary: input.PermissionsBoundary } : {}),
      inline: {},
      attached: [],
      groups: [],
      keys: [],
    };
    if (!db.users.insert(nameKey(input.UserName), user)) {
      throw new AwsError('EntityAlreadyExistsException', `User with name ${input.UserName} already exists.`);
    }
    this.#ctx.revision.bump();
    return { User: userOutput(user) };
  }

  /** GetUser: the named user, or the caller's own (the account's root answers with its own ARN). */
  get(input: { UserName?: string }, principal: Principal) {
    const name = callerUserName(input.UserName, principal);
    if (name === undefined) {
      return { User: { Path: '/', UserName: this.#ctx.accountId, UserId: this.#ctx.accountId, Arn: `arn:aws:iam::${this.#ctx.accountId}:root`, CreateDate: new Date(0) } };
    }
    return { User: userOutput(this.require(name)) };
  }

  list(input: { PathPrefix?: string; Marker?: string; MaxItems?: number }) {
    const users = this.#ctx.db.users.list().map((e) => e.value).filter((u) => underPath(u.Path, input.PathPrefix));
    return pageOutput('Users', paginate(users, (u) => nameKey(u.UserName), input), (u) => userOutput(u, false));
  }

  /**
   * UpdateUser renames and/or moves a user. Its ARN follows; memberships and key ownership are
   * rewritten in the same transaction.
   */
  update(input: { UserName: string; NewUserName?: string; NewPath?: string }) {
    const { db, accountId } = this.#ctx;
    db.transaction(() => {
      const user = this.require(input.UserName);
      const newName = input.NewUserName ?? user.UserName;
      const renamed = nameKey(newName) !== nameKey(user.UserName);
      if (renamed && db.users.get(nameKey(newName))) throw new AwsError('EntityAlreadyExistsException', `User with name ${newName} already exists.`);
      const updated: UserDoc = { ...user, UserName: newName, Path: input.NewPath ?? user.Path };
      updated.Arn = `arn:aws:iam::${accountId}:user${updated.Path}${newName}`;
      if (renamed) {
        db.users.delete(nameKey(user.UserName));
        for (const g of user.groups) {
          db.memberships.delete(`${nameKey(g)}\u0000${nameKey(user.UserName)}`);
          db.memberships.put(`${nameKey(g)}\u0000${nameKey(newName)}`, {});
        }
        for (const id of user.keys) {
          const k = db.accessKeys.get(id);
          if (k) db.accessKeys.put(id, { ...k, UserName: newName });
        }
        for (const arn of user.attached) {
          db.attachments.delete(`${arn}\u0000user\u0000${nameKey(user.UserName)}`);
          db.attachments.put(`${arn}\u0000user\u0000${nameKey(newName)}`, { PolicyArn: arn, kind: 'user', name: newName });
        }
      }
      db.users.put(nameKey(newName), updated);
    });
    this.#ctx.revision.bump({ kind: 'user-deleted', userName: input.UserName });
    return {};
  }

  /**
   * DeleteUser refuses, as IAM does, while the user still has access keys, inline policies,
   * attached policies or group memberships (DeleteConflict, one message per cause).
   */
  delete(input: { UserName: string }) {
    const { db } = this.#ctx;
    db.transaction(() => {
      const user = this.require(input.UserName);
      if (user.keys.length) throw deleteConflict('Cannot delete entity, must delete access keys first.');
      refuseWhilePoliciesRemain(user);
      if (user.groups.length) throw deleteConflict('Cannot delete entity, must remove users from group first.');
      db.users.delete(nameKey(user.UserName));
    });
    this.#ctx.revision.bump({ kind: 'user-deleted', userName: input.UserName });
    return {};
  }

  tag(input: { UserName: string; Tags: Tag[] }) {
    this.#ctx.db.transaction(() => {
      const u = this.require(input.UserName);
      this.#ctx.db.users.put(nameKey(u.UserName), { ...u, Tags: mergeTags(u.Tags, input.Tags) });
    });
    return {};
  }

  untag(input: { UserName: string; TagKeys: string[] }) {
    this.#ctx.db.transaction(() => {
      const u = this.require(input.UserName);
      this.#ctx.db.users.put(nameKey(u.UserName), { ...u, Tags: removeTags(u.Tags, input.TagKeys) });
    });
    return {};
  }

  listTags(input: { UserName: string; Marker?: string; MaxItems?: number }) {
    const tags = this.require(input.UserName).Tags;
    return pageOutput('Tags', paginate(tags, (t) => t.Key, input), (t) => t);
  }

  /** Stores a user document changed by another service (boundaries, memberships) and bumps. */
  save(user: UserDoc): void {
    this.#ctx.db.users.put(nameKey(user.UserName), user);
  }
}

/** The `User` shape. ListUsers omits tags and the boundary, as IAM does. */
export function userOutput(u: UserDoc, full = true) {
  return {
    Path: u.Path,
    UserName: u.UserName,
    UserId: u.UserId,
    Arn: u.Arn,
    CreateDate: new Date(u.CreateDate),
    ...(full && u.PermissionsBoundary
      ? { PermissionsBoundary: { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: u.PermissionsBoundary } }
      : {}),
    ...(full ? tagsMember(u.Tags) : {}),
  };
}
