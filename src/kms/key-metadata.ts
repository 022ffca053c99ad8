import type { KeyRecord } from './kms-records.js';

/** KeyMetadata as DescribeKey and CreateKey return it for a symmetric encryption key. */
export function keyMetadata(r: KeyRecord, accountId: string): Record<string, unknown> {
  return {
    AWSAccountId: accountId,
    KeyId: r.keyId,
    Arn: r.arn,
    CreationDate: new Date(r.createdAt),
    Enabled: r.state === 'Enabled',
    Description: r.description,
    KeyUsage: r.keyUsage,
    KeyState: r.state,
    ...(r.deletionDate !== undefined ? { DeletionDate: new Date(r.deletionDate) } : {}),
    Origin: 'AWS_KMS',
    KeyManager: r.keyManager,
    // Deprecated by AWS but still returned beside KeySpec.
    CustomerMasterKeySpec: r.keySpec,
    KeySpec: r.keySpec,
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: false,
    CurrentKeyMaterialId: r.materials[r.materials.length - 1]!.id,
    ...(r.pendingWindowDays !== undefined ? { PendingDeletionWindowInDays: r.pendingWindowDays } : {}),
  };
}
