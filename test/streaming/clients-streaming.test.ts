import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { deployStreaming, Gate } from './stream-fixture.js';

/**
 * InvokeWithResponseStream from the other real clients on this machine. The Debian AWS CLI v2
 * (2.9.19, January 2023) predates the operation (added to Lambda's API in April 2023): its bundled
 * model has no InvokeWithResponseStream, which this test checks so the gap stays visible; the CLI
 * v1 leaves event-stream operations out. boto3 has it from botocore 1.29.118; Debian's is 1.29.27,
 * so the pyenv Python's boto3 (1.43) reads the stream, incrementally.
 */
const run = promisify(execFile);
const PYENV_PYTHON = '/root/.pyenv/versions/3.11.7/bin/python';
let h: Harness;
let gate: Gate;

before(async () => {
  h = await startHarness();
  gate = await new Gate().listen();
  await deployStreaming(h, 'client-streamer');
});
after(async () => {
  await gate.close();
  await h.stop();
});

const env = () => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
  AWS_DEFAULT_REGION: 'us-east-1', AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: h.endpoint, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true',
});

test('AWS CLI v2 2.9.19 has no invoke-with-response-stream (the operation is newer than it)', { skip: existsSync('/usr/bin/aws') ? false : 'no /usr/bin/aws' }, async () => {
  const r = await run('/usr/bin/aws', ['lambda', 'invoke-with-response-stream', 'help'], { env: env() }).then(() => 'ok', (e: { stderr: string }) => e.stderr);
  assert.match(r, /Invalid choice/);
});

const BOTO3 = `
import boto3, json, sys
c = boto3.client('lambda')
r = c.invoke_with_response_stream(FunctionName='client-streamer', Payload=json.dumps({'mode': 'gated', 'gate': sys.argv[1]}), LogType='Tail')
print(json.dumps({'status': r['StatusCode'], 'version': r['ExecutedVersion']}), flush=True)
for e in r['EventStream']:
    if 'PayloadChunk' in e: print(json.dumps({'chunk': e['PayloadChunk']['Payload'].decode()}), flush=True)
    if 'InvokeComplete' in e: print(json.dumps({'complete': e['InvokeComplete']}), flush=True)
`;

test('boto3: invoke_with_response_stream yields the first PayloadChunk while the function waits', { skip: existsSync(PYENV_PYTHON) ? false : `no ${PYENV_PYTHON} (boto3 >= 1.29.118)` }, async () => {
  const py = spawn(PYENV_PYTHON, ['-c', BOTO3, gate.url], { env: env() });
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const head = JSON.parse((await lines.next()).value);
  assert.deepEqual(head, { status: 200, version: '$LATEST' });
  assert.deepEqual(JSON.parse((await lines.next()).value), { chunk: 'first;' });
  await gate.reached;
  gate.open();
  assert.deepEqual(JSON.parse((await lines.next()).value), { chunk: 'second;' });
  const complete = JSON.parse((await lines.next()).value).complete;
  assert.equal(complete.ErrorCode, undefined);
  assert.match(Buffer.from(complete.LogResult, 'base64').toString(), /REPORT RequestId/);
  await new Promise((r) => py.on('close', r));
});
