import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AddPermissionCommand, CreateFunctionUrlConfigCommand, InvokeCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';

/**
 * Every request-size limit Flint enforces answers with AWS's 413 error — read by the clients, not a
 * `write EPIPE` / `Broken pipe` — and leaves the connection usable: @aws-sdk/client-lambda, the AWS
 * CLI v2 and boto3. Limits: Invoke 6,291,456 bytes (RequestTooLargeException), Event 1,048,576
 * (checked after the body is read), other Lambda operations 1 MiB (RequestEntityTooLargeException),
 * function URLs 6 MB.
 */
const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws'; // Debian's AWS CLI v2
const DEBIAN_PYTHON = '/usr/bin/python3'; // with Debian's python3-boto3
const INVOKE_LIMIT = 6_291_456;
const INVOKE_MESSAGE = `Request must be smaller than ${INVOKE_LIMIT} bytes for the InvokeFunction operation`;
const MB = 1024 * 1024;

let h: Harness;
let dir: string;
before(async () => {
  h = await startHarness();
  dir = mkdtempSync(join(tmpdir(), 'flint-oversized-'));
  await createFunction(h.client, 'big');
});
after(async () => {
  await h.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A JSON document (a string) of exactly `bytes` bytes. */
function jsonOf(bytes: number): Buffer {
  const b = Buffer.alloc(bytes, 'x');
  b[0] = 0x22;
  b[bytes - 1] = 0x22;
  return b;
}

const SIZES: Array<[string, number]> = [['6 MB + 100 bytes', INVOKE_LIMIT + 100], ['7 MB', 7 * MB], ['20 MB', 20 * MB]];

for (const [what, bytes] of SIZES) {
  test(`oversized: @aws-sdk/client-lambda Invoke with ${what} is 413 RequestTooLargeException, and the client's next Invoke works`, async () => {
    await assert.rejects(h.client.send(new InvokeCommand({ FunctionName: 'big', Payload: jsonOf(bytes) })), (err: any) => {
      assert.equal(err.name, 'RequestTooLargeException', `${err.name}: ${err.message}`);
      assert.equal(err.$metadata.httpStatusCode, 413);
      assert.equal(err.message, INVOKE_MESSAGE);
      return true;
    });
    const ok = await h.client.send(new InvokeCommand({ FunctionName: 'big', Payload: Buffer.from('{"after":1}') }));
    assert.equal(Buffer.from(ok.Payload!).toString(), '{"after":1}');
  });
}

test('oversized: an exactly 6,291,456-byte Invoke is not refused for its size', async () => {
  const out = await h.client.send(new InvokeCommand({ FunctionName: 'big', Payload: jsonOf(INVOKE_LIMIT) }));
  assert.equal(out.StatusCode, 200);
});

test('oversized: @aws-sdk/client-lambda Event Invoke over 1 MB is 413 RequestTooLargeException', async () => {
  await assert.rejects(h.client.send(new InvokeCommand({ FunctionName: 'big', InvocationType: 'Event', Payload: jsonOf(MB + 100) })), (err: any) => {
    assert.equal(err.name, 'RequestTooLargeException');
    assert.equal(err.$metadata.httpStatusCode, 413);
    assert.equal(err.message, 'Request must be smaller than 1048576 bytes for the InvokeFunction operation');
    return true;
  });
});

test('oversized: a Lambda control-plane request over 1 MiB (UpdateFunctionConfiguration) is 413 RequestEntityTooLargeException', async () => {
  await assert.rejects(h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'big', Description: 'd'.repeat(3 * MB) })), (err: any) => {
    assert.equal(err.name, 'RequestEntityTooLargeException', `${err.name}: ${err.message}`);
    assert.equal(err.$metadata.httpStatusCode, 413);
    assert.equal(err.message, 'Request must be smaller than 1048576 bytes for the UpdateFunctionConfiguration operation');
    return true;
  });
});

test('oversized: a function URL request over 6 MB (7 MB, fetch) is 413 with the URL\'s message', async () => {
  const { FunctionUrl } = await h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'big', AuthType: 'NONE' }));
  await h.client.send(new AddPermissionCommand({ FunctionName: 'big', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
  const id = new URL(FunctionUrl!).hostname.split('.')[0]!;
  const r = await fetch(`${h.endpoint}/lambda-url/${id}/`, { method: 'POST', body: new Uint8Array(jsonOf(7 * MB)) });
  assert.equal(r.status, 413);
  assert.deepEqual(await r.json(), { Message: 'Request must be smaller than 6291456 bytes for the InvokeFunctionUrl operation' });
});

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'], HOME: dir, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: h.endpoint, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true',
    // One attempt: a retried EPIPE would hide the failure this test is about.
    AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard',
  };
}

for (const [what, bytes] of SIZES) {
  test(`oversized: the AWS CLI v2 (lambda invoke --payload fileb://, ${what}) reports RequestTooLargeException`, { skip: !existsSync(AWS_CLI) && `${AWS_CLI} is not installed` }, async () => {
    const file = join(dir, `cli-${bytes}.json`);
    writeFileSync(file, jsonOf(bytes));
    const r = await run(AWS_CLI, ['--endpoint-url', h.endpoint, 'lambda', 'invoke', '--function-name', 'big', '--payload', `fileb://${file}`, join(dir, 'out.json')], { env: env(), maxBuffer: 16 * MB })
      .then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`An error occurred \\(RequestTooLargeException\\) when calling the Invoke operation( \\(reached max retries: 0\\))?: ${INVOKE_MESSAGE}`), r.stderr);
  });
}

test('oversized: boto3 Invoke with 6 MB + 100 bytes, 7 MB and 20 MB gets ClientError RequestTooLargeException 413; then an Invoke on the same client works', async (t) => {
  const probe = await run(DEBIAN_PYTHON, ['-c', 'import boto3'], { env: env() }).catch(() => undefined);
  if (!probe) return t.skip(`${DEBIAN_PYTHON} has no boto3 (Debian package python3-boto3)`);
  const { stdout } = await run(DEBIAN_PYTHON, ['-c', [
    'import boto3, json, os',
    'from botocore.config import Config',
    'from botocore.exceptions import ClientError',
    'c = boto3.client("lambda", endpoint_url=os.environ["AWS_ENDPOINT_URL"], config=Config(retries={"max_attempts": 0}))',
    'out = []',
    `for n in ${JSON.stringify(SIZES.map(([, b]) => b))}:`,
    '    try:',
    '        c.invoke(FunctionName="big", Payload=b"\\"" + b"x" * (n - 2) + b"\\"")',
    '        out.append({"n": n, "ok": True})',
    '    except ClientError as e:',
    '        out.append({"n": n, "code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"], "status": e.response["ResponseMetadata"]["HTTPStatusCode"]})',
    '    except Exception as e:',
    '        out.append({"n": n, "other": repr(e)})',
    'r = c.invoke(FunctionName="big", Payload=b"{\\"after\\":2}")',
    'out.append({"after": r["Payload"].read().decode()})',
    'print(json.dumps(out))',
  ].join('\n')], { env: env(), maxBuffer: 16 * MB });
  const out = JSON.parse(stdout);
  for (const [i, [, n]] of SIZES.entries()) assert.deepEqual(out[i], { n, code: 'RequestTooLargeException', message: INVOKE_MESSAGE, status: 413 });
  assert.deepEqual(out[SIZES.length], { after: '{"after":2}' });
});
