import { randomUUID } from 'node:crypto';
import { AwsError } from '../domain/errors.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/clock.js';
import type { KeyService, KeyUse } from '../ports/key-service.js';
import { readBlobHeader } from './ciphertext-blob.js';
import type { CryptoService } from './crypto-service.js';
import type { KeyAdminService } from './key-admin-service.js';
import { awsManagedKeyPolicy } from './key-policies.js';
import type { KmsKeys } from './kms-keys.js';

/** The descriptions AWS gives its managed keys. */
const MANAGED_DESCRIPTIONS: Record<string, string> = {
  lambda: 'Default master key that protects my Lambda functions when no other key is defined',
};

/**
 * KMS as Flint's own services use it (the KeyService port): every use of a key on a service's
 * behalf — allowed or refused — is written to the audit trail as a `kms` event by the service's
 * principal (`lambda.amazonaws.com`), naming the key and the reason (the function), as CloudTrail
 * records KMS calls AWS services make for a customer.
 */
export class FlintKeyService implements KeyService {
  readonly #keys: KmsKeys;
  readonly #crypto: CryptoService;
  readonly #admin: KeyAdminService;
  readonly #audit: AuditLog;
  readonly #clock: Clock;

  constructor(deps: { keys: KmsKeys; crypto: CryptoService; admin: KeyAdminService; audit: AuditLog; clock: Clock }) {
    this.#keys = deps.keys;
    this.#crypto = deps.crypto;
    this.#admin = deps.admin;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
  }

  resolveKeyArn(keyRef: string): string {
    return this.#keys.resolve(keyRef).arn;
  }

  /** `alias/aws/<service>`'s key, created with AWS's managed-key policy the first time a service needs it. */
  awsManagedKeyArn(service: string): string {
    const aliasName = `alias/aws/${service}`;
    return this.#keys.transaction(() => {
      const existing = this.#keys.getAlias(aliasName);
      const key = existing && this.#keys.get(existing.targetKeyId);
      if (key) return key.arn;
      const created = this.#admin.newKey({
        description: MANAGED_DESCRIPTIONS[service] ?? `Default key that protects my ${service} resources when no other key is defined`,
        keyManager: 'AWS',
        policy: awsManagedKeyPolicy(service, this.#keys.accountId, this.#keys.region),
        tags: [],
        // AWS managed keys rotate every year, automatically.
        rotationEnabled: true,
      });
      const now = this.#clock.now();
      this.#keys.replaceAlias({ aliasName, aliasArn: this.#keys.aliasArn(aliasName), targetKeyId: created.keyId, createdAt: now, updatedAt: now });
      return created.arn;
    });
  }

  encrypt(keyArn: string, plaintext: Buffer, context: Record<string, string>, use: KeyUse): Buffer {
    return this.#audited('Encrypt', keyArn, use, () => {
      const key = this.#crypto.usableKey(keyArn);
      return this.#crypto.seal(key, plaintext, context);
    });
  }

  decrypt(ciphertext: Buffer, context: Record<string, string>, use: KeyUse): { plaintext: Buffer; keyArn: string } {
    const header = readBlobHeader(ciphertext);
    const keyArn = header ? this.#keys.keyArn(header.keyId) : undefined;
    return this.#audited('Decrypt', keyArn, use, () => {
      const opened = this.#crypto.open(ciphertext, context);
      return { plaintext: opened.plaintext, keyArn: opened.key.arn };
    });
  }

  keyState(keyArn: string): string | undefined {
    try {
      return this.#keys.resolve(keyArn).state;
    } catch {
      return undefined;
    }
  }

  #audited<R>(operation: string, keyArn: string | undefined, use: KeyUse, fn: () => R): R {
    const event = {
      time: new Date(this.#clock.now()).toISOString(),
      requestId: randomUUID(),
      principal: `${use.service}.amazonaws.com`,
      service: 'kms',
      operation,
      ...(keyArn ? { resource: keyArn } : {}),
      detail: { reason: use.reason },
    };
    try {
      const out = fn();
      this.#audit.record({ ...event, status: 200 });
      return out;
    } catch (err) {
      const type = err instanceof AwsError ? err.type : 'KMSInternalException';
      this.#audit.record({ ...event, status: err instanceof AwsError ? (err.status ?? 400) : 500, errorType: type });
      throw err;
    }
  }
}
