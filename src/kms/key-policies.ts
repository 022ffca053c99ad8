import type { NamedPolicy, ResourcePolicySource } from '../ports/access-policies.js';
import type { KmsKeys } from './kms-keys.js';

/**
 * AWS's default key policy ("Default key policy" in the KMS developer guide): the account's root
 * may do kms:*, which delegates the key to the account's IAM policies. Laid out as GetKeyPolicy
 * returns it.
 */
export function defaultKeyPolicy(accountId: string, partition = 'aws'): string {
  return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:${partition}:iam::${accountId}:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`;
}

/**
 * The policy AWS gives an AWS managed key (`aws/lambda`): any principal of the account may use it
 * through the service only (kms:ViaService), and the account may read its metadata directly.
 */
export function awsManagedKeyPolicy(service: string, accountId: string, region: string, partition = 'aws'): string {
  const doc = {
    Version: '2012-10-17',
    Id: `auto-aws${service}`,
    Statement: [
      {
        Sid: `Allow access through AWS ${service === 'lambda' ? 'Lambda' : service} for all principals in the account that are authorized to use AWS ${service === 'lambda' ? 'Lambda' : service}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:CallerAccount': accountId, 'kms:ViaService': `${service}.${region}.amazonaws.com` } },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*', 'kms:RevokeGrant'],
        Resource: '*',
      },
    ],
  };
  return JSON.stringify(doc, null, 2);
}

/**
 * Key policies for the authorizer: the policy of the key a `…:key/<id>` ARN names, with a revision
 * that changes with every PutKeyPolicy (so cached decisions are dropped). Keys that do not exist
 * have none, and the operation then answers NotFoundException as KMS does.
 */
export class KeyPolicySource implements ResourcePolicySource {
  readonly #keys: KmsKeys;

  constructor(keys: KmsKeys) {
    this.#keys = keys;
  }

  resourcePolicy(action: string, resourceArn: string): (NamedPolicy & { revision: string }) | undefined {
    if (!resourceArn.startsWith(this.#keys.arnPrefix + 'key/') || !action.toLowerCase().startsWith('kms:')) return undefined;
    const keyId = resourceArn.slice(this.#keys.arnPrefix.length + 4);
    const record = this.#keys.get(keyId);
    if (!record) return undefined;
    return { id: `key/${keyId}/policy/default`, document: record.policy, revision: `${record.policyRevision}` };
  }
}
