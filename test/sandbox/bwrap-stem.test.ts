import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BwrapSandboxDriver } from '../../src/sandbox/bwrap-driver.js';
import type { SandboxCapability, SandboxExit, UnboundSandbox } from '../../src/ports/sandbox-driver.js';
import { FakeRuntimeApi, SandboxFixtures, runNode } from './sandbox-harness.js';

/**
 * Pre-initialized bwrap sandboxes ("stem cells"): started with empty /var/task and /opt, bound to
 * a function's code and layers later. What the code sees after the bind must be what a cold
 * sandbox shows it, and the host must never hold a mount for it.
 */

/** Runs inside: waits until /var/task has the code (bound), then reports what it sees. */
const LOOK_AROUND = `
  const fs = require('fs');
  const report = () => {
    process.chdir('/var/task');
    const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'WRITTEN'; } catch (e) { return e.code; } };
    const read = (p) => { try { return fs.readFileSync(p, 'utf8').trim(); } catch (e) { return e.code; } };
    // mount point, per-mount options, file system type: everything but ids and the host source.
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').map((l) => l.split(' '))
      .filter((f) => f[4] === '/var/task' || f[4] === '/opt').map((f) => [f[4], f[5], f[f.indexOf('-') + 1]].join(' '));
    console.log(JSON.stringify({
      cwd: process.cwd(), code: read('/var/task/code.txt'), a: read('/opt/lib/a'), b: read('/opt/b'), opt: fs.readdirSync('/opt').sort(),
      writeTask: tryWrite('/var/task/new'), writeOpt: tryWrite('/opt/new'), overwriteCode: tryWrite('/var/task/code.txt'), mounts,
    }));
  };
  const wait = () => fs.existsSync('/var/task/code.txt') ? report() : setTimeout(wait, 20);
  wait();`;

/** The host's mount table lines that mention `needle` (other tests may mount elsewhere meanwhile). */
function hostMounts(needle: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(needle));
}

