import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, ROOT_PRINCIPAL, allow, openKit, throwsAws, userPrincipal, type Kit } from './iam-fixture.js';

let kit: Kit;
beforeEach(() => { kit = openKit(); });
afterEach(() => kit.close());

test('users: CreateUser returns an AIDA id and an ARN with the path; GetUser reads it back', () => {
  const { User } = kit.iam.users.create({ UserName: 'alice', Path: '/div/' });
  assert.match(User.UserId, /^AIDA[A-Z2-7]{17}$/);
  assert.equal(User.Arn, `arn:aws:iam::${ACCOUNT}:user/div/alice`);
  assert.ok(User.CreateDate instanceof Date);
  assert.deepEqual(kit.iam.users.get({ UserName: 'alice' }, ROOT_PRINCIPAL).User.Arn, User.Arn);
});

test('users: a second user with the same name in another case is EntityAlreadyExists in IAM words', () => {
  kit.iam.users.create({ UserName: 'bob' });
  throwsAws(() => kit.iam.users.create({ UserName: 'Bob' }), 'EntityAlreadyExistsException', 'User with name Bob already exists.');
});

test('users: GetUser of an unknown user is NoSuchEntity "The user with name bob cannot be found."', () => {
  throwsAws(() => kit.iam.users.get({ UserName: 'bob' }, ROOT_PRINCIPAL), 'NoSuchEntityException', 'The user with name bob cannot be found.');
});

test('users: GetUser without UserName answers the calling user; a role session must name one', () => {
  kit.iam.users.create({ UserName: 'carol' });
  assert.equal(kit.iam.users.get({}, userPrincipal(kit.iam, 'carol')).User.UserName, 'carol');
  assert.equal(kit.iam.users.get({}, ROOT_PRINCIPAL).User.Arn, `arn:aws:iam::${ACCOUNT}:root`);
  throwsAws(() => kit.iam.users.get({}, { type: 'AssumedRole', arn: 'x', accountId: ACCOUNT, userId: 'AROAX:s' }), 'ValidationException', 'Must specify userName when calling with non-User credentials');
});

test('users: ListUsers pages with MaxItems/Marker/IsTruncated and filters by PathPrefix', () => {
  for (const n of ['u1', 'u2', 'u3', 'u4', 'u5']) kit.iam.users.create({ UserName: n, Path: n === 'u5' ? '/ops/' : '/' });
  const p1 = kit.iam.users.list({ MaxItems: 2 }) as { Users: Array<{ UserName: string }>; IsTruncated: boolean; Marker?: string };
  assert.deepEqual(p1.Users.map((u) => u.UserName), ['u1', 'u2']);
  assert.equal(p1.IsTruncated, true);
  const p2 = kit.iam.users.list({ MaxItems: 2, Marker: p1.Marker }) as typeof p1;
  assert.deepEqual(p2.Users.map((u) => u.UserName), ['u3', 'u4']);
  const p3 = kit.iam.users.list({ MaxItems: 2, Marker: p2.Marker }) as typeof p1;
  assert.deepEqual(p3.Users.map((u) => u.UserName), ['u5']);
  assert.equal(p3.IsTruncated, false);
  assert.equal(p3.Marker, undefined);
  const ops = kit.iam.users.list({ PathPrefix: '/ops/' }) as typeof p1;
  assert.deepEqual(ops.Users.map((u) => u.UserName), ['u5']);
});

test('users: UpdateUser renames and moves, keeping keys and memberships', () => {
  kit.iam.users.create({ UserName: 'dave' });
  kit.iam.groups.create({ GroupName: 'devs' });
  kit.iam.groups.addUser({ GroupName: 'devs', UserName: 'dave' });
  const key = kit.iam.accessKeys.create({ UserName: 'dave' }, ROOT_PRINCIPAL).AccessKey;
  kit.iam.users.update({ UserName: 'dave', NewUserName: 'david', NewPath: '/eng/' });
  const u = kit.iam.users.get({ UserName: 'david' }, ROOT_PRINCIPAL).User;
  assert.equal(u.Arn, `arn:aws:iam::${ACCOUNT}:user/eng/david`);
  throwsAws(() => kit.iam.users.require('dave'), 'NoSuchEntityException', 'The user with name dave cannot be found.');
  assert.equal(kit.iam.accessKeys.list({ UserName: 'david' }, ROOT_PRINCIPAL).AccessKeyMetadata[0]!.AccessKeyId, key.AccessKeyId);
  assert.deepEqual((kit.iam.groups.get({ GroupName: 'devs' }).Users as Array<{ UserName: string }>).map((x) => x.UserName), ['david']);
  assert.equal(kit.iam.credentials.lookup(key.AccessKeyId)!.principal.arn, u.Arn);
});

