import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, allow, openKit, throwsAws, trust, type Kit } from './iam-fixture.js';

let kit: Kit;
beforeEach(() => { kit = openKit(); });
afterEach(() => kit.close());

const LAMBDA_BASIC = 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole';
const local = (name: string, path = '/') => `arn:aws:iam::${ACCOUNT}:policy${path}${name}`;

test('inline policies: Put/Get/List/Delete for a user; Get answers the document URL-encoded', () => {
  kit.iam.users.create({ UserName: 'u' });
  kit.iam.inlinePolicies.put('user', 'u', 'invoke', allow('lambda:InvokeFunction'));
  const got = kit.iam.inlinePolicies.get('user', 'u', 'invoke');
  assert.equal(got.UserName, 'u');
  assert.equal(decodeURIComponent(got.PolicyDocument), allow('lambda:InvokeFunction'));
  assert.ok(got.PolicyDocument.startsWith('%7B'));
  assert.deepEqual(kit.iam.inlinePolicies.list('user', 'u', {}).PolicyNames, ['invoke']);
  kit.iam.inlinePolicies.delete('user', 'u', 'invoke');
  throwsAws(() => kit.iam.inlinePolicies.get('user', 'u', 'invoke'), 'NoSuchEntityException', 'The user policy with name invoke cannot be found.');
});

test('inline policies: role and group variants name their entity in outputs and errors', () => {
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  kit.iam.groups.create({ GroupName: 'g' });
  kit.iam.inlinePolicies.put('role', 'r', 'p', allow('s3:*'));
  kit.iam.inlinePolicies.put('group', 'g', 'p', allow('s3:*'));
  assert.equal(kit.iam.inlinePolicies.get('role', 'r', 'p').RoleName, 'r');
  assert.equal(kit.iam.inlinePolicies.get('group', 'g', 'p').GroupName, 'g');
  throwsAws(() => kit.iam.inlinePolicies.delete('role', 'r', 'x'), 'NoSuchEntityException', 'The role policy with name x cannot be found.');
  throwsAws(() => kit.iam.inlinePolicies.get('group', 'g', 'x'), 'NoSuchEntityException', 'The group policy with name x cannot be found.');
});

test('inline policies: size limits are 2048 (user), 5120 (group), 10240 (role) characters without whitespace', () => {
  kit.iam.users.create({ UserName: 'u' });
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  const big = (n: number) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::' + 'a'.repeat(n) }] });
  throwsAws(() => kit.iam.inlinePolicies.put('user', 'u', 'p', big(2100)), 'LimitExceededException', 'Maximum policy size of 2048 bytes exceeded for user u');
  kit.iam.inlinePolicies.put('role', 'r', 'p', big(2100));
  // Whitespace does not count.
  kit.iam.inlinePolicies.put('user', 'u', 'spaced', JSON.stringify(JSON.parse(big(1800)), null, 40));
});

test('inline policies: a document that is not a policy is MalformedPolicyDocument', () => {
  kit.iam.users.create({ UserName: 'u' });
  throwsAws(() => kit.iam.inlinePolicies.put('user', 'u', 'p', '{"Version":"2012-10-17"}'), 'MalformedPolicyDocumentException', /./);
});

test('managed policies: CreatePolicy gives v1, ANPA id, AttachmentCount 0; GetPolicy includes the description', () => {
  const { Policy } = kit.iam.policies.create({ PolicyName: 'p', PolicyDocument: allow('lambda:*'), Path: '/team/', Description: 'desc' });
  assert.match(Policy.PolicyId, /^ANPA[A-Z2-7]{17}$/);
  assert.equal(Policy.Arn, local('p', '/team/'));
  assert.equal(Policy.DefaultVersionId, 'v1');
  assert.equal(Policy.AttachmentCount, 0);
  assert.equal((kit.iam.policies.get({ PolicyArn: Policy.Arn }).Policy as { Description?: string }).Description, 'desc');
  throwsAws(() => kit.iam.policies.create({ PolicyName: 'p', PolicyDocument: allow('s3:*') }), 'EntityAlreadyExistsException', 'A policy called p already exists. Duplicate names are not allowed.');
  throwsAws(() => kit.iam.policies.get({ PolicyArn: local('none') }), 'NoSuchEntityException', `Policy ${local('none')} was not found.`);
});