describe('bwrap pre-initialized sandboxes', () => {
  const driver = new BwrapSandboxDriver();
  let cap: SandboxCapability;
  let skip: string | false = false;
  let api: FakeRuntimeApi;
  let fx: SandboxFixtures;
  let layers: string[];

  before(async () => {
    cap = await driver.probe();
    const why = !cap.available ? cap.reason : !cap.features.preInitialized ? cap.notes?.find((n) => n.includes('pre-initialized')) : undefined;
    if (why !== undefined) {
      if (process.env['CI'] && process.getuid?.() === 0) throw new Error(`bwrap pre-initialized sandboxes unavailable in CI: ${why}`);
      skip = `bwrap pre-initialized sandboxes unavailable here: ${why}`;
      return;
    }
    api = await new FakeRuntimeApi().listen();
    fx = new SandboxFixtures();
    layers = [fx.layer('base', { 'lib/a': 'one', b: 'only in base' }), fx.layer('override', { 'lib/a': 'two' })];
  });
  after(async () => {
    await api?.close();
    fx?.remove();
  });

  let n = 0;
  async function startUnbound(script: string, out: { stdout: string }): Promise<UnboundSandbox> {
    return driver.startUnbound!({
      id: `stem-test-${++n}`,
      runtimeDir: fx.runtimeDir,
      argv: [process.execPath, '-e', script],
      env: { PATH: '/usr/bin:/bin' },
      memoryMb: 256,
      ephemeralStorageMb: 64,
      runtimeApi: { host: '127.0.0.1', port: api.port },
      network: 'isolated',
      onOutput: (c, stream) => { if (stream === 'stdout') out.stdout += c.toString(); },
    });
  }

  async function finish(sandbox: UnboundSandbox): Promise<SandboxExit> {
    const timer = setTimeout(() => void sandbox.destroy(), 30_000);
    const exit = await sandbox.exited;
    clearTimeout(timer);
    await sandbox.destroy();
    return exit;
  }

  it('bwrap stem: bind shows the code at /var/task and two layers merged at /opt, read-only, exactly as a cold sandbox does', async (t) => {
    if (skip) return t.skip(skip);
    const before = hostMounts(fx.root);
    const out = { stdout: '' };
    const sandbox = await startUnbound(LOOK_AROUND, out);
    const paths = await sandbox.bind({ taskRoot: fx.taskRoot, layers });
    assert.deepEqual(paths, driver.paths());
    // Bound inside its own namespace: nothing of it appears in the host's mount table.
    assert.deepEqual(hostMounts(fx.root), before);
    assert.equal((await finish(sandbox)).code, 0, out.stdout);
    const bound = JSON.parse(out.stdout.trim().split('\n').pop()!);
    const cold = await runNode(driver, api, fx, LOOK_AROUND, { layers });
    assert.equal(cold.exit.code, 0, cold.stderr);
    assert.deepEqual(bound, cold.json);
    assert.deepEqual(bound.mounts.map((m: string) => m.split(' ')[0]), ['/var/task', '/opt']);
    for (const m of bound.mounts) assert.match(m, /^\S+ ro,nosuid,nodev[ ,]/);
    assert.match(bound.mounts[1], / overlay$/);
    assert.equal(bound.a, 'two');
    assert.equal(bound.b, 'only in base');
    assert.equal(bound.code, 'function code');
    assert.deepEqual([bound.writeTask, bound.writeOpt, bound.overwriteCode], ['EROFS', 'EROFS', 'EROFS']);
    assert.deepEqual(hostMounts(fx.root), before);
  });

  it('bwrap stem: one layer is /opt itself; no layer leaves /opt empty', async (t) => {
    if (skip) return t.skip(skip);
    for (const [list, expected] of [[layers.slice(0, 1), { a: 'one', opt: ['b', 'lib'] }], [[], { a: 'ENOENT', opt: [] }]] as const) {
      const out = { stdout: '' };
      const sandbox = await startUnbound(LOOK_AROUND, out);
      await sandbox.bind({ taskRoot: fx.taskRoot, layers: [...list] });
      assert.equal((await finish(sandbox)).code, 0, out.stdout);
      const seen = JSON.parse(out.stdout.trim().split('\n').pop()!);
      assert.deepEqual({ a: seen.a, opt: seen.opt }, expected);
      assert.equal(seen.writeOpt, 'EROFS');
    }
  });

  it('bwrap stem: a sandbox is bound once; a second bind is refused', async (t) => {
    if (skip) return t.skip(skip);
    const out = { stdout: '' };
    const sandbox = await startUnbound(LOOK_AROUND, out);
    await sandbox.bind({ taskRoot: fx.taskRoot, layers: [] });
    await assert.rejects(sandbox.bind({ taskRoot: fx.runtimeDir, layers: [] }), /already bound/);
    assert.equal((await finish(sandbox)).code, 0);
    assert.equal(JSON.parse(out.stdout.trim().split('\n').pop()!).code, 'function code');
  });

  it('bwrap stem: a bind that fails destroys the sandbox and leaves no mount behind', async (t) => {
    if (skip) return t.skip(skip);
    const before = hostMounts(fx.root);
    const out = { stdout: '' };
    const sandbox = await startUnbound(LOOK_AROUND, out);
    await assert.rejects(sandbox.bind({ taskRoot: `${fx.root}/missing`, layers }), /binding pre-initialized sandbox stem-test-\d+ failed: clone .*missing: No such file or directory/);
    const exit = await sandbox.exited;
    assert.ok(exit.signal !== null || exit.code !== 0, JSON.stringify(exit));
    assert.equal(out.stdout, '');
    assert.deepEqual(hostMounts(fx.root), before);
  });

  it('bwrap stem: when the bind helper process dies, a new one starts and serves the bind', async (t) => {
    if (skip) return t.skip(skip);
    const helpers = () => spawnSync('pgrep', ['-P', String(process.pid), '-f', 'flint-mount-into-.* --serve'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
    const [old] = helpers();
    assert.ok(old, 'the driver runs one helper process');
    // Killed while the next bind is on its way: the request reaches the dead helper's pipe or a new helper.
    process.kill(old, 'SIGKILL');
    const out = { stdout: '' };
    const sandbox = await startUnbound(LOOK_AROUND, out);
    await sandbox.bind({ taskRoot: fx.taskRoot, layers: [] });
    assert.equal((await finish(sandbox)).code, 0, out.stdout);
    assert.equal(JSON.parse(out.stdout.trim().split('\n').pop()!).code, 'function code');
    assert.equal(helpers().length, 1);
    assert.notEqual(helpers()[0], old);
  });

  it('bwrap stem: without a working flint-mount-into the driver still runs sandboxes but offers no pre-initialized ones, and says why', async (t) => {
    if (skip) return t.skip(skip);
    const broken = new BwrapSandboxDriver({ tools: { mountInto: '/bin/false' } });
    const c = await broken.probe();
    assert.equal(c.available, true);
    assert.equal(c.features.preInitialized, false);
    await assert.rejects(broken.startUnbound({ id: 'never', runtimeDir: '/usr/share', argv: ['/bin/true'], env: {}, memoryMb: 128, ephemeralStorageMb: 16, runtimeApi: { host: '127.0.0.1', port: 9 }, network: 'isolated', onOutput: () => {} }), /no pre-initialized runtimes here/);
    assert.ok(c.notes?.some((n) => n.startsWith('no pre-initialized runtimes (flint-mount-into does not work here')), JSON.stringify(c.notes));
    const r = await runNode(broken, api, fx, 'console.log(JSON.stringify(require("fs").readFileSync("/var/task/code.txt", "utf8")))');
    assert.equal(r.json, 'function code\n');
  });
});
