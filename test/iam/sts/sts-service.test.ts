import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { ACCOUNT, ROOT, ROOT_PRINCIPAL, allow, openKit, throwsAws, trust, userPrincipal, type Kit } from '../identity/iam-fixture.js';
import type { Principal } from '../../../src/domain/principal.js';

let kit: Kit;
let alice: Principal;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/worker`;
beforeEach(() => {
  kit = openKit();
  kit.iam.users.create({ UserName: 'alice' });
  kit.iam.roles.create({ RoleName: 'worker', AssumeRolePolicyDocument: trust(), MaxSessionDuration: 7200 });
  alice = userPrincipal(kit.iam, 'alice');
});
afterEach(() => kit.close());

test('GetCallerIdentity: answers the caller UserId, Account and Arn', () => {
  assert.deepEqual(kit.iam.sts.getCallerIdentity(alice), { UserId: alice.userId, Account: ACCOUNT, Arn: alice.arn });
  assert.deepEqual(kit.iam.sts.getCallerIdentity(ROOT_PRINCIPAL), { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });
});

test('AssumeRole: ASIA credentials with a token and expiry; the session principal is the assumed-role ARN', () => {
  const out = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 'job-1' }, alice);
  assert.match(out.Credentials.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.equal(out.Credentials.SecretAccessKey.length, 40);
  assert.ok(out.Credentials.SessionToken.length > 100);
  assert.equal(out.Credentials.Expiration.getTime(), kit.clock.now() + 3600_000);
  const roleId = kit.iam.roles.require('worker').RoleId;
  assert.deepEqual(out.AssumedRoleUser, { AssumedRoleId: `${roleId}:job-1`, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/worker/job-1` });
  assert.equal('PackedPolicySize' in out, false);
  const c = kit.iam.credentials.lookup(out.Credentials.AccessKeyId)!;
  assert.equal(c.sessionToken, out.Credentials.SessionToken);
  assert.deepEqual(c.principal, {
    type: 'AssumedRole', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/worker/job-1`, accountId: ACCOUNT, userId: `${roleId}:job-1`,
    roleArn: ROLE, sessionName: 'job-1', tokenIssuedAt: kit.clock.now(),
  });
  assert.deepEqual(kit.iam.sts.getCallerIdentity(c.principal).Arn, out.AssumedRoleUser.Arn);
});

test('AssumeRole: a role that does not exist is AccessDenied in AWS words', () => {
  throwsAws(() => kit.iam.sts.assumeRole({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/none`, RoleSessionName: 's1' }, alice), 'AccessDeniedException',
    `User: ${alice.arn} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${ACCOUNT}:role/none`);
});

test('AssumeRole: root credentials may not assume roles', () => {
  throwsAws(() => kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1' }, ROOT_PRINCIPAL), 'AccessDeniedException', 'Roles may not be assumed by root accounts.');
});

test('AssumeRole: RoleSessionName must match [\\w+=,.@-]* (ValidationError text as AWS)', () => {
  throwsAws(() => kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 'Session1:2' }, alice), 'ValidationException',
    "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*");
});

test('AssumeRole: DurationSeconds from 900 up to the role MaxSessionDuration', () => {
  throwsAws(() => kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 899 }, alice), 'ValidationException',
    "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
  throwsAws(() => kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 7201 }, alice), 'ValidationException',
    'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
  const out = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 7200 }, alice);
  assert.equal(out.Credentials.Expiration.getTime(), kit.clock.now() + 7200_000);
});

test('AssumeRole: role chaining is limited to one hour', () => {
  const first = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1' }, alice);
  const session = kit.iam.credentials.lookup(first.Credentials.AccessKeyId)!.principal;
  throwsAws(() => kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's2', DurationSeconds: 3601 }, session), 'ValidationException', /role chaining/);
});

test('AssumeRole: a session Policy gives PackedPolicySize; a malformed one is MalformedPolicyDocument', () => {
  const out = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1', Policy: allow('s3:GetObject'), PolicyArns: [{ arn: 'arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess' }] }, alice);
  assert.ok(typeof out.PackedPolicySize === 'number' && out.PackedPolicySize > 0 && out.PackedPolicySize <= 100);
  throwsAws(() => kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1', Policy: '{"Version":"2012-10-17"}' }, alice), 'MalformedPolicyDocumentException', /./);
});

test('sessions: an expired session is still looked up with its expiry (the front door answers ExpiredToken)', () => {
  const out = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 900 }, alice);
  kit.clock.advance(901_000);
  const c = kit.iam.credentials.lookup(out.Credentials.AccessKeyId)!;
  assert.ok(c.expiresAt! < kit.clock.now());
});