test('managed policies: a document over 6144 characters without whitespace is LimitExceeded', () => {
  const doc = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::' + 'a'.repeat(6200) }] });
  throwsAws(() => kit.iam.policies.create({ PolicyName: 'p', PolicyDocument: doc }), 'LimitExceededException', 'Cannot exceed quota for PolicySize: 6144');
});

test('managed policies: versions — create up to five, SetAsDefault, get, list newest first, delete, set default', () => {
  const arn = kit.iam.policies.create({ PolicyName: 'p', PolicyDocument: allow('a:1') }).Policy.Arn;
  assert.deepEqual(kit.iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:2') }).PolicyVersion.VersionId, 'v2');
  const v3 = kit.iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:3'), SetAsDefault: true }).PolicyVersion;
  assert.equal(v3.IsDefaultVersion, true);
  assert.equal(kit.iam.policies.get({ PolicyArn: arn }).Policy.DefaultVersionId, 'v3');
  kit.iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:4') });
  kit.iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:5') });
  throwsAws(() => kit.iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:6') }), 'LimitExceededException',
    'A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.');
  const listed = kit.iam.policies.listVersions({ PolicyArn: arn }).Versions as Array<{ VersionId: string; IsDefaultVersion: boolean }>;
  assert.deepEqual(listed.map((v) => v.VersionId), ['v5', 'v4', 'v3', 'v2', 'v1']);
  assert.equal(decodeURIComponent(kit.iam.policies.getVersion({ PolicyArn: arn, VersionId: 'v2' }).PolicyVersion.Document), allow('a:2'));
  throwsAws(() => kit.iam.policies.deleteVersion({ PolicyArn: arn, VersionId: 'v3' }), 'DeleteConflictException', 'Cannot delete the default version of a policy.');
  kit.iam.policies.deleteVersion({ PolicyArn: arn, VersionId: 'v1' });
  // Version ids are never reused.
  assert.equal(kit.iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:6') }).PolicyVersion.VersionId, 'v6');
  kit.iam.policies.setDefaultVersion({ PolicyArn: arn, VersionId: 'v6' });
  assert.equal(kit.iam.policies.get({ PolicyArn: arn }).Policy.DefaultVersionId, 'v6');
  throwsAws(() => kit.iam.policies.getVersion({ PolicyArn: arn, VersionId: 'v1' }), 'NoSuchEntityException', `Policy ${arn} version v1 does not exist or is not attachable.`);
});

test('managed policies: DeletePolicy refuses while attached, and while non-default versions exist', () => {
  kit.iam.users.create({ UserName: 'u' });
  const arn = kit.iam.policies.create({ PolicyName: 'p', PolicyDocument: allow('a:1') }).Policy.Arn;
  kit.iam.attachments.attach('user', 'u', arn);
  throwsAws(() => kit.iam.policies.delete({ PolicyArn: arn }), 'DeleteConflictException', 'Cannot delete a policy attached to entities.');
  kit.iam.attachments.detach('user', 'u', arn);
  kit.iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:2') });
  throwsAws(() => kit.iam.policies.delete({ PolicyArn: arn }), 'DeleteConflictException',
    "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.");
  kit.iam.policies.deleteVersion({ PolicyArn: arn, VersionId: 'v2' });
  kit.iam.policies.delete({ PolicyArn: arn });
  throwsAws(() => kit.iam.policies.get({ PolicyArn: arn }), 'NoSuchEntityException', `Policy ${arn} was not found.`);
});

test('AWS managed policies: served at their real ARNs with their real documents, read-only', () => {
  const p = kit.iam.policies.get({ PolicyArn: LAMBDA_BASIC }).Policy;
  assert.equal(p.PolicyName, 'AWSLambdaBasicExecutionRole');
  assert.equal(p.Path, '/service-role/');
  assert.equal(p.DefaultVersionId, 'v1');
  const doc = JSON.parse(decodeURIComponent(kit.iam.policies.getVersion({ PolicyArn: LAMBDA_BASIC, VersionId: 'v1' }).PolicyVersion.Document));
  assert.deepEqual(doc.Statement[0].Action, ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  throwsAws(() => kit.iam.policies.delete({ PolicyArn: LAMBDA_BASIC }), 'AccessDeniedException', /AWS managed policy/);
  throwsAws(() => kit.iam.policies.createVersion({ PolicyArn: LAMBDA_BASIC, PolicyDocument: allow('x:y') }), 'AccessDeniedException', /AWS managed policy/);
});

test('AWS managed policies: every policy the brief names is present', () => {
  const names = (kit.iam.policies.list({ Scope: 'AWS', MaxItems: 1000 }).Policies as Array<{ Arn: string }>).map((p) => p.Arn);
  for (const n of ['service-role/AWSLambdaBasicExecutionRole', 'service-role/AWSLambdaRole', 'AWSLambda_ReadOnlyAccess', 'AWSLambda_FullAccess', 'AWSLambdaExecute',
    'service-role/AWSLambdaVPCAccessExecutionRole', 'service-role/AWSLambdaSQSQueueExecutionRole', 'service-role/AWSLambdaDynamoDBExecutionRole',
    'AWSXRayDaemonWriteAccess', 'IAMFullAccess', 'IAMReadOnlyAccess', 'AdministratorAccess', 'PowerUserAccess']) {
    assert.ok(names.includes(`arn:aws:iam::aws:policy/${n}`), n);
  }
});

test('ListPolicies: Scope Local/AWS/All, OnlyAttached and PathPrefix', () => {
  kit.iam.users.create({ UserName: 'u' });
  kit.iam.policies.create({ PolicyName: 'mine', PolicyDocument: allow('a:1'), Path: '/t/' });
  kit.iam.attachments.attach('user', 'u', 'arn:aws:iam::aws:policy/AWSLambdaExecute');
  const names = (input: object) => (kit.iam.policies.list({ MaxItems: 1000, ...input }).Policies as Array<{ PolicyName: string }>).map((p) => p.PolicyName);
  assert.deepEqual(names({ Scope: 'Local' }), ['mine']);
  assert.ok(!names({ Scope: 'AWS' }).includes('mine'));
  assert.ok(names({}).includes('mine') && names({}).includes('AdministratorAccess'));
  assert.deepEqual(names({ OnlyAttached: true }), ['AWSLambdaExecute']);
  assert.deepEqual(names({ PathPrefix: '/t/' }), ['mine']);
  const page = kit.iam.policies.list({ Scope: 'AWS', MaxItems: 5 });
  assert.equal(page.IsTruncated, true);
  assert.equal((page.Policies as unknown[]).length, 5);
});

test('attachments: attach, count, list attached, list entities, detach; unknown policy is not attachable', () => {
  kit.iam.users.create({ UserName: 'u' });
  kit.iam.groups.create({ GroupName: 'g' });
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  for (const [k, n] of [['user', 'u'], ['group', 'g'], ['role', 'r']] as const) kit.iam.attachments.attach(k, n, LAMBDA_BASIC);
  kit.iam.attachments.attach('user', 'u', LAMBDA_BASIC); // again: no change
  assert.equal(kit.iam.policies.get({ PolicyArn: LAMBDA_BASIC }).Policy.AttachmentCount, 3);
  assert.deepEqual(kit.iam.attachments.listAttached('role', 'r', {}).AttachedPolicies, [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: LAMBDA_BASIC }]);
  const ents = kit.iam.attachments.listEntities({ PolicyArn: LAMBDA_BASIC });
  assert.deepEqual(ents.PolicyUsers.map((x) => (x as { UserName: string }).UserName), ['u']);
  assert.deepEqual(ents.PolicyGroups.map((x) => (x as { GroupName: string }).GroupName), ['g']);
  assert.deepEqual(ents.PolicyRoles.map((x) => (x as { RoleName: string }).RoleName), ['r']);
  assert.equal(kit.iam.attachments.listEntities({ PolicyArn: LAMBDA_BASIC, EntityFilter: 'Role' }).PolicyUsers.length, 0);
  kit.iam.attachments.detach('role', 'r', LAMBDA_BASIC);
  assert.equal(kit.iam.policies.get({ PolicyArn: LAMBDA_BASIC }).Policy.AttachmentCount, 2);
  throwsAws(() => kit.iam.attachments.detach('role', 'r', LAMBDA_BASIC), 'NoSuchEntityException', `Policy ${LAMBDA_BASIC} was not found.`);
  throwsAws(() => kit.iam.attachments.attach('user', 'u', local('nope')), 'NoSuchEntityException', `Policy ${local('nope')} does not exist or is not attachable.`);
});

test('attachments: more than ten managed policies on one role is LimitExceeded', () => {
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  for (let i = 0; i < 10; i++) kit.iam.attachments.attach('role', 'r', kit.iam.policies.create({ PolicyName: `p${i}`, PolicyDocument: allow('a:1') }).Policy.Arn);
  const eleventh = kit.iam.policies.create({ PolicyName: 'p10', PolicyDocument: allow('a:1') }).Policy.Arn;
  throwsAws(() => kit.iam.attachments.attach('role', 'r', eleventh), 'LimitExceededException', 'Cannot exceed quota for PoliciesPerRole: 10');
});

test('permissions boundaries: put, shown by GetUser/GetRole, counted, block DeletePolicy, removed', () => {
  kit.iam.users.create({ UserName: 'u' });
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  const arn = kit.iam.policies.create({ PolicyName: 'b', PolicyDocument: allow('lambda:*') }).Policy.Arn;
  kit.iam.attachments.putBoundary('user', 'u', arn);
  kit.iam.attachments.putBoundary('role', 'r', arn);
  assert.deepEqual(kit.iam.users.get({ UserName: 'u' }, { type: 'Account', arn: '', accountId: ACCOUNT, userId: ACCOUNT }).User.PermissionsBoundary,
    { PermissionsBoundaryType: 'Policy', PermissionsBoundaryArn: arn });
  assert.equal(kit.iam.roles.get({ RoleName: 'r' }).Role.PermissionsBoundary?.PermissionsBoundaryArn, arn);
  assert.equal(kit.iam.policies.get({ PolicyArn: arn }).Policy.PermissionsBoundaryUsageCount, 2);
  throwsAws(() => kit.iam.policies.delete({ PolicyArn: arn }), 'DeleteConflictException', 'Cannot delete a policy attached to entities.');
  kit.iam.attachments.deleteBoundary('user', 'u');
  kit.iam.attachments.deleteBoundary('role', 'r');
  assert.equal(kit.iam.roles.get({ RoleName: 'r' }).Role.PermissionsBoundary, undefined);
  throwsAws(() => kit.iam.attachments.putBoundary('user', 'u', local('nope')), 'NoSuchEntityException', `Scope ARN: ${local('nope')} does not exist or is not attachable.`);
});

test('managed policies: tags on policies', () => {
  const arn = kit.iam.policies.create({ PolicyName: 'p', PolicyDocument: allow('a:1'), Tags: [{ Key: 'a', Value: '1' }] }).Policy.Arn;
  kit.iam.policies.tag({ PolicyArn: arn, Tags: [{ Key: 'b', Value: '2' }] });
  kit.iam.policies.untag({ PolicyArn: arn, TagKeys: ['a'] });
  assert.deepEqual(kit.iam.policies.listTags({ PolicyArn: arn }).Tags, [{ Key: 'b', Value: '2' }]);
});
