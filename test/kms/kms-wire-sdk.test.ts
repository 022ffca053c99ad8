import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  KMSClient, CreateKeyCommand, CreateAliasCommand, EncryptCommand, DecryptCommand, DisableKeyCommand, EnableKeyCommand,
  DescribeKeyCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, CancelKeyDeletionCommand, ListAliasesCommand,
  GenerateDataKeyCommand, PutKeyPolicyCommand, ListKeysCommand, GetKeyRotationStatusCommand, EnableKeyRotationCommand,
  ReEncryptCommand, GenerateRandomCommand, TagResourceCommand, ListResourceTagsCommand,
} from '@aws-sdk/client-kms';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';

const ACCOUNT = '000000000000';
let h: Harness;
let kms: KMSClient;
let iam: IAMClient;

before(async () => {
  h = await startHarness();
  kms = new KMSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
after(async () => {
  kms.destroy();
  iam.destroy();
  await h.stop();
});

/** An IAM user with one inline policy, and a KMS client signed with its keys. */
async function userClient(name: string, policy: object): Promise<{ client: KMSClient; arn: string }> {
  const u = await iam.send(new CreateUserCommand({ UserName: name }));
  await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'kms', PolicyDocument: JSON.stringify(policy) }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  const client = new KMSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! }, maxAttempts: 1 });
  return { client, arn: u.User!.Arn! };
}

test('SDK v3: create key and alias, encrypt/decrypt round trip with context through the alias', async () => {
  const key = await kms.send(new CreateKeyCommand({ Description: 'sdk key', Tags: [{ TagKey: 'team', TagValue: 'a' }] }));
  const id = key.KeyMetadata!.KeyId!;
  assert.equal(key.KeyMetadata!.KeyState, 'Enabled');
  assert.ok(key.KeyMetadata!.CreationDate instanceof Date);
  await kms.send(new CreateAliasCommand({ AliasName: 'alias/sdk', TargetKeyId: id }));
  const aliases = await kms.send(new ListAliasesCommand({ KeyId: id }));
  assert.deepEqual(aliases.Aliases!.map((a) => a.AliasName), ['alias/sdk']);
  const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/sdk', Plaintext: Buffer.from('hello kms'), EncryptionContext: { purpose: 'wire' } }));
  assert.equal(enc.KeyId, `arn:aws:kms:us-east-1:${ACCOUNT}:key/${id}`);
  const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { purpose: 'wire' } }));
  assert.equal(Buffer.from(dec.Plaintext!).toString(), 'hello kms');
  await expectError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { purpose: 'other' } })), 'InvalidCiphertextException', 400);
  const tags = await kms.send(new ListResourceTagsCommand({ KeyId: id }));
  assert.deepEqual(tags.Tags, [{ TagKey: 'team', TagValue: 'a' }]);
});

test('SDK v3: disable → DisabledException; enable → decrypts again', async () => {
  const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  const enc = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') }));
  await kms.send(new DisableKeyCommand({ KeyId: id }));
  await expectError(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), 'DisabledException', 400, `arn:aws:kms:us-east-1:${ACCOUNT}:key/${id} is disabled.`);
  await kms.send(new EnableKeyCommand({ KeyId: id }));
  assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext!).toString(), 'x');
});

test('SDK v3: rotate on demand → old ciphertext still decrypts; rotation status; ReEncrypt; data keys; random', async () => {
  const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  const old = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('before rotation') }));
  assert.deepEqual((await kms.send(new RotateKeyOnDemandCommand({ KeyId: id }))).KeyId, id);
  await kms.send(new EnableKeyRotationCommand({ KeyId: id, RotationPeriodInDays: 90 }));
  const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: id }));
  assert.equal(status.KeyRotationEnabled, true);
  assert.ok(status.NextRotationDate instanceof Date);
  assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: old.CiphertextBlob }))).Plaintext!).toString(), 'before rotation');
  const re = await kms.send(new ReEncryptCommand({ CiphertextBlob: old.CiphertextBlob, DestinationKeyId: id }));
  assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob }))).Plaintext!).toString(), 'before rotation');
  const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: id, KeySpec: 'AES_256' }));
  assert.equal(dk.Plaintext!.length, 32);
  assert.deepEqual((await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }))).Plaintext, dk.Plaintext);
  assert.equal((await kms.send(new GenerateRandomCommand({ NumberOfBytes: 16 }))).Plaintext!.length, 16);
});

test('SDK v3: schedule deletion → PendingDeletion, use refused; cancel → Disabled; ListKeys lists the key', async () => {
  const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  const s = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
  assert.equal(s.KeyState, 'PendingDeletion');
  assert.ok(s.DeletionDate instanceof Date);
  await expectError(kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') })), 'KMSInvalidStateException', 400, `arn:aws:kms:us-east-1:${ACCOUNT}:key/${id} is pending deletion.`);
  await kms.send(new CancelKeyDeletionCommand({ KeyId: id }));
  assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.KeyState, 'Disabled');
  const keys = await kms.send(new ListKeysCommand({}));
  assert.ok(keys.Keys!.some((k) => k.KeyId === id));
  await expectError(kms.send(new DescribeKeyCommand({ KeyId: 'fake-key-id' })), 'NotFoundException', 400, "Invalid keyId 'fake-key-id'");
});

test('SDK v3: a user whose IAM policy lacks kms:Decrypt is denied; a non-delegating key policy denies even an IAM-allowed user', async () => {
  const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  const keyArn = `arn:aws:kms:us-east-1:${ACCOUNT}:key/${id}`;
  const enc = await kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') }));
  const encrypter = await userClient('kms-encrypter', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] });
  const admin = await userClient('kms-admin', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }] });
  try {
    await encrypter.client.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('y') }));
    await expectError(encrypter.client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), 'AccessDeniedException', 403,
      `User: ${encrypter.arn} is not authorized to perform: kms:Decrypt on resource: ${keyArn} because no identity-based policy allows the kms:Decrypt action`);
    assert.equal(Buffer.from((await admin.client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext!).toString(), 'x');
    // A key policy naming only the encrypter: the account's IAM policies no longer count.
    const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: encrypter.arn }, Action: 'kms:*', Resource: '*' }] };
    await kms.send(new PutKeyPolicyCommand({ KeyId: id, PolicyName: 'default', Policy: JSON.stringify(policy) }));
    await expectError(admin.client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), 'AccessDeniedException', 403,
      `User: ${admin.arn} is not authorized to perform: kms:Decrypt on resource: ${keyArn} because no resource-based policy allows the kms:Decrypt action`);
    assert.equal(Buffer.from((await encrypter.client.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))).Plaintext!).toString(), 'x');
  } finally {
    encrypter.client.destroy();
    admin.client.destroy();
  }
});

test('SDK v3: tags on an existing key', async () => {
  const id = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
  await kms.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: 'k', TagValue: 'v' }] }));
  assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: id }))).Tags, [{ TagKey: 'k', TagValue: 'v' }]);
});
