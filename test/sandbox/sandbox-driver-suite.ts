import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { SandboxCapability, SandboxDriver } from '../../src/ports/sandbox-driver.js';
import { FakeRuntimeApi, SandboxFixtures, runNode, startNode } from './sandbox-harness.js';

const NEXT = '/2018-06-01/runtime/invocation/next';

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

/** Every process below `root` (by parent pid, from /proc). */
function descendants(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch { /* exited meanwhile */ }
  }
  const found: number[] = [];
  const walk = (pid: number): void => { for (const c of parents.get(pid) ?? []) { found.push(c); walk(c); } };
  walk(root);
  return found;
}

/**
 * The contract every SandboxDriver meets, run against each driver. A case a driver cannot meet by
 * design is skipped with the reason (the process driver isolates nothing).
 */
export function runSandboxDriverSuite(name: string, makeDriver: () => SandboxDriver): void {
  describe(`sandbox driver conformance: ${name}`, () => {
    let driver: SandboxDriver;
    let cap: SandboxCapability;
    let api: FakeRuntimeApi;
    let fx: SandboxFixtures;
    const isolatedOnly = () => (cap.isolated ? false : `${name} does not isolate: the function is a plain host process`);

    before(async () => {
      driver = makeDriver();
      cap = await driver.probe();
      api = await new FakeRuntimeApi().listen();
      fx = new SandboxFixtures();
    });
    after(async () => {
      await api?.close();
      fx?.remove();
    });

    it(`${name}: probe reports the driver available`, () => {
      assert.equal(cap.available, true, cap.reason);
    });

    it(`${name}: the runtime reaches the Runtime API at AWS_LAMBDA_RUNTIME_API`, async () => {
      const r = await runNode(driver, api, fx, `
        require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '${NEXT}', (res) => {
          let b = ''; res.on('data', (c) => b += c); res.on('end', () => console.log(b));
        });`);
      assert.equal(r.exit.code, 0, r.stderr);
      assert.deepEqual(r.json, { hello: 'sandbox' });
      assert.ok(api.requests.includes(`GET ${NEXT}`));
    });

    it(`${name}: passes exactly the given environment, nothing of the host's`, async () => {
      const r = await runNode(driver, api, fx, 'console.log(JSON.stringify(process.env))', {
        env: { PATH: '/usr/bin:/bin', ONLY_THIS: 'yes' },
      });
      assert.equal(r.json.ONLY_THIS, 'yes');
      for (const hostVar of ['HOME', 'NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'FLINT_DATA_DIR', 'npm_config_cache']) {
        assert.equal(r.json[hostVar], undefined, `${hostVar} leaked into the sandbox`);
      }
    });

    it(`${name}: delivers stdout and stderr and the exit code`, async () => {
      const r = await runNode(driver, api, fx, 'console.log("to stdout"); console.error("to stderr"); process.exit(3)');
      assert.equal(r.exit.code, 3);
      assert.equal(r.exit.signal, null);
      assert.equal(r.exit.oomKilled, false);
      assert.match(r.stdout, /to stdout/);
      assert.match(r.stderr, /to stderr/);
    });

    it(`${name}: reports a death by signal as the signal`, async () => {
      const r = await runNode(driver, api, fx, 'process.kill(process.pid, "SIGTERM"); setTimeout(() => {}, 5000)');
      assert.equal(r.exit.signal, 'SIGTERM');
      assert.equal(r.exit.code, null);
    });

    it(`${name}: shows the code, runtime files and layers merged in order at its paths`, async () => {
      const l1 = fx.layer('one', { 'shared.txt': 'from layer one', 'only-one.txt': 'one' });
      const l2 = fx.layer('two', { 'shared.txt': 'from layer two', 'nodejs/lib.txt': 'two' });
      const r = await runNode(driver, api, fx, `
        const fs = require('fs'), e = process.env;
        console.log(JSON.stringify({
          code: fs.readFileSync(e.LAMBDA_TASK_ROOT + '/code.txt', 'utf8'),
          runtime: fs.readFileSync(e.LAMBDA_RUNTIME_DIR + '/runtime.txt', 'utf8'),
          shared: fs.readFileSync(e.FLINT_TEST_OPT + '/shared.txt', 'utf8'),
          one: fs.readFileSync(e.FLINT_TEST_OPT + '/only-one.txt', 'utf8'),
          lib: fs.readFileSync(e.FLINT_TEST_OPT + '/nodejs/lib.txt', 'utf8'),
        }));`, { layers: [l1, l2] });
      assert.deepEqual(r.json, { code: 'function code\n', runtime: 'runtime file\n', shared: 'from layer two', one: 'one', lib: 'two' }, r.stderr);
    });

    it(`${name}: /tmp is writable and the working directory is the task root`, async () => {
      const r = await runNode(driver, api, fx, `
        const fs = require('fs'); fs.writeFileSync(process.env.TMPDIR + '/x', 'data');
        console.log(JSON.stringify({ back: fs.readFileSync(process.env.TMPDIR + '/x', 'utf8'), cwd: process.cwd() === process.env.LAMBDA_TASK_ROOT }));`);
      assert.deepEqual(r.json, { back: 'data', cwd: true }, r.stderr);
    });

    it(`${name}: rejects a missing command with ENOENT before starting`, async () => {
      const paths = driver.paths({ id: 'missing', taskRoot: fx.taskRoot, runtimeDir: fx.runtimeDir, layers: [] });
      await assert.rejects(startNode(driver, api, fx, '', { argv: [`${paths.taskRoot}/no-such-bootstrap`] }), (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
    });

    it(`${name}: destroy ends every process of the sandbox, and again is harmless`, async () => {
      const { sandbox } = await startNode(driver, api, fx, `
        const { spawn } = require('child_process');
        // A grandchild that holds a connection to the Runtime API until it dies.
        spawn(process.execPath, ['-e', "require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/hang')"], { stdio: 'ignore' }).unref();
        setInterval(() => {}, 1000);`);
      const connected = await waitFor(() => api.hanging === 1, 10_000);
      await sandbox.destroy();
      assert.ok(connected, 'grandchild connected');
      const exit = await sandbox.exited;
      assert.equal(exit.oomKilled, false);
      assert.ok(await waitFor(() => api.hanging === 0, 5000), 'grandchild is gone');
      await sandbox.destroy();
    });

    it(`${name}: a process that leaves the session (setsid) dies with the sandbox too`, async (t) => {
      const why = isolatedOnly(); if (why) return t.skip(`${why}; it kills by process group, which setsid leaves`);
      const { sandbox } = await startNode(driver, api, fx, `
        require('child_process').spawn(process.execPath, ['-e', "require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/hang')"], { stdio: 'ignore', detached: true }).unref();
        setInterval(() => {}, 1000);`);
      const connected = await waitFor(() => api.hanging === 1, 10_000);
      await sandbox.destroy();
      assert.ok(connected, 'escaped grandchild connected');
      assert.ok(await waitFor(() => api.hanging === 0, 5000), 'escaped grandchild is gone');
    });

    it(`${name}: an allocation past MemorySize ends it with oomKilled`, async () => {
      const r = await runNode(driver, api, fx, `
        const keep = []; let i = 0;
        const step = () => { for (let k = 0; k < 4; k++) keep.push(Buffer.alloc(8 << 20, 1)); if (++i < 64) setTimeout(step, 5); else console.log('survived'); };
        step();`, { memoryMb: 128 });
      assert.equal(r.exit.oomKilled, true, `exit ${JSON.stringify(r.exit)} ${r.stdout}`);
      assert.doesNotMatch(r.stdout, /survived/);
    });

    it(`${name}: maxMemoryBytes reports the peak use`, async () => {
      const { sandbox } = await startNode(driver, api, fx, `
        globalThis.keep = Buffer.alloc(96 << 20, 1);
        require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/hang');
        setInterval(() => {}, 1000);`, { memoryMb: 512 });
      try {
        assert.ok(await waitFor(() => api.hanging === 1, 10_000));
        const peak = sandbox.maxMemoryBytes() ?? 0;
        assert.ok(peak >= 96 << 20 && peak < 512 << 20, `peak ${peak}`);
      } finally {
        await sandbox.destroy();
      }
    });

    it(`${name}: runQueueWaitMs is the runtime's wait for a CPU — it grows while busy processes share its CPU`, async (t) => {
      // The runtime shares CPU 0 with two busy processes pinned there too. Every process of the
      // sandbox is pinned once it runs: a sandbox need not inherit this process's affinity (the
      // bwrap driver's launcher is forked by its spawner helper).
      const pin = (cpus: string, pid = process.pid) => spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' }).status === 0;
      if (!pin(`0-${availableParallelism() - 1}`)) return t.skip('taskset is not available');
      const started = await startNode(driver, api, fx, `
          require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/hang');
          const spin = () => { const end = Date.now() + 5; while (Date.now() < end); setImmediate(spin); };
          spin();`);
      const { sandbox } = started;
      const hogs = [0, 1].map(() => spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;);'], { stdio: 'ignore' }));
      try {
        assert.ok(await waitFor(() => api.hanging === 1, 10_000));
        for (const pid of [sandbox.pid, ...descendants(sandbox.pid)]) pin('0', pid);
        const before = sandbox.runQueueWaitMs?.();
        if (before === undefined) return t.skip('the kernel keeps no run-queue wait per process here');
        await new Promise((r) => setTimeout(r, 600));
        const after = sandbox.runQueueWaitMs?.() ?? 0;
        // A third of CPU 0 for 600 ms: about 400 ms waiting; far more than a lone process waits.
        assert.ok(after - before > 100, `waited ${after - before} ms`);
      } finally {
        for (const h of hogs) h.kill('SIGKILL');
        await sandbox.destroy();
      }
      assert.equal(sandbox.runQueueWaitMs?.(), undefined, 'nothing once it is gone');
    });

    it(`${name}: runs sandboxes side by side`, async () => {
      const before = api.requests.length;
      const runs = await Promise.all([1, 2, 3].map((n) => runNode(driver, api, fx, `
        require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '${NEXT}?n=${n}', (res) => { res.resume(); res.on('end', () => console.log('{"n":${n}}')); });`)));
      assert.deepEqual(runs.map((r) => r.json?.n), [1, 2, 3]);
      assert.equal(api.requests.length - before, 3);
    });

    it(`${name}: reapOrphans of a new server leaves a live server's sandboxes alone`, async () => {
      const { sandbox } = await startNode(driver, api, fx, 'setInterval(() => {}, 1000)');
      try {
        await makeDriver().reapOrphans();
        const exited = await Promise.race([sandbox.exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]);
        assert.equal(exited, false);
      } finally {
        await sandbox.destroy();
      }
    });

    it(`${name}: runs the function as an unprivileged user`, async (t) => {
      const why = isolatedOnly(); if (why) return t.skip(why);
      const r = await runNode(driver, api, fx, `
        const st = require('fs').readFileSync('/proc/self/status', 'utf8');
        console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), groups: process.getgroups(), user: require('os').userInfo().username,
          caps: st.split('\\n').filter((l) => /^Cap(Prm|Eff|Bnd|Amb)/.test(l)).map((l) => l.split(/\\s+/)[1]), nnp: /NoNewPrivs:\\s+1/.test(st) }));`);
      assert.notEqual(r.json.uid, 0);
      assert.deepEqual({ ...r.json, uid: 0 }, { uid: 0, gid: r.json.uid, groups: [r.json.uid], user: 'sbx_user1051', caps: ['0000000000000000', '0000000000000000', '0000000000000000', '0000000000000000'], nnp: true });
    });

    it(`${name}: only /tmp is writable`, async (t) => {
      const why = isolatedOnly(); if (why) return t.skip(why);
      const r = await runNode(driver, api, fx, `
        const fs = require('fs'), out = {};
        for (const p of ['/x', '/var/task/x', '/opt/x', '/var/runtime/x', '/etc/x', '/usr/x', '/dev/shm/x', '/run/flint/x', '/tmp/x']) {
          try { fs.writeFileSync(p, 'x'); out[p] = 'written'; } catch (e) { out[p] = e.code; }
        }
        console.log(JSON.stringify(out));`);
      for (const [p, outcome] of Object.entries(r.json as Record<string, string>)) {
        if (p === '/tmp/x') assert.equal(outcome, 'written');
        else assert.match(outcome, /^(EROFS|EACCES|ENOENT|EPERM)$/, `${p}: ${outcome}`);
      }
    });

    it(`${name}: /tmp holds at most EphemeralStorage`, async (t) => {
      const why = isolatedOnly(); if (why) return t.skip(why);
      const r = await runNode(driver, api, fx, `
        const fs = require('fs'); let n = 0;
        try { for (;;) { fs.appendFileSync('/tmp/fill', Buffer.alloc(1 << 20)); n++; if (n > 200) break; } console.log(JSON.stringify({ n })); }
        catch (e) { console.log(JSON.stringify({ n, code: e.code })); }`, { ephemeralStorageMb: 16, memoryMb: 512 });
      assert.equal(r.json.code, 'ENOSPC');
      assert.ok(r.json.n <= 16, `wrote ${r.json.n} MB`);
    });

    it(`${name}: caps open files at 1024`, async (t) => {
      const why = isolatedOnly(); if (why) return t.skip(why);
      const r = await runNode(driver, api, fx, `
        const fs = require('fs'); const fds = [];
        try { for (let i = 0; i < 5000; i++) fds.push(fs.openSync('/dev/null', 'r')); console.log(JSON.stringify({ opened: fds.length })); }
        catch (e) { console.log(JSON.stringify({ opened: fds.length, code: e.code })); }`);
      assert.equal(r.json.code, 'EMFILE');
      assert.ok(r.json.opened < 1024);
    });

    it(`${name}: CPU is proportional to memory once init ends (1,769 MB = 1 vCPU)`, async (t) => {
      const why = isolatedOnly(); if (why) return t.skip(why);
      // 177 MB = 0.1 vCPU. The first /next ends init (Lambda's definition); then spin 600 ms.
      const r = await runNode(driver, api, fx, `
        require('http').get('http://' + process.env.AWS_LAMBDA_RUNTIME_API + '${NEXT}', (res) => {
          res.resume();
          res.on('end', () => {
            const c0 = process.cpuUsage(), t0 = Date.now();
            while (Date.now() - t0 < 600) {}
            const c = process.cpuUsage(c0);
            console.log(JSON.stringify({ cpuMs: (c.user + c.system) / 1000 }));
          });
        });`, { memoryMb: 177 });
      assert.ok(r.json, r.stderr);
      // 0.1 vCPU of 600 ms is 60 ms; allow for period boundaries.
      assert.ok(r.json.cpuMs < 150, `used ${r.json.cpuMs} ms of CPU in 600 ms`);
    });

    it(`${name}: the network modes: isolated has no route out, default has one`, async (t) => {
      const why = isolatedOnly(); if (why) return t.skip(why);
      // A UDP connect() only looks up a route; no packet leaves. 192.0.2.1 is TEST-NET-1.
      const script = `
        const s = require('dgram').createSocket('udp4');
        s.connect(53, '192.0.2.1', (err) => { console.log(JSON.stringify({ route: !err, code: err?.code })); s.close(); });`;
      const iso = await runNode(driver, api, fx, script, { network: 'isolated' });
      assert.deepEqual(iso.json, { route: false, code: 'ENETUNREACH' });
      const def = await runNode(driver, api, fx, script, { network: 'default' });
      if (cap.notes?.some((n) => n.includes('no outbound'))) return t.skip('this host has no egress helper (slirp4netns)');
      assert.deepEqual(def.json, { route: true });
    });
  });
}
