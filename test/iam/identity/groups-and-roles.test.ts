import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, allow, openKit, throwsAws, trust, type Kit } from './iam-fixture.js';

let kit: Kit;
beforeEach(() => { kit = openKit(); });
afterEach(() => kit.close());

test('groups: CreateGroup gives an AGPA id; a duplicate is EntityAlreadyExists; an unknown one NoSuchEntity', () => {
  const { Group } = kit.iam.groups.create({ GroupName: 'admins', Path: '/x/' });
  assert.match(Group.GroupId, /^AGPA[A-Z2-7]{17}$/);
  assert.equal(Group.Arn, `arn:aws:iam::${ACCOUNT}:group/x/admins`);
  throwsAws(() => kit.iam.groups.create({ GroupName: 'admins' }), 'EntityAlreadyExistsException', 'Group with name admins already exists.');
  throwsAws(() => kit.iam.groups.get({ GroupName: 'nope' }), 'NoSuchEntityException', 'The group with name nope cannot be found.');
});

test('groups: members are listed by GetGroup and ListGroupsForUser; adding twice is harmless', () => {
  kit.iam.users.create({ UserName: 'a' });
  kit.iam.users.create({ UserName: 'b' });
  kit.iam.groups.create({ GroupName: 'g1' });
  kit.iam.groups.create({ GroupName: 'g2' });
  kit.iam.groups.addUser({ GroupName: 'g1', UserName: 'a' });
  kit.iam.groups.addUser({ GroupName: 'g1', UserName: 'a' });
  kit.iam.groups.addUser({ GroupName: 'g1', UserName: 'b' });
  kit.iam.groups.addUser({ GroupName: 'g2', UserName: 'a' });
  assert.deepEqual((kit.iam.groups.get({ GroupName: 'g1' }).Users as Array<{ UserName: string }>).map((u) => u.UserName), ['a', 'b']);
  assert.deepEqual((kit.iam.groups.listForUser({ UserName: 'a' }).Groups as Array<{ GroupName: string }>).map((g) => g.GroupName), ['g1', 'g2']);
  kit.iam.groups.removeUser({ GroupName: 'g1', UserName: 'a' });
  assert.deepEqual((kit.iam.groups.listForUser({ UserName: 'a' }).Groups as Array<{ GroupName: string }>).map((g) => g.GroupName), ['g2']);
});

test('groups: DeleteGroup refuses with members, inline or attached policies', () => {
  kit.iam.users.create({ UserName: 'a' });
  kit.iam.groups.create({ GroupName: 'g' });
  kit.iam.groups.addUser({ GroupName: 'g', UserName: 'a' });
  throwsAws(() => kit.iam.groups.delete({ GroupName: 'g' }), 'DeleteConflictException', 'Cannot delete entity, must remove users from group first.');
  kit.iam.groups.removeUser({ GroupName: 'g', UserName: 'a' });
  kit.iam.inlinePolicies.put('group', 'g', 'p', allow('s3:*'));
  throwsAws(() => kit.iam.groups.delete({ GroupName: 'g' }), 'DeleteConflictException', 'Cannot delete entity, must delete policies first.');
  kit.iam.inlinePolicies.delete('group', 'g', 'p');
  kit.iam.attachments.attach('group', 'g', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess');
  throwsAws(() => kit.iam.groups.delete({ GroupName: 'g' }), 'DeleteConflictException', 'Cannot delete entity, must detach all policies first.');
  kit.iam.attachments.detach('group', 'g', 'arn:aws:iam::aws:policy/IAMReadOnlyAccess');
  kit.iam.groups.delete({ GroupName: 'g' });
  assert.equal(kit.iam.groups.find('g'), undefined);
});

test('roles: CreateRole stores the trust policy and answers it URL-encoded, with AROA id and default 3600 s', () => {
  const doc = trust();
  const { Role } = kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: doc, Path: '/svc/', Description: 'd' });
  assert.match(Role.RoleId, /^AROA[A-Z2-7]{17}$/);
  assert.equal(Role.Arn, `arn:aws:iam::${ACCOUNT}:role/svc/r`);
  assert.equal(Role.MaxSessionDuration, 3600);
  assert.equal(decodeURIComponent(Role.AssumeRolePolicyDocument), doc);
  assert.notEqual(Role.AssumeRolePolicyDocument, doc);
  const got = kit.iam.roles.get({ RoleName: 'r' }).Role;
  assert.equal(got.Description, 'd');
  assert.deepEqual(got.RoleLastUsed, {});
});

test('roles: MaxSessionDuration outside 3600..43200 is refused with AWS validation text', () => {
  throwsAws(() => kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust(), MaxSessionDuration: 100 }), 'ValidationException',
    "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600");
  throwsAws(() => kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust(), MaxSessionDuration: 50000 }), 'ValidationException', /less than or equal to 43200/);
});

test('roles: a trust policy that is not JSON is MalformedPolicyDocument "This policy contains invalid Json"', () => {
  throwsAws(() => kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: '{nope' }), 'MalformedPolicyDocumentException', /invalid Json/i);
});

test('roles: a duplicate is EntityAlreadyExists, an unknown one "The role with name x cannot be found."', () => {
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  throwsAws(() => kit.iam.roles.create({ RoleName: 'R', AssumeRolePolicyDocument: trust() }), 'EntityAlreadyExistsException', 'Role with name R already exists.');
  throwsAws(() => kit.iam.roles.get({ RoleName: 'x' }), 'NoSuchEntityException', 'The role with name x cannot be found.');
});

