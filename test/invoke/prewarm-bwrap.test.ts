import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CreateFunctionCommand, PublishLayerVersionCommand, PublishVersionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { body, deploy, invoke, tail, waitActive } from './fixture-functions.js';
import type { SandboxSpec, UnboundSandbox, UnboundSandboxSpec } from '../../src/ports/sandbox-driver.js';

/**
 * Pre-initialized runtimes under the isolated (bwrap) driver, through the Lambda API: a start that
 * binds a waiting runtime must give the function what a cold start gives it — environment, cwd,
 * paths, read-only code and layers — and a bind that fails must end in a plain cold start.
 */
let h: Harness | undefined;
let skip: string | false = false;

before(async () => {
  try {
    h = await startHarness({ sandbox: 'bwrap', prewarmPerRuntime: 1 });
    if (!h.app.dataPlane.features.preInitialized) throw new Error('the bwrap driver offers no pre-initialized runtimes here (see its startup notes)');
  } catch (err) {
    if (process.env['CI'] === 'true' && process.getuid?.() === 0) throw err;
    skip = `bwrap pre-initialized runtimes are not available here: ${(err as Error).message}`;
  }
});
after(async () => { await h?.stop(); });

const prewarm = () => h!.app.dataPlane.prewarm;
const envOf = (name: string, version: string) => h!.app.dataPlane.pool.environments(name, version).map((e) => e.env);
/** Differ between any two environments of a function by design: version, identity, endpoint, trace. */
const PER_ENVIRONMENT = ['AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', '_X_AMZN_TRACE_ID'];
const normalized = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, PER_ENVIRONMENT.includes(k) ? '<per-environment>' : v]));
/** The host's mount table lines naming this server's data directory (where code and layers live). */
const hostMounts = () => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(h!.dataDir));

async function publish(name: string, description: string): Promise<string> {
  await h!.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: description }));
  await waitActive(h!, name);
  return (await h!.client.send(new PublishVersionCommand({ FunctionName: name }))).Version!;
}

/** Cold-starts $LATEST (which makes the key known), waits for a runtime to wait for it, then starts a new version from it. */
async function coldThenPreInitialized(name: string, memory: number, family: 'nodejs' | 'python') {
  const cold = await invoke(h!, name, {}, { LogType: 'Tail' });
  assert.equal(cold.FunctionError, undefined, Buffer.from(cold.Payload ?? []).toString());
  assert.equal(envOf(name, '$LATEST')[0]!.preInitialized, false);
  await prewarm().settled(30_000);
  assert.deepEqual(prewarm().sizes().filter((s) => s.key === `${family}/${memory}/512`).map((s) => s.ready), [1]);
  const v = await publish(name, 'same code');
  const pre = await invoke(h!, name, {}, { Qualifier: v, LogType: 'Tail' });
  assert.equal(pre.FunctionError, undefined, Buffer.from(pre.Payload ?? []).toString());
  return { cold, pre, v };
}

for (const runtime of ['nodejs', 'python'] as const) {
  test(`prewarm-bwrap/${runtime}: a pre-initialized start gives the function exactly the environment a cold start gives`, async (t) => {
    if (skip) return t.skip(skip);
    const name = `bw-env-${runtime}`;
    const memory = runtime === 'nodejs' ? 193 : 194;
    await deploy(h!, { name, scenario: 'env-dump', runtime, memory, env: { GREETING: 'hello', TZ: 'Europe/Paris' } });
    const { cold, pre, v } = await coldThenPreInitialized(name, memory, runtime);
    assert.equal(envOf(name, v)[0]!.preInitialized, true);
    const a = body(cold);
    const b = body(pre);
    assert.deepEqual(normalized(b.env), normalized(a.env));
    assert.equal(b.env.AWS_LAMBDA_FUNCTION_VERSION, v);
    assert.equal(b.env.LAMBDA_TASK_ROOT, '/var/task');
    assert.equal(b.env.AWS_LAMBDA_RUNTIME_API, '127.0.0.1:9001');
    assert.equal(b.cwd, '/var/task');
    assert.equal(b.cwd, a.cwd);
    if (runtime === 'nodejs') {
      assert.deepEqual(b.execArgv, a.execArgv);
      assert.equal(b.heapLimitMb, a.heapLimitMb);
    } else {
      assert.deepEqual(b.sys_path, a.sys_path);
    }
    assert.match(tail(cold), /\tInit Duration: [\d.]+ ms\t/);
    assert.match(tail(pre), /\tInit Duration: [\d.]+ ms\t/);
  });
}

