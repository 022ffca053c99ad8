/**
 * What the key service keeps in the metadata store. Key material is only ever stored wrapped by
 * the master keyring; `wrapped` is base64 of the keyring's blob.
 */
export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion';

/** One version of a key's material: rotation adds one; ciphertexts name the version they used. */
export interface KeyMaterialRecord {
  /** KMS's KeyMaterialId: 64 hex characters. */
  id: string;
  wrapped: string;
  /** Epoch ms. */
  createdAt: number;
  /** How this version came to be (absent for the key's first material). */
  rotationType?: 'AUTOMATIC' | 'ON_DEMAND';
}

export interface KmsTag {
  TagKey: string;
  TagValue: string;
}

export interface KeyRecord {
  keyId: string;
  arn: string;
  /** Epoch ms. */
  createdAt: number;
  description: string;
  keyUsage: 'ENCRYPT_DECRYPT';
  keySpec: 'SYMMETRIC_DEFAULT';
  keyManager: 'CUSTOMER' | 'AWS';
  state: KeyState;
  /** Epoch ms when a PendingDeletion key is deleted. */
  deletionDate?: number;
  pendingWindowDays?: number;
  /** The key policy's JSON text, as given (or AWS's default). */
  policy: string;
  /** Changes with every PutKeyPolicy: the authorizer's decision cache compares it. */
  policyRevision: number;
  tags: KmsTag[];
  rotationEnabled: boolean;
  rotationPeriodDays?: number;
  /** Epoch ms of the next automatic rotation, while rotation is enabled. */
  nextRotation?: number;
  materials: KeyMaterialRecord[];
}

export interface AliasRecord {
  aliasName: string;
  aliasArn: string;
  targetKeyId: string;
  createdAt: number;
  updatedAt: number;
}

export const KMS_COLLECTIONS = {
  keys: 'kms_keys',
  aliases: 'kms_aliases',
} as const;
