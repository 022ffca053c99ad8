import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentPool } from '../../src/invoke/environment-pool.js';
import type { EnvironmentBinding } from '../../src/invoke/environment-contract.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeEnvironment } from './fake-environment.js';

const binding = async (): Promise<EnvironmentBinding> => ({ functionName: 'fn', version: '$LATEST' } as unknown as EnvironmentBinding);
const input = { requestId: 'r', payload: Buffer.from('{}'), invokedFunctionArn: 'arn', traceId: 't' };

function setup(opts: { idleTimeoutMs?: number; maxLifetimeMs?: number; awaitReadyMs?: number } = {}) {
  const clock = new FakeClock();
  const created: FakeEnvironment[] = [];
  const pool = new EnvironmentPool({
    clock,
    create: (b) => {
      const env = new FakeEnvironment(b, clock);
      created.push(env);
      return env;
    },
    idleTimeoutMs: opts.idleTimeoutMs ?? 60_000,
    maxLifetimeMs: opts.maxLifetimeMs ?? 3_600_000,
    ...(opts.awaitReadyMs !== undefined ? { awaitReadyMs: opts.awaitReadyMs } : {}),
  });
  const run = () => pool.run('fn', '$LATEST', binding, { provisioned: false }, (env, start) => env.invoke(input).then((o) => ({ id: env.id, start, payload: o.payload.toString() })));
  return { clock, pool, created, run };
}

/** Waits (in settled promise turns, not time) until `n` environments exist and the last has an invocation waiting. */
async function invoking(created: FakeEnvironment[], n: number, clock: FakeClock): Promise<FakeEnvironment> {
  for (let i = 0; i < 50 && !(created.length >= n && created[n - 1]!.pending); i++) await clock.advance(0);
  assert.ok(created[n - 1]?.pending, `environment ${n} got an invocation`);
  return created[n - 1]!;
}

/** Two environments: `a` idle since its reply, `b` replied 10 ms later and not back in /next yet. */
async function idleAndReplied(created: FakeEnvironment[], clock: FakeClock, run: () => Promise<unknown>): Promise<{ a: FakeEnvironment; b: FakeEnvironment }> {
  const r1 = run();
  const a = await invoking(created, 1, clock);
  const r2 = run();
  const b = await invoking(created, 2, clock);
  a.reply();
  await r1;
  await clock.advance(10);
  b.holdNext = true;
  b.reply();
  await r2;
  return { a, b };
}

test('pool on fake time: an idle environment is stopped by the reaper once its idle timeout passed, not before', async () => {
  const { clock, pool, created, run } = setup({ idleTimeoutMs: 1000 });
  try {
    const done = run();
    (await invoking(created, 1, clock)).reply();
    assert.equal((await done).start, 'cold');
    await clock.advance(999);
    assert.equal(created[0]!.state, 'Ready');
    // The reaper runs every idle/4 = 250 ms: by 1,250 ms it has seen the environment idle 1,000 ms.
    await clock.advance(251);
    assert.equal(created[0]!.state, 'Stopped');
    assert.equal(pool.environments('fn', '$LATEST').length, 0);
  } finally {
    await pool.close();
  }
});

test('pool on fake time: an environment past its maximum lifetime is stopped even when it was just used', async () => {
  const { clock, pool, created, run } = setup({ idleTimeoutMs: 10_000, maxLifetimeMs: 2000 });
  try {
    for (let t = 0; t < 3; t++) {
      const done = run();
      (await invoking(created, 1, clock)).reply();
      await done;
      await clock.advance(600);
    }
    assert.equal(created[0]!.state, 'Ready', 'used at 1.2 s, alive at 1.8 s');
    await clock.advance(500);
    assert.equal(created[0]!.state, 'Stopped');
  } finally {
    await pool.close();
  }
});

test('pool on fake time: a request waits for an environment finishing its invocation, and gets it warm when it is back in /next within the wait', async () => {
  const { clock, pool, created, run } = setup({ awaitReadyMs: 200 });
  try {
    const first = run();
    const env = await invoking(created, 1, clock);
    env.holdNext = true;
    env.reply();
    await first;
    assert.equal(env.state, 'Invoking', 'replied, not back in /next yet');
    const second = run();
    await clock.advance(150);
    assert.equal(created.length, 1, 'no new environment while waiting');
    env.backInNext();
    await invoking(created, 1, clock);
    env.reply('"second"');
    assert.deepEqual(await second, { id: env.id, start: 'warm', payload: '"second"' });
  } finally {
    await pool.close();
  }
});

test('pool on fake time: past the wait for a finishing environment, the request gets a new one', async () => {
  const { clock, pool, created, run } = setup({ awaitReadyMs: 200 });
  try {
    const first = run();
    const env = await invoking(created, 1, clock);
    env.holdNext = true;
    env.reply();
    await first;
    const second = run();
    await clock.advance(199);
    assert.equal(created.length, 1);
    await clock.advance(1);
    const fresh = await invoking(created, 2, clock);
    fresh.reply('"fresh"');
    assert.deepEqual(await second, { id: fresh.id, start: 'cold', payload: '"fresh"' });
  } finally {
    await pool.close();
  }
});

test('pool on fake time: the runtime that just replied gets the next request, but only for 5 ms while an idle environment could take it', async () => {
  const { clock, pool, created, run } = setup({ awaitReadyMs: 200 });
  try {
    const { a, b } = await idleAndReplied(created, clock, run);
    // b replied after a's last use: the next request waits for b, which comes back within the moment.
    const r3 = run();
    await clock.advance(1);
    b.backInNext();
    await invoking(created, 2, clock);
    b.holdNext = false;
    b.reply('"b again"');
    assert.deepEqual(await r3, { id: b.id, start: 'warm', payload: '"b again"' });
    // b replies and stays busy past 5 ms: the request goes to idle a, not to a new environment.
    const r4 = run();
    await invoking(created, 2, clock);
    b.holdNext = true;
    b.reply();
    await r4;
    const r5 = run();
    await clock.advance(4);
    assert.equal(a.pending, false, 'still waiting for b');
    await clock.advance(1);
    await invoking(created, 1, clock);
    a.reply('"a"');
    assert.deepEqual(await r5, { id: a.id, start: 'warm', payload: '"a"' });
    assert.equal(created.length, 2);
  } finally {
    await pool.close();
  }
});

test('pool on fake time: passed over for an idle environment that was taken meanwhile, a request still waits for the replied one rather than starting another', async () => {
  const { clock, pool, created, run } = setup({ awaitReadyMs: 200 });
  try {
    const { a, b } = await idleAndReplied(created, clock, run);
    const r3 = run(); // waits up to 5 ms for b
    await clock.advance(0);
    const r4 = run(); // takes idle a
    await invoking(created, 1, clock);
    await clock.advance(5); // r3 gives up on b being quick; a is busy: it waits for b after all
    await clock.advance(20);
    assert.equal(created.length, 2, 'no third environment');
    b.holdNext = false;
    b.backInNext();
    await invoking(created, 2, clock);
    b.reply('"b"');
    a.reply('"a"');
    assert.deepEqual([(await r3).id, (await r4).id], [b.id, a.id]);
  } finally {
    await pool.close();
  }
});

test('pool on fake time: close stops the reaper (no timer left behind)', async () => {
  const { clock, pool } = setup();
  assert.equal(clock.pending, 1);
  await pool.close();
  assert.equal(clock.pending, 0);
});
