import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../src/domain/errors.js';
import type { Principal } from '../../src/domain/principal.js';
import type { IdentityPolicies, IdentityPolicySource } from '../../src/ports/access-policies.js';
import { Authorizer } from '../../src/iam/authorization/authorizer.js';
import { ACCOUNT, REGION, openKmsKit, type KmsKit } from './kms-fixture.js';

const ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/`;
const user = (name: string): Principal => ({ type: 'User', arn: `arn:aws:iam::${ACCOUNT}:user/${name}`, accountId: ACCOUNT, userId: `AIDA${name.toUpperCase()}`, userName: name });
const alice = user('alice');
const bob = user('bob');
const doc = (...Statement: object[]) => JSON.stringify({ Version: '2012-10-17', Statement });

class Identities implements IdentityPolicySource {
  revision = 1;
  readonly #by = new Map<string, IdentityPolicies>();
  identityPolicies(p: Principal): IdentityPolicies {
    return this.#by.get(p.arn) ?? { identity: [] };
  }
  set(p: Principal, document: string): void {
    this.#by.set(p.arn, { identity: [{ id: `${p.arn}/inline`, document }] });
    this.revision++;
  }
}

function setup(fn: (s: { kit: KmsKit; ids: Identities; authz: Authorizer; keyId: string; authorize: (p: Principal, operation: string, input: Record<string, unknown>) => void }) => void) {
  return () => {
    const kit = openKmsKit();
    try {
      const ids = new Identities();
      const authz = new Authorizer({
        identityPolicies: ids,
        resourcePolicies: kit.kms.keyPolicies,
        region: REGION,
        accountId: ACCOUNT,
        now: () => kit.clock.now(),
        paths: { user: () => '/', role: () => '/', group: () => '/' },
        kms: kit.kms.lookup,
      });
      const keyId = kit.kms.admin.createKey({}).KeyMetadata.KeyId as string;
      const authorize = (principal: Principal, operation: string, input: Record<string, unknown>) =>
        authz.authorize({ principal, service: 'kms', operation, input, sourceIp: '127.0.0.1', secureTransport: false });
      fn({ kit, ids, authz, keyId, authorize });
    } finally {
      kit.close();
    }
  };
}

function denied(fn: () => void, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AwsError);
    assert.equal(err.type, 'AccessDeniedException');
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

test('authorization: with the default key policy an IAM policy allowing kms:Decrypt lets the user decrypt (no KeyId: the ciphertext names the key)', setup(({ kit, ids, keyId, authorize }) => {
  const blob = kit.kms.crypto.encrypt({ KeyId: keyId, Plaintext: Buffer.from('x') }).CiphertextBlob;
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: ARN + keyId }));
  authorize(alice, 'Decrypt', { CiphertextBlob: blob });
}));

test('authorization: a user whose IAM policy lacks kms:Decrypt is denied with AWS\'s wording', setup(({ kit, ids, keyId, authorize }) => {
  const blob = kit.kms.crypto.encrypt({ KeyId: keyId, Plaintext: Buffer.from('x') }).CiphertextBlob;
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }));
  denied(() => authorize(alice, 'Decrypt', { CiphertextBlob: blob }),
    `User: ${alice.arn} is not authorized to perform: kms:Decrypt on resource: ${ARN}${keyId} because no identity-based policy allows the kms:Decrypt action`);
  authorize(alice, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.from('x') });
}));

test('authorization: a key policy that does not delegate to the account denies even an IAM-allowed user; a principal it names needs no IAM policy', setup(({ kit, ids, keyId, authorize }) => {
  kit.kms.admin.putKeyPolicy({ KeyId: keyId, Policy: doc({ Effect: 'Allow', Principal: { AWS: bob.arn }, Action: 'kms:*', Resource: '*' }) });
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
  denied(() => authorize(alice, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.from('x') }),
    `User: ${alice.arn} is not authorized to perform: kms:Encrypt on resource: ${ARN}${keyId} because no resource-based policy allows the kms:Encrypt action`);
  authorize(bob, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.from('x') });
}));

test('authorization: a changed key policy is seen by the next request (no stale cached decision)', setup(({ kit, ids, keyId, authorize }) => {
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
  authorize(alice, 'DescribeKey', { KeyId: keyId });
  authorize(alice, 'DescribeKey', { KeyId: keyId });
  kit.kms.admin.putKeyPolicy({ KeyId: keyId, Policy: doc({ Effect: 'Allow', Principal: { AWS: bob.arn }, Action: 'kms:*', Resource: '*' }) });
  denied(() => authorize(alice, 'DescribeKey', { KeyId: keyId }), /because no resource-based policy allows/);
}));

test('authorization: an alias is authorized against its key (IAM policy scoped to the key ARN); kms:RequestAlias is set', setup(({ kit, ids, keyId, authorize }) => {
  kit.kms.aliases.createAlias({ AliasName: 'alias/app', TargetKeyId: keyId });
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: ARN + keyId }));
  authorize(alice, 'Encrypt', { KeyId: 'alias/app', Plaintext: Buffer.from('x') });
  authorize(alice, 'Encrypt', { KeyId: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app`, Plaintext: Buffer.from('x') });
  ids.set(bob, doc({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: { StringEquals: { 'kms:RequestAlias': 'alias/other' } } }));
  denied(() => authorize(bob, 'Encrypt', { KeyId: 'alias/app', Plaintext: Buffer.from('x') }), /kms:Encrypt on resource: arn:aws:kms:.*:key\//);
}));

