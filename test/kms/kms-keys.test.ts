import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../src/domain/errors.js';
import { ACCOUNT, DAY, REGION, openKmsKit } from './kms-fixture.js';

const ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/`;

/** Runs fn and checks it throws the KMS error with this type and (exact) message. */
function throwsKms(fn: () => unknown, type: string, message?: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AwsError, `expected AwsError, got ${String(err)}`);
    assert.equal(err.type, type, `type (message: ${err.message})`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else if (message) assert.match(err.message, message);
    return true;
  });
}

function withKit(fn: (kit: ReturnType<typeof openKmsKit>) => void) {
  return () => {
    const kit = openKmsKit();
    try {
      fn(kit);
    } finally {
      kit.close();
    }
  };
}

test('CreateKey: returns KeyMetadata as AWS does for a symmetric customer managed key', withKit(({ kms, clock }) => {
  const { KeyMetadata: m } = kms.admin.createKey({ Description: 'test key 123' });
  assert.match(m.KeyId as string, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(m.Arn, ARN + m.KeyId);
  assert.deepEqual({ ...m, KeyId: 'id', Arn: 'arn', CurrentKeyMaterialId: 'mat' }, {
    AWSAccountId: ACCOUNT, KeyId: 'id', Arn: 'arn', CreationDate: new Date(clock.t), Enabled: true, Description: 'test key 123',
    KeyUsage: 'ENCRYPT_DECRYPT', KeyState: 'Enabled', Origin: 'AWS_KMS', KeyManager: 'CUSTOMER', CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT', EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'], MultiRegion: false, CurrentKeyMaterialId: 'mat',
  });
  assert.match(m.CurrentKeyMaterialId as string, /^[0-9a-f]{64}$/);
}));

test('CreateKey: the default key policy lets the account root do kms:* (AWS default key policy)', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  const policy = JSON.parse(kms.admin.getKeyPolicy({ KeyId: id }).Policy);
  assert.equal(policy.Id, 'key-default-1');
  assert.deepEqual(policy.Statement, [{ Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }]);
  assert.equal(kms.admin.getKeyPolicy({ KeyId: id }).PolicyName, 'default');
  assert.deepEqual(kms.admin.listKeyPolicies({ KeyId: id }), { PolicyNames: ['default'], Truncated: false });
}));

test('CreateKey: refuses key specs other than SYMMETRIC_DEFAULT, other usages and multi-Region keys', withKit(({ kms }) => {
  throwsKms(() => kms.admin.createKey({ KeySpec: 'RSA_2048' }), 'UnsupportedOperationException');
  throwsKms(() => kms.admin.createKey({ KeyUsage: 'SIGN_VERIFY' }), 'ValidationException', 'KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT');
  throwsKms(() => kms.admin.createKey({ MultiRegion: true }), 'UnsupportedOperationException');
  throwsKms(() => kms.admin.createKey({ Origin: 'EXTERNAL' }), 'UnsupportedOperationException');
}));

test('CreateKey: a policy that is not a JSON policy document is MalformedPolicyDocumentException', withKit(({ kms }) => {
  throwsKms(() => kms.admin.createKey({ Policy: 'not json' }), 'MalformedPolicyDocumentException');
  throwsKms(() => kms.admin.createKey({ Policy: '{"Version":"2012-10-17","Statement":[]}' }), 'MalformedPolicyDocumentException');
  throwsKms(() => kms.admin.createKey({ Policy: '{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}' }), 'MalformedPolicyDocumentException');
}));

test('CreateKey: tags with reserved aws: keys, duplicates or more than 50 are TagException with AWS texts', withKit(({ kms }) => {
  throwsKms(() => kms.admin.createKey({ Tags: [{ TagKey: 'aws:x', TagValue: 'v' }] }), 'TagException', 'Tags beginning with aws: are reserved');
  throwsKms(() => kms.admin.createKey({ Tags: [{ TagKey: 'a', TagValue: '1' }, { TagKey: 'a', TagValue: '2' }] }), 'TagException', 'Duplicate tag keys');
  const many = Array.from({ length: 51 }, (_, i) => ({ TagKey: `k${i}`, TagValue: 'v' }));
  throwsKms(() => kms.admin.createKey({ Tags: many }), 'TagException', 'Too many tags');
}));

test('DescribeKey: by key id, key ARN, alias name and alias ARN', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.aliases.createAlias({ AliasName: 'alias/app', TargetKeyId: id });
  for (const ref of [id, ARN + id, 'alias/app', `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app`]) {
    assert.equal(kms.admin.describeKey({ KeyId: ref }).KeyMetadata.KeyId, id, ref);
  }
}));

test('DescribeKey: unknown and malformed key ids are NotFoundException with AWS texts', withKit(({ kms }) => {
  const missing = '11111111-2222-4333-8444-555555555555';
  throwsKms(() => kms.admin.describeKey({ KeyId: missing }), 'NotFoundException', `Key '${ARN}${missing}' does not exist`);
  throwsKms(() => kms.admin.describeKey({ KeyId: ARN + missing }), 'NotFoundException', `Key '${ARN}${missing}' does not exist`);
  throwsKms(() => kms.admin.describeKey({ KeyId: 'fake-key-id' }), 'NotFoundException', "Invalid keyId 'fake-key-id'");
  throwsKms(() => kms.admin.describeKey({ KeyId: 'alias/none' }), 'NotFoundException', `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/none is not found.`);
  const otherRegion = `arn:aws:kms:ap-southeast-1:${ACCOUNT}:key/${missing}`;
  throwsKms(() => kms.admin.describeKey({ KeyId: otherRegion }), 'NotFoundException', `Key '${otherRegion}' does not exist`);
}));

test('ListKeys: pages with Limit/Marker and Truncated', withKit(({ kms }) => {
  const ids = Array.from({ length: 5 }, () => kms.admin.createKey({}).KeyMetadata.KeyId as string).sort();
  const p1 = kms.admin.listKeys({ Limit: 2 });
  assert.equal(p1.Truncated, true);
  assert.deepEqual(p1.Keys.map((k) => k.KeyId), ids.slice(0, 2));
  assert.equal(p1.Keys[0]!.KeyArn, ARN + ids[0]);
  const p2 = kms.admin.listKeys({ Limit: 2, Marker: p1.NextMarker! });
  assert.deepEqual(p2.Keys.map((k) => k.KeyId), ids.slice(2, 4));
  const p3 = kms.admin.listKeys({ Limit: 2, Marker: p2.NextMarker! });
  assert.deepEqual(p3.Keys.map((k) => k.KeyId), ids.slice(4));
  assert.equal(p3.Truncated, false);
  assert.equal(p3.NextMarker, undefined);
}));

test('DisableKey / EnableKey: KeyState and Enabled follow', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.admin.disableKey({ KeyId: id });
  assert.deepEqual(pick(kms.admin.describeKey({ KeyId: id }).KeyMetadata), { Enabled: false, KeyState: 'Disabled' });
  kms.admin.enableKey({ KeyId: id });
  assert.deepEqual(pick(kms.admin.describeKey({ KeyId: id }).KeyMetadata), { Enabled: true, KeyState: 'Enabled' });
}));

test('ScheduleKeyDeletion: 30 days by default, state PendingDeletion with DeletionDate', withKit(({ kms, clock }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  const r = kms.admin.scheduleKeyDeletion({ KeyId: id });
  assert.deepEqual(r, { KeyId: ARN + id, DeletionDate: new Date(clock.t + 30 * DAY), KeyState: 'PendingDeletion', PendingWindowInDays: 30 });
  const m = kms.admin.describeKey({ KeyId: id }).KeyMetadata;
  assert.equal(m.KeyState, 'PendingDeletion');
  assert.equal(m.Enabled, false);
  assert.equal(m.PendingDeletionWindowInDays, 30);
  assert.deepEqual(m.DeletionDate, new Date(clock.t + 30 * DAY));
}));

test('ScheduleKeyDeletion: the waiting period must be 7 to 30 days', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  throwsKms(() => kms.admin.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 6 }), 'ValidationException', 'PendingWindowInDays must be between 7 and 30');
  throwsKms(() => kms.admin.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 31 }), 'ValidationException');
  assert.equal(kms.admin.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 }).PendingWindowInDays, 7);
  throwsKms(() => kms.admin.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 }), 'KMSInvalidStateException', `${ARN}${id} is pending deletion.`);
}));

test('ScheduleKeyDeletion: the key is deleted once the window has passed (sweep, injected clock), with its aliases', withKit(({ kms, clock }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.aliases.createAlias({ AliasName: 'alias/doomed', TargetKeyId: id });
  kms.admin.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 });
  clock.advance(7 * DAY - 1);
  assert.equal(kms.keys.sweep(), 0);
  assert.equal(kms.admin.describeKey({ KeyId: id }).KeyMetadata.KeyState, 'PendingDeletion');
  clock.advance(1);
  assert.equal(kms.keys.sweep(), 1);
  throwsKms(() => kms.admin.describeKey({ KeyId: id }), 'NotFoundException', `Key '${ARN}${id}' does not exist`);
  assert.equal(kms.keys.getAlias('alias/doomed'), undefined);
  assert.deepEqual(kms.admin.listKeys({}).Keys, []);
}));

test('ScheduleKeyDeletion: a key past its window is gone on the next read even before a sweep', withKit(({ kms, clock }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.admin.scheduleKeyDeletion({ KeyId: id, PendingWindowInDays: 7 });
  clock.advance(8 * DAY);
  throwsKms(() => kms.admin.describeKey({ KeyId: id }), 'NotFoundException');
}));

test('CancelKeyDeletion: the key comes back Disabled (as AWS), and only a pending key can be cancelled', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  throwsKms(() => kms.admin.cancelKeyDeletion({ KeyId: id }), 'KMSInvalidStateException', `${ARN}${id} is not pending deletion.`);
  kms.admin.scheduleKeyDeletion({ KeyId: id });
  assert.deepEqual(kms.admin.cancelKeyDeletion({ KeyId: id }), { KeyId: ARN + id });
  const m = kms.admin.describeKey({ KeyId: id }).KeyMetadata;
  assert.deepEqual(pick(m), { Enabled: false, KeyState: 'Disabled' });
  assert.equal(m.DeletionDate, undefined);
  assert.equal(m.PendingDeletionWindowInDays, undefined);
}));

test('A key pending deletion cannot be enabled, disabled or given a new description', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.admin.scheduleKeyDeletion({ KeyId: id });
  throwsKms(() => kms.admin.enableKey({ KeyId: id }), 'KMSInvalidStateException', `${ARN}${id} is pending deletion.`);
  throwsKms(() => kms.admin.disableKey({ KeyId: id }), 'KMSInvalidStateException');
  throwsKms(() => kms.admin.updateKeyDescription({ KeyId: id, Description: 'x' }), 'KMSInvalidStateException');
}));

test('Key rotation: enable with a period, status shows it and the next rotation date; disable clears it', withKit(({ kms, clock }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  assert.deepEqual(kms.admin.getKeyRotationStatus({ KeyId: id }), { KeyId: ARN + id, KeyRotationEnabled: false });
  kms.admin.enableKeyRotation({ KeyId: id, RotationPeriodInDays: 90 });
  assert.deepEqual(kms.admin.getKeyRotationStatus({ KeyId: id }), { KeyId: ARN + id, KeyRotationEnabled: true, RotationPeriodInDays: 90, NextRotationDate: new Date(clock.t + 90 * DAY) });
  kms.admin.disableKeyRotation({ KeyId: id });
  assert.equal(kms.admin.getKeyRotationStatus({ KeyId: id }).KeyRotationEnabled, false);
}));

test('Key rotation: automatic rotation adds a material version on its date; ListKeyRotations shows it', withKit(({ kms, clock }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.admin.enableKeyRotation({ KeyId: id, RotationPeriodInDays: 90 });
  const before = kms.admin.describeKey({ KeyId: id }).KeyMetadata.CurrentKeyMaterialId;
  clock.advance(90 * DAY);
  kms.keys.sweep();
  const after = kms.admin.describeKey({ KeyId: id }).KeyMetadata.CurrentKeyMaterialId;
  assert.notEqual(after, before);
  const rotations = kms.admin.listKeyRotations({ KeyId: id });
  assert.equal(rotations.Rotations.length, 1);
  assert.equal(rotations.Rotations[0]!.RotationType, 'AUTOMATIC');
  assert.equal(rotations.Rotations[0]!.KeyMaterialId, after);
  assert.deepEqual(kms.admin.getKeyRotationStatus({ KeyId: id }).NextRotationDate, new Date(clock.t + 90 * DAY));
}));

test('RotateKeyOnDemand: returns the key id, adds ON_DEMAND material; disabled key is DisabledException', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  assert.deepEqual(kms.admin.rotateKeyOnDemand({ KeyId: id }), { KeyId: id });
  const r = kms.admin.listKeyRotations({ KeyId: id }).Rotations;
  assert.deepEqual(r.map((x) => x.RotationType), ['ON_DEMAND']);
  assert.ok(kms.admin.getKeyRotationStatus({ KeyId: id }).OnDemandRotationStartDate instanceof Date);
  kms.admin.disableKey({ KeyId: id });
  throwsKms(() => kms.admin.rotateKeyOnDemand({ KeyId: id }), 'DisabledException', `${ARN}${id} is disabled.`);
}));

test('RotateKeyOnDemand: at most 10 on-demand rotations per key (LimitExceededException, AWS text)', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  for (let i = 0; i < 10; i++) kms.admin.rotateKeyOnDemand({ KeyId: id });
  throwsKms(() => kms.admin.rotateKeyOnDemand({ KeyId: id }), 'LimitExceededException',
    `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${ARN}${id}`);
}));

test('PutKeyPolicy: replaces the policy and moves its revision; a policy name other than default is refused', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  const before = kms.keyPolicies.resourcePolicy('kms:Decrypt', ARN + id)!;
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/alice` }, Action: 'kms:*', Resource: '*' }] });
  kms.admin.putKeyPolicy({ KeyId: id, PolicyName: 'default', Policy: policy });
  const after = kms.keyPolicies.resourcePolicy('kms:Decrypt', ARN + id)!;
  assert.equal(after.document, policy);
  assert.notEqual(after.revision, before.revision);
  assert.equal(kms.admin.getKeyPolicy({ KeyId: id }).Policy, policy);
  throwsKms(() => kms.admin.putKeyPolicy({ KeyId: id, PolicyName: 'other', Policy: policy }), 'NotFoundException');
  assert.equal(kms.keyPolicies.resourcePolicy('lambda:InvokeFunction', ARN + id), undefined);
  assert.equal(kms.keyPolicies.resourcePolicy('kms:Decrypt', ARN + '11111111-2222-4333-8444-555555555555'), undefined);
}));

