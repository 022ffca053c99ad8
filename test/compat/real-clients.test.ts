import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws'; // Debian's AWS CLI v2 (the first `aws` on PATH may be a pyenv v1)
const DEBIAN_PYTHON = '/usr/bin/python3'; // with Debian's python3-boto3 (1.26)

let h: Harness;
let dir: string;
let zipPath: string;

before(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'flint-compat-'));
  zipPath = join(dir, 'function.zip');
  writeFileSync(zipPath, await makeZip({ 'app.py': 'def handler(event, context):\n    return event\n' }));
});
after(async () => { await h.stop(); });

function clientEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    HOME: dir,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: h.endpoint,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

async function aws(...args: string[]): Promise<any> {
  const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', 'lambda', ...args], { env: clientEnv() });
  return stdout.trim() ? JSON.parse(stdout) : undefined;
}

test('compat: the AWS CLI v2 runs the first-day control-plane flow unmodified', { skip: !existsSync(AWS_CLI) && `${AWS_CLI} is not installed (Debian package awscli)` }, async () => {
  const name = 'cli-flow';
  const created = await aws('create-function', '--function-name', name, '--runtime', 'python3.11', '--handler', 'app.handler',
    '--role', 'arn:aws:iam::000000000000:role/lambda-role', '--zip-file', `fileb://${zipPath}`);
  assert.equal(created.FunctionArn, `arn:aws:lambda:us-east-1:000000000000:function:${name}`);
  await run(AWS_CLI, ['--endpoint-url', h.endpoint, 'lambda', 'wait', 'function-active-v2', '--function-name', name], { env: clientEnv() });
  const listed = await aws('list-functions');
  assert.ok(listed.Functions.some((f: any) => f.FunctionName === name));
  const got = await aws('get-function', '--function-name', name);
  assert.equal(got.Configuration.State, 'Active');
  assert.match(got.Code.Location, /^http:\/\/127\.0\.0\.1:\d+\//);
  const updated = await aws('update-function-code', '--function-name', name, '--zip-file', `fileb://${zipPath}`);
  assert.equal(updated.CodeSha256, created.CodeSha256);
  await run(AWS_CLI, ['--endpoint-url', h.endpoint, 'lambda', 'wait', 'function-updated-v2', '--function-name', name], { env: clientEnv() });
  const version = await aws('publish-version', '--function-name', name);
  assert.equal(version.Version, '1');
  const alias = await aws('create-alias', '--function-name', name, '--name', 'live', '--function-version', '1');
  assert.equal(alias.AliasArn, `arn:aws:lambda:us-east-1:000000000000:function:${name}:live`);
  const layer = await aws('publish-layer-version', '--layer-name', 'cli-layer', '--zip-file', `fileb://${zipPath}`, '--compatible-runtimes', 'python3.11');
  assert.equal(layer.Version, 1);
  const perm = await aws('add-permission', '--function-name', name, '--statement-id', 'sns', '--action', 'lambda:InvokeFunction', '--principal', 'sns.amazonaws.com');
  assert.equal(JSON.parse(perm.Statement).Sid, 'sns');
  const policy = await aws('get-policy', '--function-name', name);
  assert.equal(JSON.parse(policy.Policy).Statement[0].Principal.Service, 'sns.amazonaws.com');
  await aws('tag-resource', '--resource', created.FunctionArn, '--tags', 'team=flint');
  assert.deepEqual((await aws('list-tags', '--resource', created.FunctionArn)).Tags, { team: 'flint' });
  const conc = await aws('put-function-concurrency', '--function-name', name, '--reserved-concurrent-executions', '7');
  assert.equal(conc.ReservedConcurrentExecutions, 7);
  await aws('delete-function', '--function-name', name);
  await assert.rejects(aws('get-function', '--function-name', name), /ResourceNotFoundException/);
});

for (const [label, python] of [['Debian boto3', DEBIAN_PYTHON], ['the newest boto3 on PATH', 'python3']] as const) {
  test(`compat: ${label} runs the same flow unmodified`, async (t) => {
    const probe = await run(python, ['-c', 'import boto3; print(boto3.__version__)'], { env: clientEnv() }).catch(() => undefined);
    if (!probe) return t.skip(`${python} has no boto3 (Debian package python3-boto3)`);
    const name = `boto-${label.startsWith('Debian') ? 'deb' : 'new'}`;
    const { stdout } = await run(python, [join('test', 'fixtures', 'compat', 'boto3_flow.py'), h.endpoint, zipPath, name], { env: clientEnv() });
    const out = JSON.parse(stdout);
    assert.equal(out.create, `arn:aws:lambda:us-east-1:000000000000:function:${name}`);
    assert.ok(out.list.includes(name));
    assert.equal(out.get, 'Active');
    assert.equal(out.publish, '1');
    assert.equal(out.layer, 1);
    assert.equal(out.policy, 's3');
    assert.deepEqual(out.tags, { team: 'flint' });
    assert.equal(out.concurrency, 5);
    assert.equal(out.after_delete, 'ResourceNotFoundException');
  });
}
