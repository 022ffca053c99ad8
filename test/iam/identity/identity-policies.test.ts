import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, ROOT_PRINCIPAL, allow, openKit, trust, userPrincipal, type Kit } from './iam-fixture.js';
import { bootstrapIam } from '../../../src/iam/identity/iam-bootstrap.js';

let kit: Kit;
beforeEach(() => { kit = openKit(); });
afterEach(() => kit.close());

const FULL = 'arn:aws:iam::aws:policy/AWSLambda_FullAccess';
const ids = (list: Array<{ id: string }>) => list.map((p) => p.id).sort();

test('identity policies: a user has its inline and attached policies and those of its groups, plus its boundary', () => {
  const iam = kit.iam;
  iam.users.create({ UserName: 'alice' });
  iam.groups.create({ GroupName: 'devs' });
  iam.groups.addUser({ GroupName: 'devs', UserName: 'alice' });
  iam.inlinePolicies.put('user', 'alice', 'invoke-b', allow('lambda:InvokeFunction'));
  iam.inlinePolicies.put('group', 'devs', 'read', allow('lambda:Get*'));
  iam.attachments.attach('user', 'alice', FULL);
  iam.attachments.attach('group', 'devs', FULL); // the same policy twice counts once
  const boundary = iam.policies.create({ PolicyName: 'b', PolicyDocument: allow('lambda:*') }).Policy.Arn;
  iam.attachments.putBoundary('user', 'alice', boundary);
  const got = iam.identityPolicies.identityPolicies(userPrincipal(iam, 'alice'));
  assert.deepEqual(ids(got.identity), [FULL, 'group/devs/inline/read', 'user/alice/inline/invoke-b'].sort());
  assert.equal(got.identity.find((p) => p.id === 'user/alice/inline/invoke-b')!.document, allow('lambda:InvokeFunction'));
  assert.equal(got.permissionsBoundary!.id, boundary);
  assert.match(got.identity.find((p) => p.id === FULL)!.document, /lambda:\*/);
});

test('identity policies: the root has none; an unknown user has none', () => {
  assert.deepEqual(kit.iam.identityPolicies.identityPolicies(ROOT_PRINCIPAL).identity, []);
  assert.deepEqual(kit.iam.identityPolicies.identityPolicies({ type: 'User', arn: 'x', accountId: ACCOUNT, userId: 'AIDAX', userName: 'ghost' }).identity, []);
});

test('identity policies: a role session has its role policies and the session policies it was issued with', () => {
  const iam = kit.iam;
  iam.users.create({ UserName: 'u' });
  iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() });
  iam.inlinePolicies.put('role', 'r', 'p', allow('s3:*'));
  iam.attachments.attach('role', 'r', 'arn:aws:iam::aws:policy/service-role/AWSLambdaRole');
  const out = iam.sts.assumeRole({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/r`, RoleSessionName: 's1', Policy: allow('s3:GetObject') }, userPrincipal(iam, 'u'));
  const plain = iam.sts.assumeRole({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/r`, RoleSessionName: 's1' }, userPrincipal(iam, 'u'));
  const withPolicy = iam.credentials.lookup(out.Credentials.AccessKeyId)!.principal;
  const without = iam.credentials.lookup(plain.Credentials.AccessKeyId)!.principal;
  assert.equal(withPolicy.arn, without.arn);
  assert.notEqual(withPolicy.tokenIssuedAt, without.tokenIssuedAt);
  const a = iam.identityPolicies.identityPolicies(withPolicy);
  assert.deepEqual(ids(a.identity), ['arn:aws:iam::aws:policy/service-role/AWSLambdaRole', 'role/r/inline/p']);
  assert.deepEqual(a.sessionPolicies!.map((p) => p.document), [allow('s3:GetObject')]);
  assert.equal(iam.identityPolicies.identityPolicies(without).sessionPolicies, undefined);
});

test('identity policies: revision moves on every write that could change a decision, and the cache follows', () => {
  const iam = kit.iam;
  const r0 = iam.identityPolicies.revision;
  iam.users.create({ UserName: 'u' });
  const r1 = iam.identityPolicies.revision;
  assert.ok(r1 > r0);
  const p = userPrincipal(iam, 'u');
  assert.equal(iam.identityPolicies.identityPolicies(p).identity.length, 0);
  iam.inlinePolicies.put('user', 'u', 'p', allow('lambda:*'));
  assert.ok(iam.identityPolicies.revision > r1);
  assert.equal(iam.identityPolicies.identityPolicies(p).identity.length, 1);
  const steps: Array<() => unknown> = [
    () => iam.groups.create({ GroupName: 'g' }),
    () => iam.groups.addUser({ GroupName: 'g', UserName: 'u' }),
    () => iam.attachments.attach('group', 'g', FULL),
    () => iam.accessKeys.create({ UserName: 'u' }, ROOT_PRINCIPAL),
    () => iam.roles.create({ RoleName: 'r', AssumeRolePolicyDocument: trust() }),
    () => iam.roles.updateAssumeRolePolicy({ RoleName: 'r', PolicyDocument: trust('ec2.amazonaws.com') }),
  ];
  for (const step of steps) {
    const before = iam.identityPolicies.revision;
    step();
    assert.ok(iam.identityPolicies.revision > before, String(step));
  }
  assert.equal(iam.identityPolicies.identityPolicies(p).identity.length, 2);
});

test('identity policies: SetDefaultPolicyVersion changes the document a user sees', () => {
  const iam = kit.iam;
  iam.users.create({ UserName: 'u' });
  const arn = iam.policies.create({ PolicyName: 'p', PolicyDocument: allow('a:1') }).Policy.Arn;
  iam.attachments.attach('user', 'u', arn);
  const p = userPrincipal(iam, 'u');
  assert.equal(iam.identityPolicies.identityPolicies(p).identity[0]!.document, allow('a:1'));
  iam.policies.createVersion({ PolicyArn: arn, PolicyDocument: allow('a:2'), SetAsDefault: true });
  assert.equal(iam.identityPolicies.identityPolicies(p).identity[0]!.document, allow('a:2'));
});

test('identity policies: a repeated lookup at the same revision returns the cached set', () => {
  kit.iam.users.create({ UserName: 'u' });
  const p = userPrincipal(kit.iam, 'u');
  assert.equal(kit.iam.identityPolicies.identityPolicies(p), kit.iam.identityPolicies.identityPolicies(p));
});

test('bootstrap: the first start creates lambda-role trusted by Lambda with AWSLambdaBasicExecutionRole; later starts do nothing', () => {
  assert.deepEqual(bootstrapIam(kit.iam), { created: true });
  const arn = `arn:aws:iam::${ACCOUNT}:role/lambda-role`;
  assert.equal(kit.iam.roleDirectory.describeExecutionRole(arn), 'ok');
  assert.deepEqual(kit.iam.attachments.listAttached('role', 'lambda-role', {}).AttachedPolicies,
    [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }]);
  assert.deepEqual(bootstrapIam(kit.iam), { created: false });
});

test('bootstrap: a lambda-role the user deleted is not re-created at the next start', () => {
  bootstrapIam(kit.iam);
  kit.iam.attachments.detach('role', 'lambda-role', 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole');
  kit.iam.roles.delete({ RoleName: 'lambda-role' });
  const iam = kit.reopen();
  assert.deepEqual(bootstrapIam(iam), { created: false });
  assert.equal(iam.roles.find('lambda-role'), undefined);
});
