import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { deploy, invoke, body, type FixtureRuntime } from '../invoke/fixture-functions.js';
import { makeZip } from '../helpers/zip.js';

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

test('isolated: a 5 MiB event and its 5 MiB echo pass whole through the sandbox\'s Runtime API relay', async (t) => {
  if (skip) return t.skip(skip);
  await deploy(h!, { name: 'iso-big-echo', scenario: 'echo', runtime: 'python', memory: 512 });
  // Not one repeated byte: a relay that dropped, duplicated or reordered a chunk would show.
  const big = Array.from({ length: 5 * 1024 * 1024 / 8 }, (_, i) => (i % 65536).toString(16).padStart(8, '.')).join('');
  for (let i = 0; i < 2; i++) {
    const r = await invoke(h!, 'iso-big-echo', { big });
    assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString().slice(0, 500));
    assert.ok(body(r).big === big, `echo ${i} differs: ${String(body(r).big).length} chars back of ${big.length}`);
  }
});

test('isolated: REPORT Max Memory Used counts the runtime\'s resident memory, not only what the cgroup was charged', async (t) => {
  if (skip) return t.skip(skip);
  // 60 MiB of buffers, each filled (so every page is touched), kept alive until the handler returns.
  const handler = `export const handler = async () => {
    const held = [];
    for (let i = 0; i < 60; i++) held.push(Buffer.alloc(1024 * 1024, i + 1));
    return { held: held.length, sum: held.reduce((a, b) => a + b[4095], 0) };
  };`;
  await deploy(h!, { name: 'iso-mem-60', scenario: 'echo', runtime: 'nodejs', memory: 256, timeout: 20, handler: 'index.handler', zip: await makeZip({ 'index.mjs': handler }) });
  const r = await invoke(h!, 'iso-mem-60', {}, { LogType: 'Tail' });
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  assert.equal(body(r).held, 60);
  const tail = Buffer.from(r.LogResult ?? '', 'base64').toString();
  const used = /Max Memory Used: (\d+) MB/.exec(tail);
  assert.ok(used, tail);
  // The buffers alone are 60 MiB (≈63 MB); the runtime's own resident memory comes on top.
  assert.ok(Number(used[1]) >= 60, `Max Memory Used: ${used[1]} MB`);
  // A hello world's figure is the runtime's resident size (Node's binary and heap: ~40 MB here,
  // 60-70 MB on Lambda), not the ~10 MB of anonymous memory the sandbox's cgroup was charged.
  await deploy(h!, { name: 'iso-mem-hello', scenario: 'echo', runtime: 'nodejs', memory: 256 });
  const hello = Buffer.from((await invoke(h!, 'iso-mem-hello', { hi: 1 }, { LogType: 'Tail' })).LogResult ?? '', 'base64').toString();
  const helloUsed = /Max Memory Used: (\d+) MB/.exec(hello);
  assert.ok(helloUsed, hello);
  assert.ok(Number(helloUsed[1]) >= 25, `hello world Max Memory Used: ${helloUsed[1]} MB`);
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
