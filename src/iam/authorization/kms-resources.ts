import {
  resourcesOf, setIf, str,
  type OperationInput, type ResourceEnv, type ServiceResources,
} from './service-resources.js';

/** What authorization asks the key service (src/kms) to name the key a request acts on. */
export interface KmsKeyLookup {
  /** The key id a KeyId (key id, key ARN, alias name, alias ARN) names, when it exists. */
  keyIdOf(ref: string): string | undefined;
  /** The key id a ciphertext blob names, for Decrypt / ReEncrypt without a KeyId. */
  ciphertextKeyId(blob: Uint8Array): string | undefined;
}

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Which input member names the key each action uses. */
function keyRefOf(action: string, input: OperationInput): { ref?: string; blob?: Uint8Array } {
  switch (action) {
    case 'kms:ReEncryptFrom':
      return { ref: str(input.SourceKeyId), blob: blobOf(input.CiphertextBlob) };
    case 'kms:ReEncryptTo':
      return { ref: str(input.DestinationKeyId) };
    case 'kms:CreateAlias':
    case 'kms:UpdateAlias':
      return { ref: str(input.TargetKeyId) };
    case 'kms:DeleteAlias':
      return { ref: str(input.AliasName) };
    case 'kms:Decrypt':
      return { ref: str(input.KeyId), blob: blobOf(input.CiphertextBlob) };
    default:
      return { ref: str(input.KeyId) };
  }
}

function blobOf(v: unknown): Uint8Array | undefined {
  return v instanceof Uint8Array ? v : undefined;
}

/**
 * KMS: every key operation is authorized against the key ARN, whatever form the KeyId took — an
 * alias name or alias ARN is resolved to its key, as AWS authorizes alias use against the key
 * ("Using aliases to control access": the key policy and IAM policies of the key decide).
 * Decrypt without a KeyId acts on the key the ciphertext names. Alias operations also act on the
 * alias ARN (CreateAlias / UpdateAlias / DeleteAlias need the permission on both).
 */
export const kmsResources: ServiceResources = {
  resources(action, input, _principal, env) {
    const prefix = `arn:${env.partition}:kms:${env.region}:${env.accountId}:`;
    return resourcesOf(action, (t) => {
      if (t.name === 'alias') {
        const name = str(input.AliasName);
        if (!name) return undefined;
        return name.startsWith('arn:') ? name : prefix + name;
      }
      if (t.name !== 'key') return undefined;
      const { ref, blob } = keyRefOf(action.action, input);
      const id = ref !== undefined ? keyIdOf(ref, env) : blob && env.kms?.ciphertextKeyId(blob);
      return id ? `${prefix}key/${id}` : ref?.startsWith(prefix + 'key/') ? ref : undefined;
    });
  },

  context(action, input, principal, _env, into) {
    into['kms:CallerAccount'] = principal.accountId;
    const ref = str(input.KeyId) ?? str(input.DestinationKeyId);
    if (ref && (ref.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:[^:]*:alias\//.test(ref))) {
      into['kms:RequestAlias'] = ref.startsWith('arn:') ? ref.slice(ref.indexOf(':alias/') + 1) : ref;
    }
    const ctx = action.action === 'kms:ReEncryptTo' ? input.DestinationEncryptionContext
      : action.action === 'kms:ReEncryptFrom' ? input.SourceEncryptionContext : input.EncryptionContext;
    if (ctx && typeof ctx === 'object') {
      const entries = Object.entries(ctx as Record<string, unknown>).filter(([, v]) => typeof v === 'string') as Array<[string, string]>;
      for (const [k, v] of entries) into[`kms:EncryptionContext:${k}`] = v;
      if (entries.length > 0) into['kms:EncryptionContextKeys'] = entries.map(([k]) => k);
    }
    setIf(into, 'kms:EncryptionAlgorithm', str(input.EncryptionAlgorithm));
    if (action.action === 'kms:CreateKey') {
      into['kms:KeySpec'] = str(input.KeySpec) ?? str(input.CustomerMasterKeySpec) ?? 'SYMMETRIC_DEFAULT';
      into['kms:KeyUsage'] = str(input.KeyUsage) ?? 'ENCRYPT_DECRYPT';
      into['kms:KeyOrigin'] = str(input.Origin) ?? 'AWS_KMS';
      into['kms:MultiRegion'] = input.MultiRegion === true ? 'true' : 'false';
    }
    if (input.BypassPolicyLockoutSafetyCheck !== undefined) into['kms:BypassPolicyLockoutSafetyCheck'] = input.BypassPolicyLockoutSafetyCheck === true ? 'true' : 'false';
    setIf(into, 'kms:ScheduleKeyDeletionPendingWindowInDays', str(input.PendingWindowInDays));
    setIf(into, 'kms:RotationPeriodInDays', str(input.RotationPeriodInDays));
  },
};

/** A key id from any KeyId form: looked up when the key service is wired, else read from the text. */
function keyIdOf(ref: string, env: ResourceEnv): string | undefined {
  const found = env.kms?.keyIdOf(ref);
  if (found) return found;
  const tail = ref.startsWith('arn:') ? ref.slice(ref.lastIndexOf(':key/') + 5) : ref;
  return ref.startsWith('arn:') && !ref.includes(':key/') ? undefined : KEY_ID.test(tail) ? tail : undefined;
}
