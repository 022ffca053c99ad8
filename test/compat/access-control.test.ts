import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { performance } from 'node:perf_hooks';
import { IAMClient, GetAccessKeyLastUsedCommand, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand, CreateRoleCommand, PutRolePolicyCommand, DeleteAccessKeyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { LambdaClient, InvokeCommand, ListFunctionsCommand, AddPermissionCommand, CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

/*
 * Issue 8's scenarios end to end, through the unmodified clients: SDK v3 (IAM, STS, Lambda), the
 * Debian AWS CLI v2 and boto3. Root sets up users, roles and policies over the IAM API; the other
 * identities then get exactly what their policies say.
 */

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';
const DEBIAN_PYTHON = '/usr/bin/python3';
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const fnArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

let h: Harness;
let iam: IAMClient;
let home: string;
let invoker: { accessKeyId: string; secretAccessKey: string };

const trustLambda = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });

async function newUser(name: string, policy?: object): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(policy) }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
}

function lambdaAs(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): LambdaClient {
  return new LambdaClient({ endpoint: h.endpoint, region: REGION, credentials, maxAttempts: 1 });
}

function env(c: { accessKeyId: string; secretAccessKey: string }): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: c.accessKeyId, AWS_SECRET_ACCESS_KEY: c.secretAccessKey, AWS_DEFAULT_REGION: REGION, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
}

before(async () => {
  h = await startHarness();
  home = mkdtempSync(join(tmpdir(), 'flint-access-'));
  iam = new IAMClient({ endpoint: h.endpoint, region: REGION, credentials: h.client.config.credentials, maxAttempts: 1 });
  await createFunction(h.client, 'fn-b');
  await createFunction(h.client, 'fn-c');
  invoker = await newUser('invoker-b', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('fn-b') }] });
});
after(async () => {
  iam.destroy();
  await h.stop();
});

test('access: a user allowed only lambda:InvokeFunction on B invokes B (SDK v3)', async () => {
  const out = await lambdaAs(invoker).send(new InvokeCommand({ FunctionName: 'fn-b', Payload: Buffer.from('{"x":1}') }));
  assert.equal(out.StatusCode, 200);
  assert.equal(Buffer.from(out.Payload!).toString(), '{"x":1}');
});

test('access: the same user is denied C and ListFunctions with AWS\'s AccessDeniedException text', async () => {
  const client = lambdaAs(invoker);
  await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'fn-c' })), (e: any) => {
    assert.equal(e.name, 'AccessDeniedException');
    assert.equal(e.$metadata.httpStatusCode, 403);
    assert.equal(e.message, `User: arn:aws:iam::${ACCOUNT}:user/invoker-b is not authorized to perform: lambda:InvokeFunction on resource: ${fnArn('fn-c')} because no identity-based policy allows the lambda:InvokeFunction action`);
    return true;
  });
  await assert.rejects(client.send(new ListFunctionsCommand({})), (e: any) => e.name === 'AccessDeniedException' && /lambda:ListFunctions on resource: \*/.test(e.message));
});

