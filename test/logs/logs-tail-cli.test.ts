import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { waitSettled } from '../helpers/functions.js';
import { until } from '../helpers/until.js';

/** The Debian AWS CLI v2 (2.9.19): `aws logs tail` polls FilterLogEvents (every 5 s with --follow). */
const AWS_CLI = '/usr/bin/aws';
const skip = !existsSync(AWS_CLI) && 'no /usr/bin/aws';
let h: Harness;
let home: string;
const env = () => ({ PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '',
  // Python block-buffers a pipe; a terminal (what a user watches) gets each line at once.
  PYTHONUNBUFFERED: '1' });

before(async () => {
  h = await startHarness();
  home = mkdtempSync(join(tmpdir(), 'flint-tail-'));
  const zip = await makeZip({ 'index.js': "exports.handler = async (e) => { console.log('tail me ' + e.n); return e.n; };" });
  await h.client.send(new CreateFunctionCommand({ FunctionName: 'tailed', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip } }));
  await waitSettled(h.client, 'tailed');
});
after(async () => {
  await h.stop();
  rmSync(home, { recursive: true, force: true });
});

test("logs tail: `aws logs tail --follow` shows a function's lines and REPORT lines live", { skip }, async () => {
  const proc = spawn(AWS_CLI, ['--endpoint-url', h.endpoint, 'logs', 'tail', '/aws/lambda/tailed', '--follow', '--format', 'short'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  try {
    await h.client.send(new InvokeCommand({ FunctionName: 'tailed', Payload: Buffer.from('{"n":1}') }));
    await until(() => /tail me 1/.test(out) && /REPORT RequestId: /.test(out), 20_000, 100).catch(() => assert.fail(`not shown: stdout=${out} stderr=${err}`));
    // A line written after the tail started arrives on a later poll, once.
    const r = await h.client.send(new InvokeCommand({ FunctionName: 'tailed', Payload: Buffer.from('{"n":2}') }));
    await until(() => out.includes(`REPORT RequestId: ${r.$metadata.requestId}`), 20_000, 100).catch(() => assert.fail(`not shown: stdout=${out} stderr=${err}`));
    assert.equal(out.match(/tail me 1/g)?.length, 1, 'no event printed twice');
  } finally {
    proc.kill('SIGTERM');
  }
});

test('logs tail: --filter-pattern and --since select events', { skip }, async () => {
  const { stdout } = await promisify(execFile)(AWS_CLI, ['--endpoint-url', h.endpoint, 'logs', 'tail', '/aws/lambda/tailed', '--since', '1h', '--filter-pattern', 'REPORT'], { env: env() });
  const lines = stdout.trim().split('\n');
  assert.ok(lines.length >= 1 && lines.every((l) => l.includes('REPORT RequestId: ')), stdout);
  const none = await promisify(execFile)(AWS_CLI, ['--endpoint-url', h.endpoint, 'logs', 'tail', '/aws/lambda/tailed', '--since', '1h', '--filter-pattern', '"no such text"'], { env: env() });
  assert.equal(none.stdout.trim(), '');
});

test('logs tail: `flint logs <fn> --follow` prints new lines live through the logs API', async () => {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'logs', 'tailed', '--follow', '--data-dir', h.dataDir], {
    env: { ...process.env, FLINT_ENDPOINT: h.endpoint, FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  try {
    await until(() => /tail me 1/.test(out), 20_000, 100).catch(() => assert.fail(`old lines not shown: stdout=${out} stderr=${err}`));
    const r = await h.client.send(new InvokeCommand({ FunctionName: 'tailed', Payload: Buffer.from('{"n":3}') }));
    await until(() => out.includes(`REPORT RequestId: ${r.$metadata.requestId}`), 20_000, 100).catch(() => assert.fail(`not shown: stdout=${out} stderr=${err}`));
    assert.equal(out.match(/tail me 3/g)?.length, 1, 'no event printed twice');
  } finally {
    proc.kill('SIGINT');
  }
});
