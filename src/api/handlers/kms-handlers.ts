import type { OperationHandlers } from '../request-context.js';
import type { KmsServices } from '../../kms/kms-services.js';

/**
 * KMS's operations → the key service (src/kms). Symmetric keys only; asymmetric and HMAC keys,
 * grants, custom key stores, imported material and multi-Region keys answer
 * UnsupportedOperationException from the front door (no handler).
 */
export function kmsHandlers(k: KmsServices): OperationHandlers {
  return {
    CreateKey: (i) => k.admin.createKey(i),
    DescribeKey: (i) => k.admin.describeKey(i),
    ListKeys: (i) => k.admin.listKeys(i),
    EnableKey: (i, ctx) => k.admin.enableKey(i, ctx.principal.arn),
    DisableKey: (i, ctx) => k.admin.disableKey(i, ctx.principal.arn),
    ScheduleKeyDeletion: (i, ctx) => k.admin.scheduleKeyDeletion(i, ctx.principal.arn),
    CancelKeyDeletion: (i, ctx) => k.admin.cancelKeyDeletion(i, ctx.principal.arn),
    EnableKeyRotation: (i, ctx) => k.admin.enableKeyRotation(i, ctx.principal.arn),
    DisableKeyRotation: (i, ctx) => k.admin.disableKeyRotation(i, ctx.principal.arn),
    GetKeyRotationStatus: (i) => k.admin.getKeyRotationStatus(i),
    RotateKeyOnDemand: (i, ctx) => k.admin.rotateKeyOnDemand(i, ctx.principal.arn),
    ListKeyRotations: (i) => k.admin.listKeyRotations(i),
    GetKeyPolicy: (i) => k.admin.getKeyPolicy(i),
    PutKeyPolicy: (i, ctx) => k.admin.putKeyPolicy(i, ctx.principal.arn),
    ListKeyPolicies: (i) => k.admin.listKeyPolicies(i),
    TagResource: (i, ctx) => k.admin.tagResource(i, ctx.principal.arn),
    UntagResource: (i, ctx) => k.admin.untagResource(i, ctx.principal.arn),
    ListResourceTags: (i) => k.admin.listResourceTags(i),
    UpdateKeyDescription: (i, ctx) => k.admin.updateKeyDescription(i, ctx.principal.arn),
    CreateAlias: (i) => k.aliases.createAlias(i),
    UpdateAlias: (i) => k.aliases.updateAlias(i),
    DeleteAlias: (i) => k.aliases.deleteAlias(i),
    ListAliases: (i) => k.aliases.listAliases(i),
    Encrypt: (i) => k.crypto.encrypt(i),
    Decrypt: (i) => k.crypto.decrypt(i),
    ReEncrypt: (i) => k.crypto.reEncrypt(i),
    GenerateDataKey: (i) => k.crypto.generateDataKey(i),
    GenerateDataKeyWithoutPlaintext: (i) => k.crypto.generateDataKeyWithoutPlaintext(i),
    GenerateRandom: (i) => k.crypto.generateRandom(i),
  };
}
