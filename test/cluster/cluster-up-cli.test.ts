import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faultSkipReason, flintArgv, notWiredReason } from './fault/harness.js';
import { makeZip } from '../helpers/zip.js';

/**
 * The "done when": `flint cluster up` runs a working cluster on this machine that the AWS
 * CLI uses like single-node Flint, and Ctrl-C removes it all.
 */
const AWS = '/usr/bin/aws';
const skip = faultSkipReason() ?? (existsSync(AWS) ? undefined : 'the AWS CLI v2 is not at /usr/bin/aws');
const dir = mkdtempSync(join(tmpdir(), 'flint-cluster-up-'));
let up: ChildProcess | undefined;
after(async () => {
  // Only what this test started: a crashed run's leftovers go with `flint cluster down`.
  if (up && up.exitCode === null && up.signalCode === null) {
    up.kill('SIGKILL');
    spawnSync(flintArgv()[0]!, [...flintArgv().slice(1), 'cluster', 'down']);
  }
  rmSync(dir, { recursive: true, force: true });
});

test('flint cluster up: PostgreSQL and nodes in namespaces; the AWS CLI creates and invokes a function through the printed env, and uses one SQS queue through both api nodes; Ctrl-C removes everything', { skip, timeout: 280_000 }, async (t) => {
  const [node, ...flint] = flintArgv();
  up = spawn(node!, [...flint, 'cluster', 'up', '--workers', '2', '--pollers', '1', '--dir', join(dir, 'c')], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLINT_SANDBOX: 'process' },
  });
  let out = '';
  up.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  up.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "cluster up" within 250 s:\n${out}`)), 250_000);
      const check = () => { if (/Ctrl-C stops/.test(out)) { clearTimeout(timer); resolve(); } };
      up!.stdout!.on('data', check);
      up!.once('exit', (c) => { clearTimeout(timer); reject(new Error(`cluster up exited ${c}:\n${out}`)); });
    });
  } catch (err) {
    // A build without the roles: skip with its own words (anything else fails the test).
    const reason = notWiredReason(err);
    if (!reason) throw err;
    t.skip(reason);
    return;
  }
  assert.match(out, /api1 +api +http:\/\/10\.213\.\d+\.\d+:9000/);
  assert.match(out, /w2 +worker/);
  const evalLine = /eval "\$\((.+)\)"/.exec(out)![1]!;
  // The printed `flint env` line gives the AWS CLI its credentials, region and endpoint.
  const envText = execFileSync('sh', ['-c', evalLine.replace(/^flint /, `${flintArgv().join(' ')} `)]).toString();
  const env: Record<string, string> = { ...process.env } as Record<string, string>;
  for (const m of envText.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]!] = m[2]!;
  const aws = (args: string[]) => execFileSync(AWS, ['--endpoint-url', env['AWS_ENDPOINT_URL']!, '--output', 'json', ...args], { env, cwd: dir }).toString();
  const zip = join(dir, 'fn.zip');
  writeFileSync(zip, await makeZip({ 'index.js': 'exports.handler = async (e) => ({ hello: e.name });' }));
  aws(['lambda', 'create-function', '--function-name', 'hello', '--runtime', 'nodejs20.x', '--handler', 'index.handler', '--role', 'arn:aws:iam::000000000000:role/lambda-role', '--zip-file', `fileb://${zip}`]);
  aws(['lambda', 'wait', 'function-active-v2', '--function-name', 'hello']);
  aws(['lambda', 'invoke', '--function-name', 'hello', '--cli-binary-format', 'raw-in-base64-out', '--payload', '{"name":"Ada"}', join(dir, 'out.json')]);
  assert.equal(execFileSync('cat', [join(dir, 'out.json')]).toString(), '{"hello":"Ada"}');
  assert.match(aws(['lambda', 'list-functions']), /"FunctionName": "hello"/);
  // SQS through both api nodes: one of them leads and serves the queues, the other forwards.
  const api2 = /api2 +api +(http:\/\/\S+)/.exec(out)![1]!;
  const queueUrl = (JSON.parse(aws(['sqs', 'create-queue', '--queue-name', 'orders'])) as { QueueUrl: string }).QueueUrl;
  const viaApi2 = (args: string[]) => execFileSync(AWS, ['--endpoint-url', api2, '--output', 'json', ...args], { env, cwd: dir }).toString();
  const sent = JSON.parse(viaApi2(['sqs', 'send-message', '--queue-url', queueUrl, '--message-body', 'hello cluster'])) as { MessageId: string };
  const got = JSON.parse(aws(['sqs', 'receive-message', '--queue-url', queueUrl, '--wait-time-seconds', '5'])) as { Messages: Array<{ MessageId: string; Body: string }> };
  assert.deepEqual(got.Messages.map((m) => [m.MessageId, m.Body]), [[sent.MessageId, 'hello cluster']]);

  const exited = new Promise((r) => up!.once('exit', r));
  up.kill('SIGINT');
  await exited;
  assert.equal(up.exitCode, 0, out);
  assert.doesNotMatch(execFileSync('ip', ['netns', 'list']).toString(), /^flc-/m, 'Ctrl-C removed every namespace');
});