test('Tags: TagResource adds and replaces, UntagResource removes, ListResourceTags lists', withKit(({ kms }) => {
  const id = kms.admin.createKey({ Tags: [{ TagKey: 'tag1', TagValue: 'value1' }] }).KeyMetadata.KeyId as string;
  kms.admin.tagResource({ KeyId: id, Tags: [{ TagKey: 'tag2', TagValue: 'value2' }, { TagKey: 'tag1', TagValue: 'new' }] });
  assert.deepEqual(kms.admin.listResourceTags({ KeyId: id }), { Tags: [{ TagKey: 'tag1', TagValue: 'new' }, { TagKey: 'tag2', TagValue: 'value2' }], Truncated: false });
  kms.admin.untagResource({ KeyId: id, TagKeys: ['tag1', 'tag2'] });
  assert.deepEqual(kms.admin.listResourceTags({ KeyId: id }).Tags, []);
  throwsKms(() => kms.admin.tagResource({ KeyId: id, Tags: [{ TagKey: 'aws:a', TagValue: 'b' }] }), 'TagException');
}));

test('UpdateKeyDescription: DescribeKey shows the new description', withKit(({ kms }) => {
  const id = kms.admin.createKey({ Description: 'old' }).KeyMetadata.KeyId as string;
  kms.admin.updateKeyDescription({ KeyId: id, Description: 'new' });
  assert.equal(kms.admin.describeKey({ KeyId: id }).KeyMetadata.Description, 'new');
}));

