import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IAMClient, CreateRoleCommand, GetRoleCommand, ListRolesCommand, AttachRolePolicyCommand, ListAttachedRolePoliciesCommand, GetUserCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { STSClient, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

/*
 * IAM and STS over the query protocol, through the unmodified clients: SDK v3, the Debian AWS CLI
 * v2 (2.9) and boto3 of two generations. Timestamps, lists, nested structures and errors must
 * parse in each of them.
 */

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';
let h: Harness;
let home: string;

before(async () => {
  h = await startHarness();
  home = mkdtempSync(join(tmpdir(), 'flint-iam-'));
});
after(async () => { await h.stop(); });

function env(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
}

test('iam clients: SDK v3 creates a role, attaches a managed policy and reads both back', async () => {
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  const created = await iam.send(new CreateRoleCommand({ RoleName: 'sdk-role', Path: '/svc/', AssumeRolePolicyDocument: trust, Description: 'made by SDK v3', Tags: [{ Key: 'k', Value: 'v' }] }));
  assert.equal(created.Role!.Arn, 'arn:aws:iam::000000000000:role/svc/sdk-role');
  assert.ok(created.Role!.CreateDate instanceof Date);
  assert.match(created.Role!.RoleId!, /^AROA[A-Z0-9]{17}$/);
  const got = await iam.send(new GetRoleCommand({ RoleName: 'sdk-role' }));
  assert.deepEqual(JSON.parse(decodeURIComponent(got.Role!.AssumeRolePolicyDocument!)), JSON.parse(trust));
  assert.equal(got.Role!.MaxSessionDuration, 3600);
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'sdk-role', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }));
  const attached = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'sdk-role' }));
  assert.deepEqual(attached.AttachedPolicies, [{ PolicyName: 'AWSLambdaBasicExecutionRole', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }]);
  const roles = await iam.send(new ListRolesCommand({ PathPrefix: '/svc/' }));
  assert.deepEqual(roles.Roles!.map((r) => r.RoleName), ['sdk-role']);
  await assert.rejects(iam.send(new GetUserCommand({ UserName: 'ghost' })), (e: unknown) => e instanceof NoSuchEntityException && e.message === 'The user with name ghost cannot be found.');
  const who = await new STSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
  assert.deepEqual({ Account: who.Account, Arn: who.Arn }, { Account: '000000000000', Arn: 'arn:aws:iam::000000000000:root' });
  iam.destroy();
});

test('iam clients: the Debian AWS CLI v2 manages users, keys and inline policies', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async () => {
  const aws = async (...args: string[]) => {
    const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', ...args], { env: env() });
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  };
  const user = await aws('iam', 'create-user', '--user-name', 'cli-user');
  assert.equal(user.User.Arn, 'arn:aws:iam::000000000000:user/cli-user');
  const key = await aws('iam', 'create-access-key', '--user-name', 'cli-user');
  assert.match(key.AccessKey.AccessKeyId, /^AKIA/);
  await aws('iam', 'put-user-policy', '--user-name', 'cli-user', '--policy-name', 'p', '--policy-document', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' }] }));
  assert.deepEqual((await aws('iam', 'list-user-policies', '--user-name', 'cli-user')).PolicyNames, ['p']);
  const doc = await aws('iam', 'get-user-policy', '--user-name', 'cli-user', '--policy-name', 'p');
  assert.equal(doc.PolicyDocument.Statement[0].Action, 'lambda:ListFunctions');
  const users = await aws('iam', 'list-users');
  assert.ok(users.Users.some((u: { UserName: string }) => u.UserName === 'cli-user'));
  await aws('iam', 'update-access-key', '--user-name', 'cli-user', '--access-key-id', key.AccessKey.AccessKeyId, '--status', 'Inactive');
  assert.equal((await aws('iam', 'list-access-keys', '--user-name', 'cli-user')).AccessKeyMetadata[0].Status, 'Inactive');
  await aws('iam', 'delete-access-key', '--user-name', 'cli-user', '--access-key-id', key.AccessKey.AccessKeyId);
  await aws('iam', 'delete-user-policy', '--user-name', 'cli-user', '--policy-name', 'p');
  await aws('iam', 'delete-user', '--user-name', 'cli-user');
  const gone = await run(AWS_CLI, ['--endpoint-url', h.endpoint, 'iam', 'get-user', '--user-name', 'cli-user'], { env: env() }).catch((e: { stderr: string }) => e);
  assert.match((gone as { stderr: string }).stderr, /NoSuchEntity/);
  const who = await aws('sts', 'get-caller-identity');
  assert.equal(who.Arn, 'arn:aws:iam::000000000000:root');
});

for (const [label, python] of [['Debian boto3', '/usr/bin/python3'], ['the newest boto3 on PATH', 'python3']] as const) {
  test(`iam clients: ${label} sets up a user in a group with managed and customer policies`, async (t) => {
    const probe = await run(python, ['-c', 'import boto3'], { env: env() }).catch(() => undefined);
    if (!probe) return t.skip(`${python} has no boto3`);
    const suffix = label.startsWith('Debian') ? 'deb' : 'new';
    const { stdout } = await run(python, [join('test', 'fixtures', 'compat', 'boto3_iam_flow.py'), h.endpoint, suffix], { env: env() });
    const out = JSON.parse(stdout);
    assert.equal(out.user_arn, `arn:aws:iam::000000000000:user/team/py-${suffix}`);
    assert.equal(out.created_is_datetime, true);
    assert.equal(out.key_status, 'Active');
    assert.equal(out.keys, 1);
    assert.deepEqual(out.groups, [`grp-${suffix}`]);
    assert.deepEqual(out.attached, ['AWSLambda_ReadOnlyAccess']);
    assert.deepEqual(out.versions, ['v1', 'v2']);
    assert.equal(out.document_is_dict, true);
    assert.deepEqual(out.missing, ['NoSuchEntity', 404]);
    assert.equal(out.caller, `arn:aws:iam::000000000000:user/team/py-${suffix}`);
    assert.equal(out.list_functions_via_group, true);
    assert.equal(out.delete, 'AccessDeniedException');
    assert.equal(out.root, 'arn:aws:iam::000000000000:root');
  });
}
