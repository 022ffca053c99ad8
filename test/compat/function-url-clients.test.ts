import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws'; // Debian's AWS CLI v2
const DEBIAN_PYTHON = '/usr/bin/python3'; // with Debian's python3-boto3
let h: Harness;
let home: string;

before(async () => {
  h = await startHarness();
  home = mkdtempSync(join(tmpdir(), 'flint-url-compat-'));
  await createFunction(h.client, 'cli-url');
  await createFunction(h.client, 'boto-url');
});
after(async () => { await h.stop(); });

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: h.endpoint, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true',
  };
}

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', 'lambda', ...args], { env: env() });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

test('compat: the AWS CLI v2 manages a function URL (create, add-permission --function-url-auth-type, get, list, update, delete) and curl reaches it', { skip: !existsSync(AWS_CLI) && `${AWS_CLI} is not installed` }, async () => {
  const created = await aws('create-function-url-config', '--function-name', 'cli-url', '--auth-type', 'NONE', '--cors', 'AllowOrigins=*,MaxAge=5');
  assert.match(created.FunctionUrl, /^http:\/\/[a-z0-9]{32}\.lambda-url\.us-east-1\.localhost:\d+\/$/);
  assert.deepEqual(created.Cors, { AllowOrigins: ['*'], MaxAge: 5 });
  await aws('add-permission', '--function-name', 'cli-url', '--statement-id', 'url', '--action', 'lambda:InvokeFunctionUrl', '--principal', '*', '--function-url-auth-type', 'NONE');
  const u = new URL(created.FunctionUrl);
  const { stdout } = await run('curl', ['-sS', '--fail', '--resolve', `${u.hostname}:${u.port}:127.0.0.1`, `${created.FunctionUrl}cli?x=1`]);
  assert.equal(JSON.parse(stdout).queryStringParameters.x, '1');
  // (CLI 2.9's model predates InvokeMode: it shows the rest.)
  assert.equal((await aws('get-function-url-config', '--function-name', 'cli-url')).FunctionUrl, created.FunctionUrl);
  assert.equal((await aws('list-function-url-configs', '--function-name', 'cli-url')).FunctionUrlConfigs.length, 1);
  assert.equal((await aws('update-function-url-config', '--function-name', 'cli-url', '--auth-type', 'AWS_IAM')).AuthType, 'AWS_IAM');
  await aws('delete-function-url-config', '--function-name', 'cli-url');
  await assert.rejects(aws('get-function-url-config', '--function-name', 'cli-url'), /ResourceNotFoundException/);
});

test('compat: boto3 creates an AWS_IAM URL; botocore\'s SigV4Auth-signed request reaches the function, the unsigned one is 403', async (t) => {
  const probe = await run(DEBIAN_PYTHON, ['-c', 'import boto3'], { env: env() }).catch(() => undefined);
  if (!probe) return t.skip(`${DEBIAN_PYTHON} has no boto3 (Debian package python3-boto3)`);
  const { stdout: created } = await run(DEBIAN_PYTHON, ['-c', [
    'import boto3, json, os',
    'c = boto3.client("lambda", endpoint_url=os.environ["AWS_ENDPOINT_URL"])',
    'print(c.create_function_url_config(FunctionName="boto-url", AuthType="AWS_IAM")["FunctionUrl"])',
  ].join('\n')], { env: env() });
  const url = created.trim();
  const { stdout } = await run(DEBIAN_PYTHON, [join('test', 'fixtures', 'compat', 'function_url_sigv4.py'), url, '/signed/path?a=b'], { env: env() });
  const out = JSON.parse(stdout);
  assert.equal(out.signed.status, 200, out.signed.body);
  const event = JSON.parse(out.signed.body);
  assert.equal(event.rawPath, '/signed/path');
  assert.equal(event.body, '{"from":"boto"}');
  assert.equal(event.requestContext.authorizer.iam.accessKey, TEST_CREDENTIALS.accessKeyId);
  assert.equal(out.unsigned.status, 403);
});