test('Management operations take key ids and ARNs, not aliases', withKit(({ kms }) => {
  const id = kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kms.aliases.createAlias({ AliasName: 'alias/a', TargetKeyId: id });
  throwsKms(() => kms.admin.disableKey({ KeyId: 'alias/a' }), 'NotFoundException', "Invalid keyId 'alias/a'");
  kms.admin.disableKey({ KeyId: ARN + id });
  assert.equal(kms.admin.describeKey({ KeyId: 'alias/a' }).KeyMetadata.KeyState, 'Disabled');
}));

test('State survives a restart: keys, aliases, policies, rotation and material (old ciphertexts decrypt)', withKit((kit) => {
  const id = kit.kms.admin.createKey({ Description: 'durable' }).KeyMetadata.KeyId as string;
  kit.kms.aliases.createAlias({ AliasName: 'alias/durable', TargetKeyId: id });
  const blob = kit.kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('kept') }).CiphertextBlob;
  kit.kms.admin.rotateKeyOnDemand({ KeyId: id });
  kit.kms.admin.enableKeyRotation({ KeyId: id });
  const kms = kit.restart();
  assert.equal(kms.admin.describeKey({ KeyId: 'alias/durable' }).KeyMetadata.Description, 'durable');
  assert.equal(kms.admin.getKeyRotationStatus({ KeyId: id }).KeyRotationEnabled, true);
  assert.equal(kms.crypto.decrypt({ CiphertextBlob: blob }).Plaintext.toString(), 'kept');
}));