test('access: the AWS CLI v2 with the user\'s keys invokes B and is refused C', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async () => {
  const outFile = join(home, 'out.json');
  await run(AWS_CLI, ['--endpoint-url', h.endpoint, 'lambda', 'invoke', '--function-name', 'fn-b', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"cli":true}', outFile], { env: env(invoker) });
  const denied = await run(AWS_CLI, ['--endpoint-url', h.endpoint, 'lambda', 'invoke', '--function-name', 'fn-c', outFile], { env: env(invoker) }).catch((e: { stderr: string }) => e);
  assert.match((denied as { stderr: string }).stderr, /AccessDeniedException.*not authorized to perform: lambda:InvokeFunction/s);
  const who = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', 'sts', 'get-caller-identity'], { env: env(invoker) });
  assert.equal(JSON.parse(who.stdout).Arn, `arn:aws:iam::${ACCOUNT}:user/invoker-b`);
});

test('access: boto3 (Debian 1.26) with the user\'s keys invokes B and gets AccessDenied on C', { skip: !existsSync(DEBIAN_PYTHON) && 'no /usr/bin/python3' }, async (t) => {
  const script = `
import boto3, json, sys
from botocore.exceptions import ClientError
c = boto3.client('lambda', endpoint_url=sys.argv[1], region_name='us-east-1')
ok = json.loads(c.invoke(FunctionName='fn-b', Payload=b'{"py":1}')['Payload'].read())
try:
    c.invoke(FunctionName='fn-c'); denied = None
except ClientError as e:
    denied = e.response['Error']['Code']
s = boto3.client('sts', endpoint_url=sys.argv[1], region_name='us-east-1')
print(json.dumps({'ok': ok, 'denied': denied, 'arn': s.get_caller_identity()['Arn']}))
`;
  const probe = await run(DEBIAN_PYTHON, ['-c', 'import boto3'], { env: env(invoker) }).catch(() => undefined);
  if (!probe) return t.skip('no boto3 under /usr/bin/python3 (python3-boto3)');
  const { stdout } = await run(DEBIAN_PYTHON, ['-c', script, h.endpoint], { env: env(invoker) });
  assert.deepEqual(JSON.parse(stdout), { ok: { py: 1 }, denied: 'AccessDeniedException', arn: `arn:aws:iam::${ACCOUNT}:user/invoker-b` });
});

test('access: AddPermission lets a second user invoke what its own policies do not allow', async () => {
  const second = await newUser('second-user');
  const client = lambdaAs(second);
  await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'fn-c' })), (e: any) => e.name === 'AccessDeniedException');
  await h.client.send(new AddPermissionCommand({ FunctionName: 'fn-c', StatementId: 'second', Action: 'lambda:InvokeFunction', Principal: `arn:aws:iam::${ACCOUNT}:user/second-user` }));
  const out = await client.send(new InvokeCommand({ FunctionName: 'fn-c', Payload: Buffer.from('{"y":2}') }));
  assert.equal(out.StatusCode, 200);
  // The grant is for InvokeFunction on fn-c only.
  await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'fn-b' })), (e: any) => e.name === 'AccessDeniedException');
});

test('access: CreateFunction refuses a role that does not trust Lambda, and one that does not exist', async () => {
  await iam.send(new CreateRoleCommand({ RoleName: 'ec2-only', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }));
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
  for (const role of [`arn:aws:iam::${ACCOUNT}:role/ec2-only`, `arn:aws:iam::${ACCOUNT}:role/no-such-role`]) {
    await assert.rejects(
      h.client.send(new CreateFunctionCommand({ FunctionName: 'untrusted', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: role, Code: { ZipFile: zip } })),
      (e: any) => e.name === 'InvalidParameterValueException' && e.message === 'The role defined for the function cannot be assumed by Lambda.',
    );
  }
});

test('access: CreateFunction needs iam:PassRole on the execution role', async () => {
  const deployer = await newUser('deployer', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:CreateFunction', Resource: '*' }] });
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
  await assert.rejects(
    lambdaAs(deployer).send(new CreateFunctionCommand({ FunctionName: 'by-deployer', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: TEST_ROLE, Code: { ZipFile: zip } })),
    (e: any) => e.name === 'AccessDeniedException' && e.message.includes(`not authorized to perform: iam:PassRole on resource: ${TEST_ROLE}`),
  );
});

test('access: assumed-role sessions carry the role\'s permissions; forged, revoked and expired tokens are refused', async () => {
  await iam.send(new CreateRoleCommand({ RoleName: 'invoke-b', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] }) }));
  await iam.send(new PutRolePolicyCommand({ RoleName: 'invoke-b', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('fn-b') }] }) }));
  // Root may not assume roles (AWS: "Roles may not be assumed by root accounts"): a user does, with
  // an identity policy allowing it — the trust policy names only the account.
  const assumer = await newUser('assumer', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `arn:aws:iam::${ACCOUNT}:role/invoke-b` }] });
  const sts = new STSClient({ endpoint: h.endpoint, region: REGION, credentials: assumer, maxAttempts: 1 });
  const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/invoke-b`, RoleSessionName: 'e2e', DurationSeconds: 900 }));
  const c = assumed.Credentials!;
  const session = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  const who = await new STSClient({ endpoint: h.endpoint, region: REGION, credentials: session, maxAttempts: 1 }).send(new GetCallerIdentityCommand({}));
  assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/invoke-b/e2e`);
  assert.equal((await lambdaAs(session).send(new InvokeCommand({ FunctionName: 'fn-b' }))).StatusCode, 200);
  await assert.rejects(lambdaAs(session).send(new InvokeCommand({ FunctionName: 'fn-c' })), (e: any) => e.name === 'AccessDeniedException' && e.message.startsWith(`User: arn:aws:sts::${ACCOUNT}:assumed-role/invoke-b/e2e is not authorized`));
  // A forged token: same key id, another token.
  await assert.rejects(lambdaAs({ ...session, sessionToken: 'forged' + session.sessionToken.slice(6) }).send(new InvokeCommand({ FunctionName: 'fn-b' })), (e: any) => e.name === 'UnrecognizedClientException');
  // Without any token.
  await assert.rejects(lambdaAs({ accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey }).send(new InvokeCommand({ FunctionName: 'fn-b' })), (e: any) => e.name === 'UnrecognizedClientException');
  sts.destroy();
});

