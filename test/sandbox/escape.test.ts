import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { BwrapSandboxDriver } from '../../src/sandbox/bwrap-driver.js';
import type { SandboxCapability } from '../../src/ports/sandbox-driver.js';
import { FakeRuntimeApi, SandboxFixtures, runNode, startNode } from './sandbox-harness.js';
import { fileAndProcessAttempts, networkAttempts, SYSCALL_ATTEMPTS } from './escape-attempts.js';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { body, deploy, invoke } from '../invoke/fixture-functions.js';

/**
 * The escape suite: code inside a bwrap sandbox tries to get out, and every attempt must fail
 * while the host stays healthy. Runs as root (CI does); elsewhere it is skipped with the reason.
 * At the end it prints the table attempt → outcome.
 */
const table: { attempt: string; outcome: string; held: boolean }[] = [];
function record(attempt: string, outcome: string, held: boolean): void {
  table.push({ attempt, outcome, held });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function hostConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => { s.destroy(); resolve('CONNECTED'); });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** A file named `name` under `dir` whose content includes `needle` (the code store's extracted copy). */
function findFile(dir: string, name: string, needle: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name === name) {
      const p = join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name);
      try { if (readFileSync(p, 'utf8').includes(needle)) return p; } catch { /* unreadable */ }
    }
  }
  return undefined;
}