test('Key material is stored only wrapped by the master keyring, and re-wraps after master-key rotation', withKit((kit) => {
  const id = kit.kms.admin.createKey({}).KeyMetadata.KeyId as string;
  kit.kms.admin.rotateKeyOnDemand({ KeyId: id });
  const blob = kit.kms.crypto.encrypt({ KeyId: id, Plaintext: Buffer.from('secret') }).CiphertextBlob;
  const stored = JSON.stringify(kit.store.collection('kms_keys').get(id));
  const material = kit.kms.keys.material(kit.kms.keys.get(id)!, 1)!;
  assert.ok(!stored.includes(material.toString('base64')) && !stored.includes(material.toString('hex')), 'plaintext material must not be stored');
  assert.equal(kit.kms.keys.countStale(), 0);
  kit.keyring.rotate();
  assert.equal(kit.kms.keys.countStale(), 2);
  assert.equal(kit.kms.keys.rewrapStale(1), 1);
  assert.equal(kit.kms.keys.countStale(), 1);
  assert.equal(kit.kms.keys.rewrapStale(10), 1);
  assert.equal(kit.kms.keys.countStale(), 0);
  kit.keyring.keys[0] = Buffer.alloc(32); // the old master key is gone
  const kms = kit.restart();
  assert.equal(kms.crypto.decrypt({ CiphertextBlob: blob }).Plaintext.toString(), 'secret');
}));

function pick(m: Record<string, unknown>) {
  return { Enabled: m.Enabled, KeyState: m.KeyState };
}
