import { randomUUID } from 'node:crypto';
import { AwsError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import { defaultKeyPolicy } from './key-policies.js';
import { keyMetadata } from './key-metadata.js';
import { kmsErrors } from './kms-errors.js';
import type { KmsKeys } from './kms-keys.js';
import type { KeyRecord, KmsTag } from './kms-records.js';
import { checkTags, mergeTags, validatePolicy } from './kms-validation.js';

const DAY_MS = 86_400_000;
/** AWS: "You can perform on-demand key material rotation up to 10 times per KMS key" (until raised). */
const ON_DEMAND_ROTATION_LIMIT = 10;

/** Who calls, for KMS's refusals of the account's own root on AWS managed keys. */
export type CallerArn = string | undefined;

/**
 * The management side of KMS keys: create, describe, list, enable/disable, deletion with a waiting
 * period, rotation (automatic and on demand), key policies, tags and descriptions.
 */
export class KeyAdminService {
  readonly #keys: KmsKeys;
  readonly #clock: Clock;

  constructor(keys: KmsKeys, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  createKey(input: {
    Description?: string; KeyUsage?: string; KeySpec?: string; CustomerMasterKeySpec?: string; Origin?: string;
    Policy?: string; Tags?: KmsTag[]; MultiRegion?: boolean; CustomKeyStoreId?: string; XksKeyId?: string;
  }): { KeyMetadata: Record<string, unknown> } {
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? 'SYMMETRIC_DEFAULT';
    if (input.KeySpec && input.CustomerMasterKeySpec) {
      throw kmsErrors.validation('You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec parameter is deprecated. Use KeySpec only.');
    }
    // Flint serves symmetric encryption keys only (see the KMS notes in docs/design.md).
    if (spec !== 'SYMMETRIC_DEFAULT') throw kmsErrors.unsupported(`KeySpec ${spec} is not supported by this endpoint; only SYMMETRIC_DEFAULT keys are.`);
    if (input.KeyUsage !== undefined && input.KeyUsage !== 'ENCRYPT_DECRYPT') {
      throw new AwsError('ValidationException', `KeyUsage ${input.KeyUsage} is not compatible with KeySpec SYMMETRIC_DEFAULT`);
    }
    if (input.Origin !== undefined && input.Origin !== 'AWS_KMS') throw kmsErrors.unsupported(`Origin ${input.Origin} is not supported by this endpoint; only AWS_KMS is.`);
    if (input.MultiRegion) throw kmsErrors.unsupported('Multi-Region keys are not supported by this endpoint.');
    if (input.CustomKeyStoreId || input.XksKeyId) throw kmsErrors.unsupported('Custom key stores are not supported by this endpoint.');
    if (input.Policy !== undefined) validatePolicy(input.Policy);
    const tags = input.Tags ?? [];
    checkTags(tags);
    const record = this.newKey({
      description: input.Description ?? '',
      keyManager: 'CUSTOMER',
      policy: input.Policy ?? defaultKeyPolicy(this.#keys.accountId),
      tags: mergeTags([], tags),
    });
    return { KeyMetadata: keyMetadata(record, this.#keys.accountId) };
  }

  /** Creates and stores a key (customer or AWS managed); the caller has validated the parts. */
  newKey(parts: { description: string; keyManager: 'CUSTOMER' | 'AWS'; policy: string; tags: KmsTag[]; rotationEnabled?: boolean }): KeyRecord {
    const now = this.#clock.now();
    const keyId = randomUUID();
    const record: KeyRecord = {
      keyId,
      arn: this.#keys.keyArn(keyId),
      createdAt: now,
      description: parts.description,
      keyUsage: 'ENCRYPT_DECRYPT',
      keySpec: 'SYMMETRIC_DEFAULT',
      keyManager: parts.keyManager,
      state: 'Enabled',
      policy: parts.policy,
      policyRevision: 1,
      tags: parts.tags,
      rotationEnabled: parts.rotationEnabled ?? false,
      ...(parts.rotationEnabled ? { rotationPeriodDays: 365, nextRotation: now + 365 * DAY_MS } : {}),
      materials: [this.#keys.newMaterial(keyId, now)],
    };
    this.#keys.put(record);
    return record;
  }

  describeKey(input: { KeyId: string }): { KeyMetadata: Record<string, unknown> } {
    return { KeyMetadata: keyMetadata(this.#keys.resolve(input.KeyId), this.#keys.accountId) };
  }

  listKeys(input: { Limit?: number; Marker?: string }): { Keys: Array<{ KeyId: string; KeyArn: string }>; Truncated: boolean; NextMarker?: string } {
    const limit = input.Limit ?? 1000;
    const page = this.#keys.list({ ...(input.Marker ? { after: input.Marker } : {}), limit: limit + 1 });
    const truncated = page.length > limit;
    const keys = page.slice(0, limit);
    return {
      Keys: keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
      Truncated: truncated,
      ...(truncated ? { NextMarker: keys[keys.length - 1]!.keyId } : {}),
    };
  }

  enableKey(input: { KeyId: string }, caller?: CallerArn): void {
    this.#update(input.KeyId, 'kms:EnableKey', caller, (r) => {
      notPending(r);
      r.state = 'Enabled';
    });
  }

  disableKey(input: { KeyId: string }, caller?: CallerArn): void {
    this.#update(input.KeyId, 'kms:DisableKey', caller, (r) => {
      notPending(r);
      r.state = 'Disabled';
    });
  }

  scheduleKeyDeletion(input: { KeyId: string; PendingWindowInDays?: number }, caller?: CallerArn) {
    const days = input.PendingWindowInDays ?? 30;
    // The model allows 1–365; KMS itself enforces its 7–30 day waiting period.
    if (days < 7 || days > 30) throw kmsErrors.validation('PendingWindowInDays must be between 7 and 30');
    const r = this.#update(input.KeyId, 'kms:ScheduleKeyDeletion', caller, (k) => {
      notPending(k);
      k.state = 'PendingDeletion';
      k.deletionDate = this.#clock.now() + days * DAY_MS;
      k.pendingWindowDays = days;
    });
    return { KeyId: r.arn, DeletionDate: new Date(r.deletionDate!), KeyState: r.state, PendingWindowInDays: days };
  }

  /** AWS: a key whose deletion is cancelled is Disabled, whatever it was before. */
  cancelKeyDeletion(input: { KeyId: string }, caller?: CallerArn): { KeyId: string } {
    const r = this.#update(input.KeyId, 'kms:CancelKeyDeletion', caller, (k) => {
      if (k.state !== 'PendingDeletion') throw kmsErrors.notPendingDeletion(k.arn);
      k.state = 'Disabled';
      delete k.deletionDate;
      delete k.pendingWindowDays;
    });
    return { KeyId: r.arn };
  }

  enableKeyRotation(input: { KeyId: string; RotationPeriodInDays?: number }, caller?: CallerArn): void {
    const days = input.RotationPeriodInDays ?? 365;
    this.#update(input.KeyId, 'kms:EnableKeyRotation', caller, (r) => {
      usable(r);
      r.rotationEnabled = true;
      r.rotationPeriodDays = days;
      r.nextRotation = this.#clock.now() + days * DAY_MS;
    });
  }

  disableKeyRotation(input: { KeyId: string }, caller?: CallerArn): void {
    this.#update(input.KeyId, 'kms:DisableKeyRotation', caller, (r) => {
      usable(r);
      r.rotationEnabled = false;
      delete r.rotationPeriodDays;
      delete r.nextRotation;
    });
  }

  getKeyRotationStatus(input: { KeyId: string }) {
    const r = this.#keys.resolve(input.KeyId, { aliases: false });
    const onDemand = [...r.materials].reverse().find((m) => m.rotationType === 'ON_DEMAND');
    return {
      KeyId: r.arn,
      KeyRotationEnabled: r.rotationEnabled,
      ...(r.rotationEnabled ? { RotationPeriodInDays: r.rotationPeriodDays, NextRotationDate: new Date(r.nextRotation!) } : {}),
      ...(onDemand ? { OnDemandRotationStartDate: new Date(onDemand.createdAt) } : {}),
    };
  }

  /** A new material version now; ciphertexts under older versions still decrypt. */
  rotateKeyOnDemand(input: { KeyId: string }, caller?: CallerArn): { KeyId: string } {
    const r = this.#update(input.KeyId, 'kms:RotateKeyOnDemand', caller, (k) => {
      usable(k);
      if (k.materials.filter((m) => m.rotationType === 'ON_DEMAND').length >= ON_DEMAND_ROTATION_LIMIT) {
        throw new AwsError('LimitExceededException', `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${k.arn}`);
      }
      k.materials.push(this.#keys.newMaterial(k.keyId, this.#clock.now(), 'ON_DEMAND'));
    });
    return { KeyId: r.keyId };
  }

  listKeyRotations(input: { KeyId: string; Limit?: number; Marker?: string }) {
    const r = this.#keys.resolve(input.KeyId, { aliases: false });
    const all = r.materials.filter((m) => m.rotationType !== undefined);
    const start = input.Marker ? Number(input.Marker) : 0;
    if (!Number.isInteger(start) || start < 0 || start > all.length) throw kmsErrors.invalidMarker();
    const limit = input.Limit ?? 100;
    const page = all.slice(start, start + limit);
    const truncated = start + limit < all.length;
    return {
      Rotations: page.map((m) => ({ KeyId: r.keyId, KeyMaterialId: m.id, RotationDate: new Date(m.createdAt), RotationType: m.rotationType })),
      Truncated: truncated,
      ...(truncated ? { NextMarker: String(start + limit) } : {}),
    };
  }

  getKeyPolicy(input: { KeyId: string; PolicyName?: string }): { Policy: string; PolicyName: string } {
    const r = this.#keys.resolve(input.KeyId, { aliases: false });
    policyName(input.PolicyName);
    return { Policy: r.policy, PolicyName: 'default' };
  }

  putKeyPolicy(input: { KeyId: string; PolicyName?: string; Policy: string }, caller?: CallerArn): void {
    policyName(input.PolicyName);
    validatePolicy(input.Policy);
    this.#update(input.KeyId, 'kms:PutKeyPolicy', caller, (r) => {
      r.policy = input.Policy;
      r.policyRevision++;
    });
  }

  listKeyPolicies(input: { KeyId: string }): { PolicyNames: string[]; Truncated: boolean } {
    this.#keys.resolve(input.KeyId, { aliases: false });
    return { PolicyNames: ['default'], Truncated: false };
  }

  tagResource(input: { KeyId: string; Tags: KmsTag[] }, caller?: CallerArn): void {
    checkTags(input.Tags);
    this.#update(input.KeyId, 'kms:TagResource', caller, (r) => {
      const merged = mergeTags(r.tags, input.Tags);
      if (merged.length > 50) throw kmsErrors.tag('Too many tags');
      r.tags = merged;
    });
  }

  untagResource(input: { KeyId: string; TagKeys: string[] }, caller?: CallerArn): void {
    this.#update(input.KeyId, 'kms:UntagResource', caller, (r) => {
      r.tags = r.tags.filter((t) => !input.TagKeys.includes(t.TagKey));
    });
  }

  listResourceTags(input: { KeyId: string; Limit?: number; Marker?: string }): { Tags: KmsTag[]; Truncated: boolean } {
    const r = this.#keys.resolve(input.KeyId, { aliases: false });
    return { Tags: r.tags, Truncated: false };
  }

  updateKeyDescription(input: { KeyId: string; Description: string }, caller?: CallerArn): void {
    this.#update(input.KeyId, 'kms:UpdateKeyDescription', caller, (r) => {
      notPending(r);
      r.description = input.Description;
    });
  }

  /** Deletes keys past their waiting period and rotates keys whose rotation is due. */
  sweep(): number {
    return this.#keys.sweep();
  }

  /**
   * Read-modify-write of one key in a transaction. Only key ids and key ARNs name a key in the
   * management operations, as in KMS. AWS managed keys are AWS's to manage: their key policy
   * lets no one (the account root included) change them.
   */
  #update(ref: string, action: string, caller: CallerArn, change: (r: KeyRecord) => void): KeyRecord {
    return this.#keys.transaction(() => {
      const r = this.#keys.resolve(ref, { aliases: false });
      if (r.keyManager === 'AWS') {
        throw new AwsError('AccessDeniedException', `User: ${caller ?? 'unknown'} is not authorized to perform: ${action} on resource: ${r.arn} because no resource-based policy allows the ${action} action`);
      }
      change(r);
      this.#keys.put(r);
      return r;
    });
  }
}

function notPending(r: KeyRecord): void {
  if (r.state === 'PendingDeletion') throw kmsErrors.pendingDeletion(r.arn);
}

/** Enabled, or the error KMS gives for a disabled key / one pending deletion. */
function usable(r: KeyRecord): void {
  if (r.state === 'Disabled') throw kmsErrors.disabled(r.arn);
  notPending(r);
}

/** KMS keys have one policy, named `default`. */
function policyName(name: string | undefined): void {
  if (name !== undefined && name !== 'default') throw new AwsError('NotFoundException', 'No such policy exists');
}
