import { AwsError, ValidationException } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { IamContext } from './iam-context.js';
import { nameKey, type AccessKeyDoc } from './iam-store.js';
import { callerUserName, type UserService } from './user-service.js';

/** IAM's quota: two access keys per user ("Cannot exceed quota for AccessKeysPerUser: 2"). */
const KEYS_PER_USER = 2;

const noSuchKey = (id: string) => new AwsError('NoSuchEntityException', `The Access Key with id ${id} cannot be found.`);

/** Long-term access keys of IAM users: create (secret shown once), list, (de)activate, delete. */
export class AccessKeyService {
  readonly #ctx: IamContext;
  readonly #users: UserService;
  readonly #lastUse = new Map<string, { at: number; service: string }>();

  constructor(ctx: IamContext, users: UserService) {
    this.#ctx = ctx;
    this.#users = users;
  }

  #owner(given: string | undefined, principal: Principal): string {
    const name = callerUserName(given, principal);
    // The account's own (root) access keys are managed outside IAM users; Flint's root key is
    // configured, not created through the API.
    if (name === undefined) throw new ValidationException('Must specify userName when calling with non-User credentials');
    return name;
  }

  create(input: { UserName?: string }, principal: Principal) {
    const { db, ids, clock } = this.#ctx;
    const key = db.transaction(() => {
      const user = this.#users.require(this.#owner(input.UserName, principal));
      if (user.keys.length >= KEYS_PER_USER) {
        throw new AwsError('LimitExceededException', `Cannot exceed quota for AccessKeysPerUser: ${KEYS_PER_USER}`);
      }
      const doc: AccessKeyDoc = {
        AccessKeyId: ids.accessKeyId('AKIA'),
        SecretAccessKey: ids.secret(),
        UserName: user.UserName,
        Status: 'Active',
        CreateDate: clock.now(),
      };
      db.accessKeys.put(doc.AccessKeyId, doc);
      this.#users.save({ ...user, keys: [...user.keys, doc.AccessKeyId] });
      return doc;
    });
    this.#ctx.revision.bump({ kind: 'key', accessKeyId: key.AccessKeyId });
    return {
      AccessKey: { UserName: key.UserName, AccessKeyId: key.AccessKeyId, Status: key.Status, SecretAccessKey: key.SecretAccessKey, CreateDate: new Date(key.CreateDate) },
    };
  }

  list(input: { UserName?: string }, principal: Principal) {
    const user = this.#users.require(this.#owner(input.UserName, principal));
    const keys = user.keys.map((id) => this.#ctx.db.accessKeys.get(id)).filter((k): k is AccessKeyDoc => k !== undefined);
    return {
      AccessKeyMetadata: keys.map((k) => ({ UserName: k.UserName, AccessKeyId: k.AccessKeyId, Status: k.Status, CreateDate: new Date(k.CreateDate) })),
      IsTruncated: false,
    };
  }

  #ownedKey(userName: string, id: string): AccessKeyDoc {
    const k = this.#ctx.db.accessKeys.get(id);
    if (!k || nameKey(k.UserName) !== nameKey(userName)) throw noSuchKey(id);
    return k;
  }

  /** UpdateAccessKey: an Inactive key stops authenticating at once (the directory drops it). */
  update(input: { UserName?: string; AccessKeyId: string; Status: 'Active' | 'Inactive' }, principal: Principal) {
    const name = this.#owner(input.UserName, principal);
    this.#ctx.db.transaction(() => {
      this.#users.require(name);
      const k = this.#ownedKey(name, input.AccessKeyId);
      this.#ctx.db.accessKeys.put(k.AccessKeyId, { ...k, Status: input.Status });
    });
    this.#ctx.revision.bump({ kind: 'key', accessKeyId: input.AccessKeyId });
    return {};
  }

  delete(input: { UserName?: string; AccessKeyId: string }, principal: Principal) {
    const name = this.#owner(input.UserName, principal);
    this.#ctx.db.transaction(() => {
      const user = this.#users.require(name);
      const k = this.#ownedKey(name, input.AccessKeyId);
      this.#ctx.db.accessKeys.delete(k.AccessKeyId);
      this.#users.save({ ...user, keys: user.keys.filter((id) => id !== k.AccessKeyId) });
    });
    this.#ctx.revision.bump({ kind: 'key', accessKeyId: input.AccessKeyId });
    return {};
  }

  /** GetAccessKeyLastUsed: `N/A` service and region until the key is first used, as IAM answers. */
  lastUsed(input: { AccessKeyId: string }) {
    const k = this.#ctx.db.accessKeys.get(input.AccessKeyId);
    if (!k) throw new AwsError('AccessDeniedException', 'The specified access key ID does not exist or does not belong to your account.', { status: 403 });
    return {
      UserName: k.UserName,
      AccessKeyLastUsed: {
        ...(k.LastUsedDate ? { LastUsedDate: new Date(k.LastUsedDate) } : {}),
        ServiceName: k.LastUsedService ?? 'N/A',
        Region: k.LastUsedRegion ?? 'N/A',
      },
    };
  }

  /**
   * Records a use of a key (GetAccessKeyLastUsed). IAM keeps this at a coarse grain, so a write
   * at most once a minute per key is enough and keeps the hot path free of writes.
   */
  recordUse(accessKeyId: string, service: string, region: string): void {
    const now = this.#ctx.clock.now();
    // Every signed request comes here: the last write per key is remembered in memory, so the
    // hot path reads nothing from the store within the minute.
    const last = this.#lastUse.get(accessKeyId);
    if (last && now - last.at < 60_000 && last.service === service) return;
    const k = this.#ctx.db.accessKeys.get(accessKeyId);
    if (!k) return;
    if (this.#lastUse.size > 10_000) this.#lastUse.clear();
    this.#lastUse.set(accessKeyId, { at: now, service });
    if (k.LastUsedDate !== undefined && now - k.LastUsedDate < 60_000 && k.LastUsedService === service) return;
    this.#ctx.db.accessKeys.put(accessKeyId, { ...k, LastUsedDate: now, LastUsedService: service, LastUsedRegion: region });
  }
}