test('users: DeleteUser refuses while keys, inline policies, attached policies or groups remain, one message each', () => {
  const iam = kit.iam;
  iam.users.create({ UserName: 'erin' });
  const key = iam.accessKeys.create({ UserName: 'erin' }, ROOT_PRINCIPAL).AccessKey;
  throwsAws(() => iam.users.delete({ UserName: 'erin' }), 'DeleteConflictException', 'Cannot delete entity, must delete access keys first.');
  iam.accessKeys.delete({ UserName: 'erin', AccessKeyId: key.AccessKeyId }, ROOT_PRINCIPAL);
  iam.inlinePolicies.put('user', 'erin', 'p', allow('lambda:*'));
  throwsAws(() => iam.users.delete({ UserName: 'erin' }), 'DeleteConflictException', 'Cannot delete entity, must delete policies first.');
  iam.inlinePolicies.delete('user', 'erin', 'p');
  iam.attachments.attach('user', 'erin', 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess');
  throwsAws(() => iam.users.delete({ UserName: 'erin' }), 'DeleteConflictException', 'Cannot delete entity, must detach all policies first.');
  iam.attachments.detach('user', 'erin', 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess');
  iam.groups.create({ GroupName: 'g' });
  iam.groups.addUser({ GroupName: 'g', UserName: 'erin' });
  throwsAws(() => iam.users.delete({ UserName: 'erin' }), 'DeleteConflictException', 'Cannot delete entity, must remove users from group first.');
  iam.groups.removeUser({ GroupName: 'g', UserName: 'erin' });
  iam.users.delete({ UserName: 'erin' });
  assert.equal(iam.users.find('erin'), undefined);
});

test('users: tags are merged by key without regard to case, removed by key, and listed', () => {
  kit.iam.users.create({ UserName: 'fay', Tags: [{ Key: 'team', Value: 'a' }] });
  kit.iam.users.tag({ UserName: 'fay', Tags: [{ Key: 'Team', Value: 'b' }, { Key: 'env', Value: 'dev' }] });
  assert.deepEqual(kit.iam.users.listTags({ UserName: 'fay' }).Tags, [{ Key: 'Team', Value: 'b' }, { Key: 'env', Value: 'dev' }]);
  kit.iam.users.untag({ UserName: 'fay', TagKeys: ['team'] });
  assert.deepEqual(kit.iam.users.get({ UserName: 'fay' }, ROOT_PRINCIPAL).User.Tags, [{ Key: 'env', Value: 'dev' }]);
  throwsAws(() => kit.iam.users.tag({ UserName: 'fay', Tags: [{ Key: 'a', Value: '1' }, { Key: 'A', Value: '2' }] }), 'InvalidInputException', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
});

test('access keys: CreateAccessKey returns an AKIA id of 20 characters and a 40-character secret, Active', () => {
  kit.iam.users.create({ UserName: 'gus' });
  const { AccessKey } = kit.iam.accessKeys.create({ UserName: 'gus' }, ROOT_PRINCIPAL);
  assert.match(AccessKey.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
  assert.equal(AccessKey.SecretAccessKey.length, 40);
  assert.equal(AccessKey.Status, 'Active');
  assert.equal(AccessKey.UserName, 'gus');
});

test('access keys: a third key for one user is LimitExceeded "Cannot exceed quota for AccessKeysPerUser: 2"', () => {
  kit.iam.users.create({ UserName: 'hal' });
  kit.iam.accessKeys.create({ UserName: 'hal' }, ROOT_PRINCIPAL);
  kit.iam.accessKeys.create({ UserName: 'hal' }, ROOT_PRINCIPAL);
  throwsAws(() => kit.iam.accessKeys.create({ UserName: 'hal' }, ROOT_PRINCIPAL), 'LimitExceededException', 'Cannot exceed quota for AccessKeysPerUser: 2');
});

test('access keys: a user without UserName manages its own keys', () => {
  kit.iam.users.create({ UserName: 'ida' });
  const me = userPrincipal(kit.iam, 'ida');
  const k = kit.iam.accessKeys.create({}, me).AccessKey;
  assert.equal(k.UserName, 'ida');
  assert.equal(kit.iam.accessKeys.list({}, me).AccessKeyMetadata.length, 1);
});

test('access keys: UpdateAccessKey Inactive stops lookup; Active restores it; DeleteAccessKey removes it', () => {
  kit.iam.users.create({ UserName: 'jo' });
  const k = kit.iam.accessKeys.create({ UserName: 'jo' }, ROOT_PRINCIPAL).AccessKey;
  const found = kit.iam.credentials.lookup(k.AccessKeyId)!;
  assert.equal(found.secretAccessKey, k.SecretAccessKey);
  assert.equal(found.principal.type, 'User');
  assert.equal(found.principal.userName, 'jo');
  kit.iam.accessKeys.update({ UserName: 'jo', AccessKeyId: k.AccessKeyId, Status: 'Inactive' }, ROOT_PRINCIPAL);
  assert.equal(kit.iam.credentials.lookup(k.AccessKeyId), undefined);
  assert.equal(kit.iam.accessKeys.list({ UserName: 'jo' }, ROOT_PRINCIPAL).AccessKeyMetadata[0]!.Status, 'Inactive');
  kit.iam.accessKeys.update({ UserName: 'jo', AccessKeyId: k.AccessKeyId, Status: 'Active' }, ROOT_PRINCIPAL);
  assert.ok(kit.iam.credentials.lookup(k.AccessKeyId));
  kit.iam.accessKeys.delete({ UserName: 'jo', AccessKeyId: k.AccessKeyId }, ROOT_PRINCIPAL);
  assert.equal(kit.iam.credentials.lookup(k.AccessKeyId), undefined);
});

test('access keys: a key of another user is NoSuchEntity "The Access Key with id … cannot be found."', () => {
  kit.iam.users.create({ UserName: 'kim' });
  kit.iam.users.create({ UserName: 'lee' });
  const k = kit.iam.accessKeys.create({ UserName: 'kim' }, ROOT_PRINCIPAL).AccessKey;
  throwsAws(() => kit.iam.accessKeys.delete({ UserName: 'lee', AccessKeyId: k.AccessKeyId }, ROOT_PRINCIPAL), 'NoSuchEntityException', `The Access Key with id ${k.AccessKeyId} cannot be found.`);
});

test('access keys: GetAccessKeyLastUsed answers N/A until used, then the service and region', () => {
  kit.iam.users.create({ UserName: 'max' });
  const k = kit.iam.accessKeys.create({ UserName: 'max' }, ROOT_PRINCIPAL).AccessKey;
  assert.deepEqual(kit.iam.accessKeys.lastUsed({ AccessKeyId: k.AccessKeyId }), { UserName: 'max', AccessKeyLastUsed: { ServiceName: 'N/A', Region: 'N/A' } });
  kit.iam.accessKeys.recordUse(k.AccessKeyId, 'lambda', 'us-east-1');
  const used = kit.iam.accessKeys.lastUsed({ AccessKeyId: k.AccessKeyId }).AccessKeyLastUsed;
  assert.equal(used.ServiceName, 'lambda');
  assert.ok(used.LastUsedDate instanceof Date);
});

test('credentials: the root key is the account principal; unknown keys are undefined', () => {
  const root = kit.iam.credentials.lookup('AKIAROOTROOTROOTROOT')!;
  assert.deepEqual(root.principal, ROOT_PRINCIPAL);
  assert.equal(kit.iam.credentials.lookup('AKIANOTAKEYATALL000'), undefined);
});

test('credentials: keys survive a restart of the store (loaded at start)', () => {
  kit.iam.users.create({ UserName: 'ned' });
  const k = kit.iam.accessKeys.create({ UserName: 'ned' }, ROOT_PRINCIPAL).AccessKey;
  const iam = kit.reopen();
  assert.equal(iam.credentials.lookup(k.AccessKeyId)!.principal.userName, 'ned');
});