test('sessions: survive a restart; sessions of a deleted role stop working', () => {
  const out = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1' }, alice);
  let iam = kit.reopen();
  assert.equal(iam.credentials.lookup(out.Credentials.AccessKeyId)!.principal.sessionName, 's1');
  iam.roles.delete({ RoleName: 'worker' });
  assert.equal(iam.credentials.lookup(out.Credentials.AccessKeyId), undefined);
  // A role re-created under the same name is another role: old sessions stay dead after restart too.
  iam.roles.create({ RoleName: 'worker', AssumeRolePolicyDocument: trust() });
  iam = kit.reopen();
  assert.equal(iam.credentials.lookup(out.Credentials.AccessKeyId), undefined);
});

test('sessions: long-expired sessions are purged from the store at start', () => {
  const out = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1', DurationSeconds: 900 }, alice);
  kit.clock.advance(2 * 24 * 3600_000);
  const iam = kit.reopen();
  assert.equal(iam.credentials.lookup(out.Credentials.AccessKeyId), undefined);
  assert.equal(iam.context.db.sessions.get(out.Credentials.AccessKeyId), undefined);
});

test('GetSessionToken: a user session acts as the user; default 12 h; 900..129600 s', () => {
  kit.iam.accessKeys.create({ UserName: 'alice' }, ROOT_PRINCIPAL);
  const key = kit.iam.credentials.lookup(kit.iam.accessKeys.list({ UserName: 'alice' }, ROOT_PRINCIPAL).AccessKeyMetadata[0]!.AccessKeyId)!;
  const out = kit.iam.sts.getSessionToken({}, key);
  assert.equal(out.Credentials.Expiration.getTime(), kit.clock.now() + 43200_000);
  const session = kit.iam.credentials.lookup(out.Credentials.AccessKeyId)!;
  assert.equal(session.principal.type, 'User');
  assert.equal(session.principal.arn, alice.arn);
  assert.equal(session.principal.userName, 'alice');
  assert.equal(session.sessionToken, out.Credentials.SessionToken);
  throwsAws(() => kit.iam.sts.getSessionToken({ DurationSeconds: 129601 }, key), 'ValidationException', /less than or equal to 129600/);
  throwsAws(() => kit.iam.sts.getSessionToken({ DurationSeconds: 100 }, key), 'ValidationException', /greater than or equal to 900/);
});

test('GetSessionToken: refused with session credentials, in AWS words', () => {
  const out = kit.iam.sts.assumeRole({ RoleArn: ROLE, RoleSessionName: 's1' }, alice);
  const session = kit.iam.credentials.lookup(out.Credentials.AccessKeyId)!;
  throwsAws(() => kit.iam.sts.getSessionToken({}, session), 'AccessDeniedException', 'Cannot call GetSessionToken with session credentials');
});

test('GetSessionToken: the root gets at most one hour', () => {
  const root = kit.iam.credentials.lookup(ROOT.accessKeyId)!;
  const out = kit.iam.sts.getSessionToken({ DurationSeconds: 7200 }, root);
  assert.equal(out.Credentials.Expiration.getTime(), kit.clock.now() + 3600_000);
  assert.equal(kit.iam.credentials.lookup(out.Credentials.AccessKeyId)!.principal.type, 'Account');
});

test('GetAccessKeyInfo: answers the account', () => {
  assert.deepEqual(kit.iam.sts.getAccessKeyInfo({ AccessKeyId: 'AKIAANYTHING0000000' }), { Account: ACCOUNT });
});

test('RoleCredentials: issueForService gives an assumed-role session visible to lookup, extendable and revocable, in memory only', () => {
  const rc = kit.iam.roleCredentials;
  const c = rc.issueForService(ROLE, 'my-function', 60_000);
  assert.equal(c.principal.arn, `arn:aws:sts::${ACCOUNT}:assumed-role/worker/my-function`);
  assert.equal(c.principal.roleArn, ROLE);
  assert.equal(c.expiresAt, kit.clock.now() + 60_000);
  assert.equal(kit.iam.credentials.lookup(c.accessKeyId)!.sessionToken, c.sessionToken);
  assert.equal(kit.iam.context.db.sessions.get(c.accessKeyId), undefined);
  kit.clock.advance(30_000);
  rc.extend(c.accessKeyId, 60_000);
  assert.equal(kit.iam.credentials.lookup(c.accessKeyId)!.expiresAt, kit.clock.now() + 60_000);
  rc.revoke(c.accessKeyId);
  assert.equal(kit.iam.credentials.lookup(c.accessKeyId), undefined);
});

test('RoleCredentials: a missing role is AccessDeniedException', () => {
  throwsAws(() => kit.iam.roleCredentials.issueForService(`arn:aws:iam::${ACCOUNT}:role/none`, 'f', 1000), 'AccessDeniedException', /role/);
});

test('RoleCredentials: a session carries exactly the role policies for the authorizer', () => {
  kit.iam.inlinePolicies.put('role', 'worker', 'invoke-b', allow('lambda:InvokeFunction'));
  const c = kit.iam.roleCredentials.issueForService(ROLE, 'fn', 60_000);
  assert.deepEqual(kit.iam.identityPolicies.identityPolicies(c.principal).identity.map((p) => p.id), ['role/worker/inline/invoke-b']);
});
