import type { Clock } from '../ports/clock.js';
import { kmsErrors } from './kms-errors.js';
import type { KmsKeys } from './kms-keys.js';
import type { AliasRecord } from './kms-records.js';

/** KMS aliases: friendly names (`alias/…`) for keys, usable wherever a KeyId is taken in cryptographic operations. */
export class AliasService {
  readonly #keys: KmsKeys;
  readonly #clock: Clock;

  constructor(keys: KmsKeys, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  createAlias(input: { AliasName: string; TargetKeyId: string }): void {
    customerAliasName(input.AliasName);
    this.#keys.transaction(() => {
      const key = this.#target(input.TargetKeyId);
      const now = this.#clock.now();
      const ok = this.#keys.putAlias({ aliasName: input.AliasName, aliasArn: this.#keys.aliasArn(input.AliasName), targetKeyId: key.keyId, createdAt: now, updatedAt: now });
      if (!ok) throw kmsErrors.aliasExists(this.#keys.aliasArn(input.AliasName));
    });
  }

  /** Points an existing alias at another key (AWS: the keys must have the same type and usage — all of Flint's do). */
  updateAlias(input: { AliasName: string; TargetKeyId: string }): void {
    customerAliasName(input.AliasName);
    this.#keys.transaction(() => {
      const alias = this.#keys.getAlias(input.AliasName);
      if (!alias) throw kmsErrors.aliasNotFound(this.#keys.aliasArn(input.AliasName));
      const key = this.#target(input.TargetKeyId);
      this.#keys.replaceAlias({ ...alias, targetKeyId: key.keyId, updatedAt: this.#clock.now() });
    });
  }

  deleteAlias(input: { AliasName: string }): void {
    customerAliasName(input.AliasName);
    if (!this.#keys.deleteAlias(input.AliasName)) throw kmsErrors.aliasNotFound(this.#keys.aliasArn(input.AliasName));
  }

  listAliases(input: { KeyId?: string; Limit?: number; Marker?: string }) {
    const keyId = input.KeyId !== undefined ? this.#keys.resolve(input.KeyId, { aliases: false }).keyId : undefined;
    const limit = input.Limit ?? 100;
    const all = keyId ? this.#keys.aliasesOf(keyId) : this.#keys.aliases();
    const live = all.filter((a) => this.#keys.get(a.targetKeyId) !== undefined);
    const start = input.Marker ? live.findIndex((a) => a.aliasName > input.Marker!) : 0;
    const from = start < 0 ? live.length : start;
    const page = live.slice(from, from + limit);
    const truncated = from + limit < live.length;
    return {
      Aliases: page.map(aliasEntry),
      Truncated: truncated,
      ...(truncated ? { NextMarker: page[page.length - 1]!.aliasName } : {}),
    };
  }

  /** An alias's target: a key id or key ARN of a key that is not pending deletion. */
  #target(ref: string) {
    const key = this.#keys.resolve(ref, { aliases: false });
    if (key.state === 'PendingDeletion') throw kmsErrors.pendingDeletion(key.arn);
    return key;
  }
}

function aliasEntry(a: AliasRecord) {
  return { AliasName: a.aliasName, AliasArn: a.aliasArn, TargetKeyId: a.targetKeyId, CreationDate: new Date(a.createdAt), LastUpdatedDate: new Date(a.updatedAt) };
}

/** `alias/<name>`, not in the `alias/aws/` namespace AWS keeps for its managed keys. */
function customerAliasName(name: string): void {
  if (!name.startsWith('alias/') || name.length <= 6) throw kmsErrors.aliasPrefix();
  if (name.startsWith('alias/aws/')) throw kmsErrors.reservedAlias();
}
