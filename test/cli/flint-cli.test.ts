import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const MAIN = resolve('src/cli/main.ts');
const TSX = ['--import', 'tsx'];

let dataDir: string;
let server: ChildProcess;
let endpoint: string;
let firstOutput = '';

function flint(...args: string[]) {
  return run(process.execPath, [...TSX, MAIN, ...args, '--data-dir', dataDir], { env: { ...process.env, FLINT_ENDPOINT: endpoint }, cwd: resolve('.') });
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flint-cli-'));
  server = spawn(process.execPath, [...TSX, MAIN, 'server', '--port', '0', '--data-dir', dataDir], { env: { ...process.env, FLINT_SANDBOX: 'process' }, stdio: ['ignore', 'pipe', 'pipe'] });
  endpoint = await new Promise<string>((resolveEndpoint, reject) => {
    server.stdout!.on('data', (c: Buffer) => {
      firstOutput += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(firstOutput);
      if (m) resolveEndpoint(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}: ${firstOutput}`)));
  });
});

after(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

test('cli: first start generates root credentials, saves them 0600 and prints where they are, never the secret', () => {
  assert.match(firstOutput, /generated root credentials AKIA[A-Z2-7]{16}; the secret is in .*credentials\.json \(mode 0600\): `flint env --data-dir .*` prints it/);
  const { secretAccessKey } = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { secretAccessKey: string };
  assert.ok(!firstOutput.includes(secretAccessKey), 'the secret is not in the server output');
  assert.equal(statSync(join(dataDir, 'credentials.json')).mode & 0o777, 0o600);
});

test('cli: the data directory is private: 0700, the database 0600', () => {
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dataDir, 'flint.db')).mode & 0o077, 0);
});

test('cli: flint keys rotate --wait re-wraps through the running server and flint keys status says where it stands', async () => {
  const before = await flint('keys', 'status');
  assert.match(before.stdout, /^current key: 1$/m);
  assert.match(before.stdout, /^stale blobs: code objects 0, kms keys 0$/m);
  const rotated = await flint('keys', 'rotate', '--wait');
  assert.match(rotated.stdout, /master key 2 is current/);
  assert.match(rotated.stdout, /^keys in use: 2 \(current, created [^)]+\)$/m);
  assert.match(rotated.stdout, /^retired keys: 1 /m);
  assert.ok(!/[0-9a-f]{64}/.test(rotated.stdout + before.stdout), 'no key material is printed');
});

test('cli: flint env prints exports for the AWS CLI and SDKs', async () => {
  const { stdout } = await flint('env');
  assert.match(stdout, /^export AWS_ACCESS_KEY_ID=AKIA/m);
  assert.match(stdout, /^export AWS_SECRET_ACCESS_KEY=\S{40}$/m);
  assert.match(stdout, /^export AWS_REGION=us-east-1$/m);
  assert.match(stdout, /^export AWS_ENDPOINT_URL=http:\/\//m);
});

test('cli: deploy zips a directory and creates, then updates, the function; invoke prints result and log tail; logs prints the stream', async () => {
  const dir = join(dataDir, 'src-fn');
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.js'), "exports.handler = async (e) => { console.log('got', e.n); return { doubled: e.n * 2 }; };\n");
  const created = await flint('deploy', dir, '--name', 'cli-fn', '--runtime', 'nodejs20.x', '--handler', 'index.handler');
  assert.match(created.stdout, /deployed arn:aws:lambda:us-east-1:000000000000:function:cli-fn .*State Active/);

  const invoked = await flint('invoke', 'cli-fn', '{"n":21}');
  assert.equal(invoked.stdout.trim(), '{"doubled":42}');
  assert.match(invoked.stderr, /START RequestId: [0-9a-f-]{36} Version: \$LATEST/);
  assert.match(invoked.stderr, /\tINFO\tgot 21/);
  assert.match(invoked.stderr, /REPORT RequestId: .*Billed Duration: \d+ ms/);

  writeFileSync(join(dir, 'index.js'), 'exports.handler = async (e) => ({ tripled: e.n * 3 });\n');
  const updated = await flint('deploy', dir, '--name', 'cli-fn', '--runtime', 'nodejs20.x', '--handler', 'index.handler', '--memory', '256');
  assert.match(updated.stdout, /deployed .*cli-fn/);
  assert.equal((await flint('invoke', 'cli-fn', '{"n":2}')).stdout.trim(), '{"tripled":6}');

  // `flint logs` reads through the CloudWatch Logs API (FilterLogEvents), not the files.
  const logs = await flint('logs', 'cli-fn');
  assert.match(logs.stdout, /START RequestId/);
  assert.match(logs.stdout, /got 21/);
  assert.match(logs.stdout, /END RequestId/);
  const reports = await flint('logs', 'cli-fn', '--since', '1h', '--filter-pattern', 'REPORT');
  const lines = reports.stdout.trim().split('\n');
  assert.equal(lines.length, 2, reports.stdout);
  assert.ok(lines.every((l) => l.startsWith('REPORT RequestId: ')), reports.stdout);
});

test('cli: the server stops cleanly on SIGTERM', async () => {
  const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
  server.kill('SIGTERM');
  assert.equal(await exited, 0);
});