test('authorization: kms:EncryptionContext:<key> conditions see the request\'s encryption context', setup(({ ids, keyId, authorize }) => {
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*', Condition: { StringEquals: { 'kms:EncryptionContext:aws:lambda:FunctionArn': 'arn:fn' } } }));
  authorize(alice, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { 'aws:lambda:FunctionArn': 'arn:fn' } });
  denied(() => authorize(alice, 'Encrypt', { KeyId: keyId, Plaintext: Buffer.from('x'), EncryptionContext: { 'aws:lambda:FunctionArn': 'arn:other' } }), /kms:Encrypt/);
}));

test('authorization: CreateAlias needs kms:CreateAlias on the alias and on the key', setup(({ ids, keyId, authorize }) => {
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:CreateAlias', Resource: ARN + keyId }));
  denied(() => authorize(alice, 'CreateAlias', { AliasName: 'alias/new', TargetKeyId: keyId }),
    `User: ${alice.arn} is not authorized to perform: kms:CreateAlias on resource: arn:aws:kms:${REGION}:${ACCOUNT}:alias/new because no identity-based policy allows the kms:CreateAlias action`);
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:CreateAlias', Resource: [ARN + keyId, `arn:aws:kms:${REGION}:${ACCOUNT}:alias/*`] }));
  authorize(alice, 'CreateAlias', { AliasName: 'alias/new', TargetKeyId: keyId });
}));

test('authorization: ReEncrypt needs kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination', setup(({ kit, ids, keyId, authorize }) => {
  const dest = kit.kms.admin.createKey({}).KeyMetadata.KeyId as string;
  const blob = kit.kms.crypto.encrypt({ KeyId: keyId, Plaintext: Buffer.from('x') }).CiphertextBlob;
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:ReEncryptFrom', Resource: ARN + keyId }));
  denied(() => authorize(alice, 'ReEncrypt', { CiphertextBlob: blob, DestinationKeyId: dest }), `User: ${alice.arn} is not authorized to perform: kms:ReEncryptTo on resource: ${ARN}${dest} because no identity-based policy allows the kms:ReEncryptTo action`);
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:ReEncrypt*', Resource: '*' }));
  authorize(alice, 'ReEncrypt', { CiphertextBlob: blob, DestinationKeyId: dest });
}));

test('authorization: the AWS managed key for Lambda refuses direct Encrypt by users (kms:ViaService), but lets the account read it', setup(({ kit, ids, authorize }) => {
  const arn = kit.kms.keyService.awsManagedKeyArn('lambda');
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
  denied(() => authorize(alice, 'Encrypt', { KeyId: arn, Plaintext: Buffer.from('x') }), /because no resource-based policy allows the kms:Encrypt action/);
  authorize(alice, 'DescribeKey', { KeyId: 'alias/aws/lambda' });
}));

test('authorization: an unknown key is left to the operation (NotFoundException) for a user IAM allows', setup(({ ids, authorize }) => {
  ids.set(alice, doc({ Effect: 'Allow', Action: 'kms:*', Resource: '*' }));
  authorize(alice, 'DescribeKey', { KeyId: '11111111-2222-4333-8444-555555555555' });
  authorize(alice, 'DescribeKey', { KeyId: 'alias/none' });
}));