test('prewarm-bwrap: a function with two layers sees them merged at /opt, and /var/task and /opt stay read-only, as on a cold start', async (t) => {
  if (skip) return t.skip(skip);
  const layer = async (name: string, files: Record<string, string>) =>
    (await h!.client.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await makeZip(files) } }))).LayerVersionArn!;
  const base = await layer('bw-base', { 'nodejs/node_modules/shared/index.js': "module.exports = 'base';", 'data/only-in-base.txt': 'base file' });
  const override = await layer('bw-override', { 'nodejs/node_modules/shared/index.js': "module.exports = 'override';" });
  const zip = await makeZip({
    'index.js': [
      "const fs = require('node:fs');",
      "const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'WRITTEN'; } catch (e) { return e.code; } };",
      // Mount point, per-mount options, file system type: all of a mount but its ids and host source.
      "const mounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').map((l) => l.split(' '))",
      "  .filter((f) => f[4] === '/var/task' || f[4] === '/opt').map((f) => [f[4], f[5], f[f.indexOf('-') + 1]].join(' '));",
      'exports.handler = async () => ({',
      "  shared: require('shared'), baseFile: fs.readFileSync('/opt/data/only-in-base.txt', 'utf8'), opt: fs.readdirSync('/opt').sort(),",
      "  writeTask: tryWrite('/var/task/new'), writeOpt: tryWrite('/opt/new'), overwriteCode: tryWrite('/var/task/index.js'), mounts: mounts(),",
      '});',
    ].join('\n'),
  });
  await h!.client.send(new CreateFunctionCommand({ FunctionName: 'bw-layered', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', MemorySize: 195, Code: { ZipFile: zip }, Layers: [base, override] }));
  await waitActive(h!, 'bw-layered');
  const { cold, pre, v } = await coldThenPreInitialized('bw-layered', 195, 'nodejs');
  assert.equal(envOf('bw-layered', v)[0]!.preInitialized, true);
  assert.deepEqual(body(pre), body(cold));
  assert.deepEqual(body(pre), {
    shared: 'override',
    baseFile: 'base file',
    opt: ['data', 'nodejs'],
    writeTask: 'EROFS',
    writeOpt: 'EROFS',
    overwriteCode: 'EROFS',
    mounts: body(cold).mounts,
  });
  assert.deepEqual(body(pre).mounts.map((m: string) => m.split(' ')[0]), ['/var/task', '/opt']);
  for (const m of body(pre).mounts) assert.match(m, /^\S+ ro,nosuid,nodev[ ,]/);
});

test('prewarm-bwrap: when binding a waiting runtime fails, the start falls back to a cold start and leaves no mount behind', async (t) => {
  if (skip) return t.skip(skip);
  const driver = h!.app.dataPlane.driver;
  const real = driver.startUnbound!;
  let sabotaged = 0;
  // Runtimes started from now on are bound to a code directory that does not exist: the driver's
  // real bind fails (flint-mount-into cannot clone it).
  driver.startUnbound = async (spec: UnboundSandboxSpec): Promise<UnboundSandbox> => {
    const sandbox = await real.call(driver, spec);
    const bind = sandbox.bind.bind(sandbox);
    sandbox.bind = (code: Pick<SandboxSpec, 'taskRoot' | 'layers'>) => { sabotaged++; return bind({ ...code, taskRoot: `${code.taskRoot}-missing` }); };
    return sandbox;
  };
  try {
    await deploy(h!, { name: 'bw-fallback', scenario: 'env-dump', runtime: 'nodejs', memory: 196 });
    const cold = await invoke(h!, 'bw-fallback', {}, { LogType: 'Tail' });
    await prewarm().settled(30_000);
    assert.deepEqual(prewarm().sizes().filter((s) => s.key === 'nodejs/196/512').map((s) => s.ready), [1]);
    const mountsBefore = hostMounts();
    const v = await publish('bw-fallback', 'again');
    const r = await invoke(h!, 'bw-fallback', {}, { Qualifier: v, LogType: 'Tail' });
    assert.equal(sabotaged, 1);
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    const [env] = envOf('bw-fallback', v);
    assert.equal(env!.preInitialized, false);
    assert.deepEqual(normalized(body(r).env), normalized(body(cold).env));
    assert.match(tail(r), /\tInit Duration: [\d.]+ ms\t/);
    // And it keeps working warm, in the cold-started sandbox.
    assert.equal(body(await invoke(h!, 'bw-fallback', {}, { Qualifier: v })).env.AWS_LAMBDA_FUNCTION_VERSION, v);
    assert.deepEqual(hostMounts(), mountsBefore);
  } finally {
    driver.startUnbound = real;
  }
});
