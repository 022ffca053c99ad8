import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PublishVersionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { body, deploy, invoke, tail, waitActive } from './fixture-functions.js';

let h: Harness;
before(async () => {
  h = await startHarness({ sandbox: 'process', prewarmPerRuntime: 1 });
});
after(async () => {
  await h.stop();
});

const prewarm = () => h.app.dataPlane.prewarm;
const envOf = (name: string, version: string) => h.app.dataPlane.pool.environments(name, version).map((e) => e.env);

/** Variables that differ between any two environments of a function by design: its version, identity, endpoint and trace. */
const PER_ENVIRONMENT = ['AWS_LAMBDA_FUNCTION_VERSION', 'AWS_LAMBDA_LOG_STREAM_NAME', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_LAMBDA_RUNTIME_API', '_X_AMZN_TRACE_ID'];
/** The process driver's per-environment scratch directories (/opt, /tmp) carry the environment's id. */
const withoutEnvIds = (v: string) => v.replace(/env-[0-9a-f]{16}/g, 'env-<id>');

function normalized(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) out[k] = PER_ENVIRONMENT.includes(k) ? '<per-environment>' : withoutEnvIds(v);
  return out;
}

async function publish(name: string, description: string): Promise<string> {
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: description }));
  await waitActive(h, name);
  return (await h.client.send(new PublishVersionCommand({ FunctionName: name }))).Version!;
}

for (const runtime of ['nodejs', 'python'] as const) {
  test(`prewarm/${runtime}: a pre-initialized start gives the function exactly the environment a cold start gives`, async () => {
    const name = `env-${runtime}`;
    await deploy(h, { name, scenario: 'env-dump', runtime, memory: 192, env: { GREETING: 'hello', TZ: 'Europe/Paris' } });
    const cold = await invoke(h, name, {}, { LogType: 'Tail' });
    assert.equal(envOf(name, '$LATEST')[0]!.preInitialized, false);
    // The cold start made the key known: one runtime is pre-started for it.
    await prewarm().settled();
    assert.deepEqual(prewarm().sizes().filter((s) => s.key === `${runtime}/192/512`).map((s) => s.ready), [1]);
    const v = await publish(name, 'same code');
    const pre = await invoke(h, name, {}, { Qualifier: v, LogType: 'Tail' });
    const [env] = envOf(name, v);
    assert.equal(env!.preInitialized, true);
    const a = body(cold);
    const b = body(pre);
    assert.deepEqual(normalized(b.env), normalized(a.env));
    assert.equal(b.env.AWS_LAMBDA_FUNCTION_VERSION, v);
    assert.equal(b.env.AWS_LAMBDA_INITIALIZATION_TYPE, 'on-demand');
    assert.equal(b.env.GREETING, 'hello');
    assert.equal(b.cwd, a.cwd);
    if (runtime === 'nodejs') {
      assert.deepEqual(b.execArgv, a.execArgv);
      assert.equal(b.heapLimitMb, a.heapLimitMb);
    } else {
      assert.deepEqual(b.sys_path.map(withoutEnvIds), a.sys_path.map(withoutEnvIds));
    }
    // Both REPORT lines carry Init Duration: neither start was warm.
    assert.match(tail(cold), /\tInit Duration: [\d.]+ ms\t/);
    assert.match(tail(pre), /\tInit Duration: [\d.]+ ms\t/);
    const warm = await invoke(h, name, {}, { Qualifier: v, LogType: 'Tail' });
    assert.doesNotMatch(tail(warm), /Init Duration/);
  });
}

test('prewarm: a runtime bound to one version serves only that version; the next cold start gets another, refilled runtime', async () => {
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => ({ pid: process.pid, version: process.env.AWS_LAMBDA_FUNCTION_VERSION });' });
  await deploy(h, { name: 'pids', scenario: 'echo', runtime: 'nodejs', memory: 320, zip });
  await invoke(h, 'pids', {});
  await prewarm().settled();
  const v1 = await publish('pids', 'one');
  const r1 = body(await invoke(h, 'pids', {}, { Qualifier: v1 }));
  const [env1] = envOf('pids', v1);
  assert.equal(env1!.preInitialized, true);
  assert.equal(r1.version, v1);
  // The pool started a replacement for the runtime v1 took.
  await prewarm().settled();
  assert.deepEqual(prewarm().sizes().filter((s) => s.key === 'nodejs/320/512').map((s) => s.ready), [1]);
  const v2 = await publish('pids', 'two');
  const r2 = body(await invoke(h, 'pids', {}, { Qualifier: v2 }));
  const [env2] = envOf('pids', v2);
  assert.equal(env2!.preInitialized, true);
  assert.notEqual(env2!.id, env1!.id);
  assert.notEqual(r2.pid, r1.pid);
  assert.equal(r2.version, v2);
  // v1's environment still runs v1, in the same process.
  assert.deepEqual(body(await invoke(h, 'pids', {}, { Qualifier: v1 })), r1);
  assert.equal(envOf('pids', v1).length, 1);
});

test('prewarm: a function setting a start-only variable (NODE_OPTIONS) gets a plain cold start', async () => {
  await deploy(h, { name: 'opts', scenario: 'env-dump', runtime: 'nodejs', memory: 448, env: { NODE_OPTIONS: '--no-deprecation' } });
  await invoke(h, 'opts', {});
  await prewarm().settled();
  const v = await publish('opts', 'again');
  const r = body(await invoke(h, 'opts', {}, { Qualifier: v }));
  assert.equal(envOf('opts', v)[0]!.preInitialized, false);
  assert.equal(r.env.NODE_OPTIONS, '--no-deprecation');
});
