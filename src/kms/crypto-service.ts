import { randomBytes } from 'node:crypto';
import { AwsError } from '../domain/errors.js';
import { openBlob, readBlobHeader, sealBlob } from './ciphertext-blob.js';
import { kmsErrors } from './kms-errors.js';
import type { KmsKeys } from './kms-keys.js';
import type { KeyRecord } from './kms-records.js';

type Context = Record<string, string> | undefined;

const DRY_RUN = 'The request would have succeeded, but the DryRun option is set.';
const ALGORITHM = 'SYMMETRIC_DEFAULT';

/**
 * KMS's cryptographic operations on symmetric keys: Encrypt, Decrypt, ReEncrypt, GenerateDataKey
 * (with and without plaintext) and GenerateRandom. Ciphertexts name their key and material version
 * (ciphertext-blob.ts), so they decrypt after rotation and without a KeyId.
 */
export class CryptoService {
  readonly #keys: KmsKeys;

  constructor(keys: KmsKeys) {
    this.#keys = keys;
  }

  encrypt(input: { KeyId: string; Plaintext: Buffer; EncryptionContext?: Record<string, string>; EncryptionAlgorithm?: string; DryRun?: boolean }) {
    const key = this.usableKey(input.KeyId);
    algorithm(input.EncryptionAlgorithm, key);
    if (input.DryRun) throw new AwsError('DryRunOperationException', DRY_RUN);
    return { CiphertextBlob: this.seal(key, input.Plaintext, input.EncryptionContext), KeyId: key.arn, EncryptionAlgorithm: ALGORITHM };
  }

  decrypt(input: { CiphertextBlob: Buffer; KeyId?: string; EncryptionContext?: Record<string, string>; EncryptionAlgorithm?: string; DryRun?: boolean }) {
    const opened = this.open(input.CiphertextBlob, input.EncryptionContext, input.KeyId, input.EncryptionAlgorithm, input.DryRun);
    return { KeyId: opened.key.arn, Plaintext: opened.plaintext, EncryptionAlgorithm: ALGORITHM, KeyMaterialId: opened.materialId };
  }

  /** Decrypts under the source key and encrypts under the destination, plaintext never leaving Flint. */
  reEncrypt(input: {
    CiphertextBlob: Buffer; SourceEncryptionContext?: Record<string, string>; SourceKeyId?: string; DestinationKeyId: string;
    DestinationEncryptionContext?: Record<string, string>; SourceEncryptionAlgorithm?: string; DestinationEncryptionAlgorithm?: string; DryRun?: boolean;
  }) {
    const dest = this.usableKey(input.DestinationKeyId);
    algorithm(input.DestinationEncryptionAlgorithm, dest);
    const source = this.open(input.CiphertextBlob, input.SourceEncryptionContext, input.SourceKeyId, input.SourceEncryptionAlgorithm, input.DryRun);
    return {
      CiphertextBlob: this.seal(dest, source.plaintext, input.DestinationEncryptionContext),
      SourceKeyId: source.key.arn,
      KeyId: dest.arn,
      SourceEncryptionAlgorithm: ALGORITHM,
      DestinationEncryptionAlgorithm: ALGORITHM,
      SourceKeyMaterialId: source.materialId,
      DestinationKeyMaterialId: dest.materials[dest.materials.length - 1]!.id,
    };
  }

  generateDataKey(input: { KeyId: string; KeySpec?: string; NumberOfBytes?: number; EncryptionContext?: Record<string, string>; DryRun?: boolean }) {
    const key = this.usableKey(input.KeyId);
    const size = dataKeySize(input.KeySpec, input.NumberOfBytes);
    if (input.DryRun) throw new AwsError('DryRunOperationException', DRY_RUN);
    const plaintext = randomBytes(size);
    return { CiphertextBlob: this.seal(key, plaintext, input.EncryptionContext), Plaintext: plaintext, KeyId: key.arn, KeyMaterialId: key.materials[key.materials.length - 1]!.id };
  }

