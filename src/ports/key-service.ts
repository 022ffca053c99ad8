/**
 * The KMS key service as other Flint services use it (Lambda encrypting environment variables and
 * wrapping code data keys under a function's key), never over HTTP to itself. Each use names who
 * it is for, so the audit trail shows a customer key's every use with its reason.
 */
export interface KeyUse {
  /** The service acting: `lambda`. */
  service: string;
  /** Why: the function (ARN) on whose behalf the key is used. */
  reason: string;
}

export interface KeyService {
  /** The key's ARN from a key id, key ARN, alias name (`alias/x`) or alias ARN; throws NotFoundException (AwsError). */
  resolveKeyArn(keyRef: string): string;
  /** An AWS managed key (`alias/aws/lambda`), created on first use, as AWS creates them. */
  awsManagedKeyArn(service: string): string;
  /** Encrypts under the key; throws DisabledException / KMSInvalidStateException / NotFoundException as KMS does. */
  encrypt(keyArn: string, plaintext: Buffer, context: Record<string, string>, use: KeyUse): Buffer;
  /** Decrypts a ciphertext blob of `encrypt` (it names its key); same errors, and InvalidCiphertextException. */
  decrypt(ciphertext: Buffer, context: Record<string, string>, use: KeyUse): { plaintext: Buffer; keyArn: string };
  /** The key's state, for a check before use: Enabled, Disabled, PendingDeletion, … */
  keyState(keyArn: string): string | undefined;
}