test('roles: UpdateRole changes description and duration; UpdateAssumeRolePolicy bumps the trust revision', () => {
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  kit.iam.roles.update({ RoleName: 'r', Description: 'new', MaxSessionDuration: 7200 });
  const r = kit.iam.roles.get({ RoleName: 'r' }).Role;
  assert.equal(r.Description, 'new');
  assert.equal(r.MaxSessionDuration, 7200);
  const arn = r.Arn;
  const before = kit.iam.roleDirectory.resourcePolicy('sts:AssumeRole', arn)!;
  kit.iam.roles.updateAssumeRolePolicy({ RoleName: 'r', PolicyDocument: trust('ec2.amazonaws.com') });
  const after = kit.iam.roleDirectory.resourcePolicy('sts:AssumeRole', arn)!;
  assert.notEqual(after.revision, before.revision);
  assert.equal(after.document, trust('ec2.amazonaws.com'));
});

test('roles: ListRoles pages and filters by PathPrefix, without tags', () => {
  for (const n of ['ra', 'rb', 'rc']) kit.iam.roles.create({ RoleName: n, AssumeRolePolicyDocument: trust(), Path: n === 'rc' ? '/svc/' : '/', Tags: [{ Key: 'k', Value: 'v' }] });
  const p1 = kit.iam.roles.list({ MaxItems: 2 }) as { Roles: Array<{ RoleName: string; Tags?: unknown }>; IsTruncated: boolean; Marker?: string };
  assert.deepEqual(p1.Roles.map((r) => r.RoleName), ['ra', 'rb']);
  assert.equal(p1.Roles[0]!.Tags, undefined);
  const p2 = kit.iam.roles.list({ MaxItems: 2, Marker: p1.Marker }) as typeof p1;
  assert.deepEqual(p2.Roles.map((r) => r.RoleName), ['rc']);
  assert.deepEqual((kit.iam.roles.list({ PathPrefix: '/svc' }) as typeof p1).Roles.map((r) => r.RoleName), ['rc']);
});

test('roles: DeleteRole refuses while inline or attached policies remain', () => {
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  kit.iam.inlinePolicies.put('role', 'r', 'p', allow('lambda:*'));
  throwsAws(() => kit.iam.roles.delete({ RoleName: 'r' }), 'DeleteConflictException', 'Cannot delete entity, must delete policies first.');
  kit.iam.inlinePolicies.delete('role', 'r', 'p');
  kit.iam.attachments.attach('role', 'r', 'arn:aws:iam::aws:policy/service-role/AWSLambdaRole');
  throwsAws(() => kit.iam.roles.delete({ RoleName: 'r' }), 'DeleteConflictException', 'Cannot delete entity, must detach all policies first.');
  kit.iam.attachments.detach('role', 'r', 'arn:aws:iam::aws:policy/service-role/AWSLambdaRole');
  kit.iam.roles.delete({ RoleName: 'r' });
  assert.equal(kit.iam.roles.find('r'), undefined);
});

test('roles: tags on roles are added, listed and removed', () => {
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  kit.iam.roles.tag({ RoleName: 'r', Tags: [{ Key: 'a', Value: '1' }] });
  assert.deepEqual(kit.iam.roles.listTags({ RoleName: 'r' }).Tags, [{ Key: 'a', Value: '1' }]);
  kit.iam.roles.untag({ RoleName: 'r', TagKeys: ['a'] });
  assert.deepEqual(kit.iam.roles.listTags({ RoleName: 'r' }).Tags, []);
});

test('execution roles: ok when Lambda is trusted, untrusted otherwise, missing when absent', () => {
  kit.iam.roles.create({ RoleName: 'fn', AssumeRolePolicyDocument: trust() });
  kit.iam.roles.create({ RoleName: 'ec2', AssumeRolePolicyDocument: trust('ec2.amazonaws.com') });
  assert.equal(kit.iam.roleDirectory.describeExecutionRole(`arn:aws:iam::${ACCOUNT}:role/fn`), 'ok');
  assert.equal(kit.iam.roleDirectory.describeExecutionRole(`arn:aws:iam::${ACCOUNT}:role/ec2`), 'untrusted');
  assert.equal(kit.iam.roleDirectory.describeExecutionRole(`arn:aws:iam::${ACCOUNT}:role/none`), 'missing');
  assert.equal(kit.iam.roleDirectory.describeExecutionRole(`arn:aws:iam::${ACCOUNT}:role/wrong/fn`), 'missing');
});

test('trust policies: served as the resource policy of sts:AssumeRole only, on the role ARN with its path', () => {
  kit.iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust(), Path: '/p/' });
  const arn = `arn:aws:iam::${ACCOUNT}:role/p/r`;
  assert.equal(kit.iam.roleDirectory.resourcePolicy('sts:AssumeRole', arn)!.document, trust());
  assert.ok(kit.iam.roleDirectory.resourcePolicy('sts:TagSession', arn));
  assert.equal(kit.iam.roleDirectory.resourcePolicy('iam:GetRole', arn), undefined);
  assert.equal(kit.iam.roleDirectory.resourcePolicy('sts:AssumeRole', `arn:aws:iam::${ACCOUNT}:role/r`), undefined);
  assert.equal(kit.iam.roleDirectory.rolePath('r'), '/p/');
  assert.equal(kit.iam.roleDirectory.userPath('nobody'), undefined);
});
