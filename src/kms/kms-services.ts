import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/clock.js';
import type { MasterKeyring } from '../ports/master-keyring.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { AliasService } from './alias-service.js';
import { readBlobHeader } from './ciphertext-blob.js';
import { CryptoService } from './crypto-service.js';
import { FlintKeyService } from './flint-key-service.js';
import { KeyAdminService } from './key-admin-service.js';
import { KeyPolicySource } from './key-policies.js';
import { KmsKeys } from './kms-keys.js';

export interface KmsServices {
  keys: KmsKeys;
  admin: KeyAdminService;
  aliases: AliasService;
  crypto: CryptoService;
  /** The KeyService port, for Lambda. */
  keyService: FlintKeyService;
  /** Key policies, for the authorizer's resource-policy source. */
  keyPolicies: KeyPolicySource;
  /** What authorization needs to name the key a request acts on (src/iam/authorization/kms-resources.ts). */
  lookup: {
    /** The key id a KeyId (key id, key ARN, alias name, alias ARN) names, when it exists. */
    keyIdOf(ref: string): string | undefined;
    /** The key id a ciphertext blob names (Decrypt and ReEncrypt without a KeyId). */
    ciphertextKeyId(blob: Uint8Array): string | undefined;
  };
  /** Deletes keys past their waiting period and rotates keys that are due, every `intervalMs`. */
  startSweeper(intervalMs: number, onError?: (err: unknown) => void): void;
  stop(): void;
}

/** The key service over the metadata store, its material wrapped by the master keyring. */
export function createKmsServices(deps: {
  store: MetadataStore; keyring: MasterKeyring; clock: Clock; audit: AuditLog; region: string; accountId: string; partition?: string;
}): KmsServices {
  const keys = new KmsKeys({ store: deps.store, keyring: deps.keyring, now: () => deps.clock.now(), region: deps.region, accountId: deps.accountId, partition: deps.partition });
  const admin = new KeyAdminService(keys, deps.clock);
  const crypto = new CryptoService(keys);
  let timer: NodeJS.Timeout | undefined;
  return {
    keys,
    admin,
    aliases: new AliasService(keys, deps.clock),
    crypto,
    keyService: new FlintKeyService({ keys, crypto, admin, audit: deps.audit, clock: deps.clock }),
    keyPolicies: new KeyPolicySource(keys),
    lookup: {
      keyIdOf(ref) {
        try {
          return keys.resolve(ref).keyId;
        } catch {
          return undefined;
        }
      },
      ciphertextKeyId: (blob) => readBlobHeader(blob)?.keyId,
    },
    startSweeper(intervalMs, onError) {
      if (timer) return;
      timer = setInterval(() => {
        try {
          keys.sweep();
        } catch (err) {
          onError?.(err);
        }
      }, intervalMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