describe('sandbox escape suite (bwrap)', () => {
  const driver = new BwrapSandboxDriver();
  const smallPids = new BwrapSandboxDriver({ pidsMax: 128 });
  let cap: SandboxCapability;
  let skip: string | false = false;
  let api: FakeRuntimeApi;
  let fx: SandboxFixtures;
  let hostDir: string;
  let hostServer: Server;
  let hostPort = 0;
  let hostConnections = 0;

  before(async () => {
    cap = await driver.probe();
    await smallPids.probe();
    if (!cap.available) {
      // CI runs as root with the packages installed: there the driver must work.
      if (process.env['CI'] && process.getuid?.() === 0) throw new Error(`bwrap driver unavailable in CI: ${cap.reason}`);
      skip = `bwrap driver unavailable here: ${cap.reason}`;
      return;
    }
    api = await new FakeRuntimeApi().listen();
    fx = new SandboxFixtures();
    // A stand-in for Flint's data directory and another function's code, as the host keeps them.
    hostDir = mkdtempSync(join(tmpdir(), 'flint-escape-host-'));
    mkdirSync(join(hostDir, 'data', 'code', 'other-function'), { recursive: true });
    writeFileSync(join(hostDir, 'data', 'master.key'), 'secret key', { mode: 0o600 });
    writeFileSync(join(hostDir, 'data', 'code', 'other-function', 'index.js'), 'other code', { mode: 0o644 });
    hostServer = createServer((s) => { hostConnections++; s.destroy(); });
    hostPort = await listen(hostServer);
  });

  after(async () => {
    if (table.length > 0) {
      const w = Math.max(...table.map((r) => r.attempt.length));
      const lines = table.map((r) => `  ${r.held ? 'blocked' : 'ESCAPED'}  ${r.attempt.padEnd(w)}  → ${r.outcome}`);
      process.stdout.write(`\n# escape attempts (${table.filter((r) => r.held).length}/${table.length} blocked)\n${lines.map((l) => `# ${l}`).join('\n')}\n`);
    }
    await api?.close();
    fx?.remove();
    hostServer?.close();
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  it('escape: host files, other code, writes outside /tmp, host processes and uid changes all fail', async (t) => {
    if (skip) return t.skip(skip);
    const secrets = {
      "Flint's data dir (master key)": join(hostDir, 'data', 'master.key'),
      "another function's code": join(hostDir, 'data', 'code', 'other-function', 'index.js'),
    };
    const r = await runNode(driver, api, fx, fileAndProcessAttempts(secrets, process.pid, 'escape.test.ts'));
    assert.ok(r.json, r.stderr);
    for (const [attempt, outcome] of Object.entries(r.json as Record<string, string>)) {
      const held = attempt === 'see host processes' ? outcome.startsWith('only ')
        : attempt.endsWith(' to the init') ? outcome === 'EPERM' || /^ignored: init still [SR]$/.test(outcome)
        : !/^(READ|WRITTEN|LISTED|SIGNALLED|ROOT|CREATED)$/.test(outcome);
      record(attempt, outcome, held);
      assert.ok(held, `${attempt} → ${outcome}`);
    }
  });

  it('escape: forbidden system calls (namespaces, mount, ptrace, keyctl, BPF, ...) fail with EPERM', async (t) => {
    if (skip) return t.skip(skip);
    const r = await runNode(driver, api, fx, '', { argv: ['/usr/bin/python3', '-c', SYSCALL_ATTEMPTS] });
    assert.ok(r.json, r.stderr);
    for (const [attempt, outcome] of Object.entries(r.json as Record<string, string>)) {
      const held = attempt === 'clone3' ? outcome === 'ENOSYS' : outcome === 'EPERM';
      record(attempt, outcome, held);
      assert.ok(held, `${attempt} → ${outcome}`);
    }
  });

  it("escape: the host's 127.0.0.1 is unreachable from the sandbox in both network modes", async (t) => {
    if (skip) return t.skip(skip);
    for (const network of ['isolated', 'default'] as const) {
      const r = await runNode(driver, api, fx, networkAttempts(hostPort), { network });
      assert.ok(r.json, r.stderr);
      for (const [attempt, outcome] of Object.entries(r.json as Record<string, string>)) {
        record(`${attempt} (${network})`, outcome, outcome !== 'CONNECTED');
        assert.notEqual(outcome, 'CONNECTED', `${attempt} (${network})`);
      }
    }
    assert.equal(hostConnections, 0);
  });

  it('escape: a port the sandbox listens on is not reachable from the host', async (t) => {
    if (skip) return t.skip(skip);
    // Pick a port free on the host, have the sandbox listen on it on every address.
    const probe = createServer();
    const port = await listen(probe);
    await new Promise((r) => probe.close(r));
    const { sandbox, output } = await startNode(driver, api, fx, `
      require('net').createServer((s) => s.end('inside')).listen(${port}, '0.0.0.0', () => console.log('listening'));`, { network: 'default' });
    try {
      const end = Date.now() + 10_000;
      while (!output().stdout.includes('listening') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      assert.match(output().stdout, /listening/);
      const outcome = await hostConnect(port);
      record(`host connects to a port the sandbox listens on`, outcome, outcome !== 'CONNECTED');
      assert.equal(outcome, 'ECONNREFUSED');
    } finally {
      await sandbox.destroy();
    }
  });

  it('escape: a fork bomb stops at the pids limit and the host stays healthy', async (t) => {
    if (skip) return t.skip(skip);
    // The same mechanism as the default 1024 (Lambda's limit), with a lower limit to keep the test short.
    const r = await runNode(smallPids, api, fx, `
      const { spawn } = require('child_process');
      let started = 0, failed = null;
      const next = () => {
        if (failed || started >= 3000) { console.log(JSON.stringify({ started, failed })); process.exit(0); }
        const c = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
        c.on('error', (e) => { failed = e.code; next(); });
        c.on('spawn', () => { started++; setImmediate(next); });
      };
      next();`, { timeoutMs: 30_000 });
    assert.ok(r.json, r.stderr);
    record('fork bomb (spawn until refused)', `${r.json.started} processes, then ${r.json.failed}`, r.json.failed === 'EAGAIN');
    assert.equal(r.json.failed, 'EAGAIN');
    assert.ok(r.json.started < 128);
    const host = spawnSync('/bin/true');
    assert.equal(host.status, 0, 'the host can still start processes');
  });

  it('escape: allocating past the memory limit is an OOM kill of the sandbox only', async (t) => {
    if (skip) return t.skip(skip);
    const r = await runNode(driver, api, fx, `
      const keep = []; for (let i = 0; i < 256; i++) keep.push(Buffer.alloc(4 << 20, 1)); console.log('survived');`, { memoryMb: 128 });
    record('allocate 1 GiB with MemorySize 128', `exit ${r.exit.code ?? r.exit.signal}, oomKilled=${r.exit.oomKilled}`, r.exit.oomKilled);
    assert.equal(r.exit.oomKilled, true);
    assert.equal(r.exit.signal, 'SIGKILL');
  });

  it('escape: filling /tmp stops at EphemeralStorage', async (t) => {
    if (skip) return t.skip(skip);
    const r = await runNode(driver, api, fx, `
      const fs = require('fs'); let mb = 0;
      try { for (; mb < 100; mb++) fs.appendFileSync('/tmp/fill', Buffer.alloc(1 << 20)); console.log(JSON.stringify({ mb })); }
      catch (e) { console.log(JSON.stringify({ mb, code: e.code })); }`, { ephemeralStorageMb: 10, memoryMb: 256 });
    record('write 100 MB to a 10 MB /tmp', `${r.json?.code} after ${r.json?.mb} MB`, r.json?.code === 'ENOSPC');
    assert.equal(r.json.code, 'ENOSPC');
    assert.ok(r.json.mb <= 10);
  });

  it("escape: one environment cannot read another's /tmp", async (t) => {
    if (skip) return t.skip(skip);
    const a = await startNode(driver, api, fx, `
      require('fs').writeFileSync('/tmp/secret', 'environment A'); console.log('written'); setInterval(() => {}, 1000);`);
    try {
      const end = Date.now() + 10_000;
      while (!a.output().stdout.includes('written') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const b = await runNode(driver, api, fx, `
        const fs = require('fs');
        const tries = ['/tmp/secret', ...fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).map((p) => '/proc/' + p + '/root/tmp/secret')];
        const read = tries.filter((p) => { try { return fs.readFileSync(p, 'utf8') === 'environment A'; } catch { return false; } });
        console.log(JSON.stringify({ read, tmp: fs.readdirSync('/tmp') }));`);
      record("read another environment's /tmp/secret", b.json.read.length === 0 ? `not found (own /tmp holds ${b.json.tmp.length} files)` : `READ via ${b.json.read}`, b.json.read.length === 0);
      assert.deepEqual(b.json, { read: [], tmp: [] });
    } finally {
      await a.sandbox.destroy();
    }
  });

  it('escape: a real function invoked over the Lambda API gets no further', async (t) => {
    if (skip) return t.skip(skip);
    let h: Harness | undefined;
    try {
      h = await startHarness({ sandbox: 'bwrap' });
      assert.equal(h.app.dataPlane.driver.name, 'bwrap');
      // The handler runs each attempt program as a child process of the function, in its sandbox.
      const handler = `
        const { execFileSync } = require('child_process');
        exports.handler = async (e) => JSON.parse(execFileSync(e.argv[0], e.argv.slice(1), { encoding: 'utf8' }).trim().split('\\n').pop());`;
      await deploy(h, { name: 'escape-artist', scenario: 'escape', runtime: 'nodejs', memory: 256, timeout: 30, zip: await makeZip({ 'index.js': handler }) });
      await deploy(h, { name: 'bystander', scenario: 'escape', runtime: 'nodejs', zip: await makeZip({ 'index.js': 'exports.handler = async () => "bystander secret";' }) });
      // Extracted code exists on the host only while an environment of it lives: start one.
      await invoke(h, 'bystander', {});
      const bystanderCode = findFile(h.dataDir, 'index.js', 'bystander secret');
      assert.ok(bystanderCode, "the other function's extracted code is on the host");
      const secrets = { "Flint's data dir (flint.db)": join(h.dataDir, 'flint.db'), "another function's code": bystanderCode! };
      const groups: [string, string[]][] = [
        ['files', [process.execPath, '-e', fileAndProcessAttempts(secrets, process.pid, 'escape.test.ts')]],
        ['syscalls', ['/usr/bin/python3', '-c', SYSCALL_ATTEMPTS]],
        ['network', [process.execPath, '-e', networkAttempts(hostPort)]],
      ];
      for (const [, argv] of groups) {
        const r = await invoke(h, 'escape-artist', { argv });
        assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
        for (const [attempt, outcome] of Object.entries(body(r) as Record<string, string>)) {
          const held = attempt === 'see host processes' ? outcome.startsWith('only ')
            : attempt === 'clone3' ? outcome === 'ENOSYS'
            : attempt.endsWith(' to the init') ? outcome === 'EPERM' || /^ignored: init still [SR]$/.test(outcome)
            : !/^(READ|WRITTEN|LISTED|SIGNALLED|ROOT|CREATED|CONNECTED|SUCCEEDED)$/.test(outcome);
          record(`${attempt} (via Invoke)`, outcome, held);
          assert.ok(held, `${attempt} (via Invoke) → ${outcome}`);
        }
      }
      assert.equal(hostConnections, 0);
      assert.equal(body(await invoke(h, 'bystander')), 'bystander secret', 'the server still serves other functions');
    } finally {
      await h?.stop();
    }
  });

  it('escape: a pre-initialized sandbox, once bound to its code and layers, holds the same file, process and syscall attempts', async (t) => {
    if (skip) return t.skip(skip);
    if (!cap.features.preInitialized) return t.skip(`no pre-initialized sandboxes here: ${cap.notes?.join('; ')}`);
    const secrets = {
      "Flint's data dir (master key)": join(hostDir, 'data', 'master.key'),
      "another function's code": join(hostDir, 'data', 'code', 'other-function', 'index.js'),
    };
    const layer = fx.layer('escape-layer', { 'lib/x': 'layer file' });
    // Each program waits until its code is bound, then tries.
    const programs: [string, string[]][] = [
      ['files', [process.execPath, '-e', `const go = () => {${fileAndProcessAttempts(secrets, process.pid, 'escape.test.ts')}};
        const wait = () => require('fs').existsSync('/var/task/code.txt') ? go() : setTimeout(wait, 20); wait();`]],
      ['syscalls', ['/usr/bin/python3', '-c', `import os, time\nwhile not os.path.exists('/var/task/code.txt'): time.sleep(0.02)\n${SYSCALL_ATTEMPTS}`]],
    ];
    for (const [group, argv] of programs) {
      let stdout = '';
      const sandbox = await driver.startUnbound({
        id: `escape-stem-${group}`, runtimeDir: fx.runtimeDir, argv, env: { PATH: '/usr/bin:/bin' }, memoryMb: 256, ephemeralStorageMb: 64,
        runtimeApi: { host: '127.0.0.1', port: api.port }, network: 'isolated', onOutput: (c, s) => { if (s === 'stdout') stdout += c.toString(); },
      });
      const timer = setTimeout(() => void sandbox.destroy(), 30_000);
      try {
        await sandbox.bind({ taskRoot: fx.taskRoot, layers: [layer] });
        await sandbox.exited;
      } finally {
        clearTimeout(timer);
        await sandbox.destroy();
      }
      const json = JSON.parse(stdout.trim().split('\n').pop() ?? 'null') as Record<string, string>;
      assert.ok(json, stdout);
      for (const [attempt, outcome] of Object.entries(json)) {
        const held = attempt === 'see host processes' ? outcome.startsWith('only ')
          : attempt === 'clone3' ? outcome === 'ENOSYS'
          : group === 'syscalls' ? outcome === 'EPERM'
          : attempt.endsWith(' to the init') ? outcome === 'EPERM' || /^ignored: init still [SR]$/.test(outcome)
          : !/^(READ|WRITTEN|LISTED|SIGNALLED|ROOT|CREATED)$/.test(outcome);
        record(`${attempt} (pre-initialized, bound)`, outcome, held);
        assert.ok(held, `${attempt} (pre-initialized, bound) → ${outcome}`);
      }
      if (group === 'files') assert.deepEqual([json['write /var/task/escape'], json['write /opt/escape']], ['EROFS', 'EROFS']);
    }
  });

  it('escape: afterwards the host is healthy and a new sandbox works', async (t) => {
    if (skip) return t.skip(skip);
    const r = await runNode(driver, api, fx, `
      require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime/invocation/next', (res) => { res.resume(); res.on('end', () => console.log('{"ok":true}')); });`);
    assert.deepEqual(r.json, { ok: true });
    assert.equal(await hostConnect(api.port), 'CONNECTED');
  });
});
