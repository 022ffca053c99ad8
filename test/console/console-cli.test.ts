import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/** `flint console` against a running server: prints a one-time link that signs in once. */
const run = promisify(execFile);
const MAIN = resolve('src/cli/main.ts');
let dataDir: string;
let server: ChildProcess;
let endpoint: string;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'flint-console-cli-'));
  server = spawn(process.execPath, ['--import', 'tsx', MAIN, 'server', '--port', '0', '--data-dir', dataDir], { env: { ...process.env, FLINT_SANDBOX: 'process' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  endpoint = await new Promise<string>((ok, fail) => {
    server.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) ok(m[1]!);
    });
    server.once('exit', (code) => fail(new Error(`server exited ${code}: ${out}`)));
  });
});

after(() => {
  if (server.exitCode === null) server.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

const flint = (...args: string[]) => run(process.execPath, ['--import', 'tsx', MAIN, ...args, '--data-dir', dataDir], { env: { ...process.env, FLINT_ENDPOINT: endpoint } });

test('flint console prints a login link to /console/ whose token the page trades once', async () => {
  const { stdout } = await flint('console');
  const m = /^(http:\/\/127\.0\.0\.1:\d+)\/console\/#login=([\w-]{43})$/m.exec(stdout);
  assert.ok(m, stdout);
  assert.equal(m[1], endpoint);
  assert.match(stdout, /one use, until \d{4}-\d\d-\d\dT/);
  const trade = () => fetch(`${endpoint}/console/api/session`, { method: 'POST', body: JSON.stringify({ Token: m[2] }) });
  assert.equal((await trade()).status, 200);
  assert.equal((await trade()).status, 403);
});

test('flint console says so when no server answers', async () => {
  await assert.rejects(run(process.execPath, ['--import', 'tsx', MAIN, 'console', '--data-dir', dataDir, '--endpoint', 'http://127.0.0.1:9']), /^error: cannot reach Flint at http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)/m);
});
