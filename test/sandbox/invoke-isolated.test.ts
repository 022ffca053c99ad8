import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { deploy, invoke, body, type FixtureRuntime } from '../invoke/fixture-functions.js';

/**
 * The same fixture functions the behaviour tests run on the process driver, here through the
 * Lambda API under the isolated driver (the default wherever the host supports it): every runtime
 * works, sees Lambda's paths, keeps /tmp warm, and an OOM is Lambda's OOM error.
 */
let h: Harness | undefined;
let skip: string | false = false;

before(async () => {
  try {
    h = await startHarness({ sandbox: 'bwrap' });
  } catch (err) {
    if (process.env['CI'] === 'true' && process.getuid?.() === 0) throw err;
    skip = `the bwrap driver is not available here: ${(err as Error).message}`;
  }
});
after(async () => { await h?.stop(); });

for (const runtime of ['nodejs', 'python', 'provided'] as FixtureRuntime[]) {
  test(`isolated: a ${runtime} function echoes through the Lambda API and sees /var/task`, async (t) => {
    if (skip) return t.skip(skip);
    await deploy(h!, { name: `iso-echo-${runtime}`, scenario: 'echo', runtime });
    const r = await invoke(h!, `iso-echo-${runtime}`, { hello: runtime });
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
    assert.deepEqual(body(r), { hello: runtime });
    await deploy(h!, { name: `iso-env-${runtime}`, scenario: 'env-dump', runtime });
    const env = body(await invoke(h!, `iso-env-${runtime}`)).env;
    assert.equal(env.LAMBDA_TASK_ROOT, '/var/task');
    assert.equal(env.AWS_LAMBDA_RUNTIME_API, '127.0.0.1:9001');
    assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, `iso-env-${runtime}`);
  });
}

test('isolated: /tmp and module state survive between warm invocations', async (t) => {
  if (skip) return t.skip(skip);
  await deploy(h!, { name: 'iso-tmp', scenario: 'tmp-persistence', runtime: 'python' });
  await invoke(h!, 'iso-tmp', { write: 'kept' });
  const second = body(await invoke(h!, 'iso-tmp', {}));
  assert.equal(second.tmp, 'kept');
  assert.equal(second.invocations, 2);
  assert.equal(second.tmpdir, '/tmp');
});

test('isolated: going past MemorySize is Lambda out-of-memory error, judged by the cgroup', async (t) => {
  if (skip) return t.skip(skip);
  await deploy(h!, { name: 'iso-oom', scenario: 'oom', runtime: 'nodejs', memory: 128, timeout: 20 });
  const r = await invoke(h!, 'iso-oom');
  assert.equal(r.FunctionError, 'Unhandled');
  assert.equal(body(r).errorType, 'Runtime.OutOfMemory');
  // The environment was replaced: the next call runs.
  await deploy(h!, { name: 'iso-after-oom', scenario: 'echo', runtime: 'nodejs' });
  assert.deepEqual(body(await invoke(h!, 'iso-after-oom', { ok: 1 })), { ok: 1 });
});

test('isolated: FLINT_SANDBOX=auto chooses the isolated driver on this host', async (t) => {
  if (skip) return t.skip(skip);
  const auto = await startHarness({ sandbox: 'auto' });
  try {
    assert.equal(auto.app.dataPlane.driver.name, 'bwrap');
  } finally {
    await auto.stop();
  }
});