test('access: an expired session token is refused with ExpiredTokenException', async () => {
  // A second Flint whose clock the test moves: the session is issued now and used 16 minutes later.
  let skew = 0;
  const h2 = await startHarness({}, { clock: { now: () => Date.now() + skew, monotonic: () => performance.now() } });
  try {
    const iam2 = new IAMClient({ endpoint: h2.endpoint, region: REGION, credentials: h2.client.config.credentials, maxAttempts: 1 });
    await iam2.send(new CreateRoleCommand({ RoleName: 'short', AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'sts:AssumeRole' }] }) }));
    await iam2.send(new PutRolePolicyCommand({ RoleName: 'short', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:ListFunctions', Resource: '*' }] }) }));
    await iam2.send(new CreateUserCommand({ UserName: 'assumer' }));
    await iam2.send(new PutUserPolicyCommand({ UserName: 'assumer', PolicyName: 'p', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }) }));
    const key = (await iam2.send(new CreateAccessKeyCommand({ UserName: 'assumer' }))).AccessKey!;
    const sts = new STSClient({ endpoint: h2.endpoint, region: REGION, credentials: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, maxAttempts: 1 });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/short`, RoleSessionName: 'soon-gone', DurationSeconds: 900 }))).Credentials!;
    const session = new LambdaClient({ endpoint: h2.endpoint, region: REGION, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }, maxAttempts: 1 });
    await session.send(new ListFunctionsCommand({}));
    // Flint's clock moves 16 min ahead, past the 900 s session; the client signs with the same
    // offset so that only the token, not the signature's timestamp, is out of date.
    skew = 16 * 60_000;
    const late = new LambdaClient({ endpoint: h2.endpoint, region: REGION, credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }, maxAttempts: 1, systemClockOffset: skew });
    await assert.rejects(late.send(new ListFunctionsCommand({})), (e: any) => e.name === 'ExpiredTokenException' && e.$metadata.httpStatusCode === 403);
    iam2.destroy(); sts.destroy(); session.destroy(); late.destroy();
  } finally {
    await h2.stop();
  }
});

test('access: a deactivated or deleted access key no longer signs anything', async () => {
  const temp = await newUser('temp-user', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] });
  assert.equal((await lambdaAs(temp).send(new InvokeCommand({ FunctionName: 'fn-b' }))).StatusCode, 200);
  await iam.send(new UpdateAccessKeyCommand({ UserName: 'temp-user', AccessKeyId: temp.accessKeyId, Status: 'Inactive' }));
  await assert.rejects(lambdaAs(temp).send(new InvokeCommand({ FunctionName: 'fn-b' })), (e: any) => e.name === 'UnrecognizedClientException');
  await iam.send(new DeleteAccessKeyCommand({ UserName: 'temp-user', AccessKeyId: temp.accessKeyId }));
  await assert.rejects(lambdaAs(temp).send(new InvokeCommand({ FunctionName: 'fn-b' })), (e: any) => e.name === 'UnrecognizedClientException');
});

test('access: a denied call appears in the audit trail with its principal and error', async () => {
  await assert.rejects(lambdaAs(invoker).send(new InvokeCommand({ FunctionName: 'fn-c' })));
  const denied = h.app.audit.list({ limit: 10_000 }).filter((e) => e.errorType === 'AccessDeniedException' && e.principal === `arn:aws:iam::${ACCOUNT}:user/invoker-b` && e.operation === 'Invoke');
  assert.ok(denied.length >= 1);
  assert.equal(denied.at(-1)!.status, 403);
  assert.equal(denied.at(-1)!.service, 'lambda');
});

test('access: GetAccessKeyLastUsed reports when and where a user\'s key last signed a request', async () => {
  await lambdaAs(invoker).send(new InvokeCommand({ FunctionName: 'fn-b' }));
  const used = await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: invoker.accessKeyId }));
  assert.equal(used.UserName, 'invoker-b');
  assert.equal(used.AccessKeyLastUsed?.ServiceName, 'lambda');
  assert.equal(used.AccessKeyLastUsed?.Region, 'us-east-1');
  assert.ok(used.AccessKeyLastUsed?.LastUsedDate instanceof Date);
});