  generateDataKeyWithoutPlaintext(input: { KeyId: string; KeySpec?: string; NumberOfBytes?: number; EncryptionContext?: Record<string, string>; DryRun?: boolean }) {
    const { CiphertextBlob, KeyId, KeyMaterialId } = this.generateDataKey(input);
    return { CiphertextBlob, KeyId, KeyMaterialId };
  }

  generateRandom(input: { NumberOfBytes?: number; CustomKeyStoreId?: string }): { Plaintext: Buffer } {
    if (input.NumberOfBytes === undefined) throw kmsErrors.validation('NumberOfBytes is required.');
    if (input.CustomKeyStoreId !== undefined) throw kmsErrors.unsupported('Custom key stores are not supported by this endpoint.');
    return { Plaintext: randomBytes(input.NumberOfBytes) };
  }

  /** The key a KeyId names, if it can be used now: DisabledException / KMSInvalidStateException as KMS answers. */
  usableKey(ref: string): KeyRecord {
    const key = this.#keys.resolve(ref);
    usable(key);
    return key;
  }

  /** Encrypts under the key's current material version. */
  seal(key: KeyRecord, plaintext: Uint8Array, context: Context): Buffer {
    const index = key.materials.length - 1;
    return sealBlob({ keyId: key.keyId, material: index }, this.#keys.material(key, index)!, plaintext, context);
  }

  /**
   * Opens a ciphertext blob. A blob not made here, made under another context, or altered is
   * InvalidCiphertextException with no detail (as KMS); a KeyId naming another key than the blob's
   * is IncorrectKeyException.
   */
  open(blob: Uint8Array, context: Context, keyRef?: string, algo?: string, dryRun?: boolean): { key: KeyRecord; plaintext: Buffer; materialId: string } {
    const expected = keyRef !== undefined ? this.#keys.resolve(keyRef) : undefined;
    const header = readBlobHeader(blob);
    if (!header) throw kmsErrors.invalidCiphertext();
    if (expected && expected.keyId !== header.keyId) throw kmsErrors.incorrectKey();
    const key = expected ?? this.#keys.get(header.keyId);
    if (!key) throw kmsErrors.keyNotFound(this.#keys.keyArn(header.keyId));
    usable(key);
    algorithm(algo, key);
    const material = header.material < key.materials.length ? this.#keys.material(key, header.material) : undefined;
    const plaintext = material && openBlob(blob, header.headerLength, material, context);
    if (!plaintext) throw kmsErrors.invalidCiphertext();
    if (dryRun) throw new AwsError('DryRunOperationException', DRY_RUN);
    return { key, plaintext, materialId: key.materials[header.material]!.id };
  }
}

function usable(key: KeyRecord): void {
  if (key.state === 'Disabled') throw kmsErrors.disabled(key.arn);
  if (key.state === 'PendingDeletion') throw kmsErrors.pendingDeletion(key.arn);
}

/** Symmetric keys take only SYMMETRIC_DEFAULT. */
function algorithm(algo: string | undefined, key: KeyRecord): void {
  if (algo !== undefined && algo !== ALGORITHM) {
    throw new AwsError('InvalidKeyUsageException', `Algorithm ${algo} is incompatible with key spec ${key.keySpec}.`);
  }
}

/** GenerateDataKey's size: exactly one of KeySpec (AES_128 / AES_256) and NumberOfBytes. */
function dataKeySize(keySpec: string | undefined, numberOfBytes: number | undefined): number {
  if (keySpec !== undefined && numberOfBytes !== undefined) throw kmsErrors.validation('Please specify either number of bytes or key spec.');
  if (keySpec === 'AES_256') return 32;
  if (keySpec === 'AES_128') return 16;
  if (numberOfBytes !== undefined) return numberOfBytes;
  throw kmsErrors.validation('Please specify either number of bytes or key spec.');
}
