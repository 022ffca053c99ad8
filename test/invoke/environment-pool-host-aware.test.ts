import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentPool } from '../../src/invoke/environment-pool.js';
import type { EnvironmentBinding } from '../../src/invoke/environment-contract.js';
import { DEFAULT_HOST_AWARE } from '../../src/invoke/host-aware-placement.js';
import type { CpuSaturation } from '../../src/ports/cpu-signals.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeEnvironment } from './fake-environment.js';

const binding = async (): Promise<EnvironmentBinding> => ({ functionName: 'fn', version: '$LATEST' } as unknown as EnvironmentBinding);
const input = { requestId: 'r', payload: Buffer.from('{}'), invokedFunctionArn: 'arn', traceId: 't' };
const SATURATED: CpuSaturation = { stall: 1, runnablePerCpu: 3 };
const ROOM: CpuSaturation = { stall: 0.05, runnablePerCpu: 0.5 };

/** A pool whose environments take `startMs` (fake; 50 ms) to start, under a CPU signal the test sets. */
function setup(enabled = true, startMs = 50) {
  const clock = new FakeClock();
  const created: FakeEnvironment[] = [];
  let saturation = SATURATED;
  const pool = new EnvironmentPool({
    clock,
    create: (b) => {
      const env = new FakeEnvironment(b, clock, { autoInit: false });
      created.push(env);
      clock.setTimeout(() => env.initDone(true), startMs);
      return env;
    },
    idleTimeoutMs: 60_000,
    maxLifetimeMs: 3_600_000,
    hostAware: { signals: { read: () => saturation, degraded: undefined, cpus: 1 }, settings: { ...DEFAULT_HOST_AWARE, enabled } },
  });
  const run = () => pool.run('fn', '$LATEST', binding, { provisioned: false, timeoutMs: 3000 }, (env, start) => env.invoke(input).then(() => ({ id: env.id, start })));
  return { clock, pool, created, run, signal: (s: CpuSaturation) => (saturation = s) };
}

async function turns(clock: FakeClock): Promise<void> {
  for (let i = 0; i < 5; i++) await clock.advance(0);
}

/** One cold invocation (start 50 ms) then one warm one of 2 ms: the pool's figures for the version. */
async function warmUp(s: ReturnType<typeof setup>, startMs = 50): Promise<FakeEnvironment> {
  const cold = s.run();
  await s.clock.advance(startMs);
  await turns(s.clock);
  s.created[0]!.reply();
  assert.equal((await cold).start, 'cold');
  const warm = s.run();
  await turns(s.clock);
  await s.clock.advance(2);
  s.created[0]!.reply();
  assert.equal((await warm).start, 'warm');
  return s.created[0]!;
}

test('pool host-aware: on saturated CPUs a request for a short CPU-bound version waits for the busy environment and gets it warm', async () => {
  const s = setup();
  try {
    const env = await warmUp(s);
    const first = s.run();
    await turns(s.clock);
    assert.ok(env.pending);
    const second = s.run();
    await turns(s.clock);
    assert.equal(s.created.length, 1, 'no second environment while the first frees up');
    await s.clock.advance(1);
    env.reply();
    assert.equal((await first).start, 'warm');
    await turns(s.clock);
    env.reply();
    assert.deepEqual(await second, { id: env.id, start: 'warm' });
    assert.equal(s.created.length, 1);
  } finally {
    await s.pool.close();
  }
});

test('pool host-aware: past its patience the queue gets one more environment — the request keeps its place and takes it once ready', async () => {
  const s = setup();
  try {
    const env = await warmUp(s);
    const first = s.run();
    await turns(s.clock);
    const second = s.run();
    await turns(s.clock);
    // Expected wait 2 ms: patient for twice that, then it asks again — the CPUs have room by now,
    // so one more environment starts for the queue.
    s.signal(ROOM);
    await s.clock.advance(4);
    await turns(s.clock);
    assert.equal(s.created.length, 2);
    await s.clock.advance(50);
    await turns(s.clock);
    assert.ok(s.created[1]!.pending, 'the new environment took the waiting request');
    s.created[1]!.reply();
    // Started for the queue, not for the request: the request met it initialized (no Init in its REPORT).
    assert.deepEqual(await second, { id: s.created[1]!.id, start: 'warm' });
    env.reply();
    await first;
  } finally {
    await s.pool.close();
  }
});

test('pool host-aware: a wait and a start never add up — the busy environment freeing first serves the waiter, the new one stays for the next', async () => {
  const s = setup();
  try {
    const env = await warmUp(s);
    const first = s.run();
    await turns(s.clock);
    const second = s.run();
    await turns(s.clock);
    s.signal(ROOM);
    await s.clock.advance(4);
    await turns(s.clock);
    assert.equal(s.created.length, 2);
    env.reply();
    await first;
    await turns(s.clock);
    assert.ok(env.pending, 'the freed environment took the waiting request, before the new one was ready');
    env.reply();
    assert.deepEqual(await second, { id: env.id, start: 'warm' });
    await s.clock.advance(50);
    await turns(s.clock);
    assert.equal(s.created[1]!.state, 'Ready');
    const third = s.run();
    await turns(s.clock);
    const serving = s.created.find((e) => e.pending)!;
    serving.reply();
    assert.equal((await third).start, 'warm');
  } finally {
    await s.pool.close();
  }
});

test('pool host-aware: a request past its patience starts nothing while starts under way cover every waiter (one freed meanwhile served another)', async () => {
  const s = setup();
  try {
    const env = await warmUp(s);
    const first = s.run();
    await turns(s.clock);
    const a = s.run();
    const b = s.run();
    const c = s.run();
    await turns(s.clock);
    // Room on the CPUs: each waiter, past its patience (longer further back in the queue), asks again.
    s.signal(ROOM);
    let freed = false;
    for (let ms = 0; ms < 40; ms++) {
      await s.clock.advance(1);
      await turns(s.clock);
      if (!freed && s.created.length === 2) {
        // The busy one frees right after the first start began: it serves a; b and c still wait.
        freed = true;
        env.reply();
        await first;
        await turns(s.clock);
      }
    }
    assert.ok(freed);
    const covered = s.pool.placementDecisions().get('past its patience, asked again: a start under way covers it');
    assert.equal(s.created.length, 3, `two starts for the two waiters left, no third (decisions: ${JSON.stringify([...s.pool.placementDecisions()])})`);
    assert.equal(covered, 1);
    env.reply();
    assert.equal((await a).start, 'warm');
    await s.clock.advance(50);
    await turns(s.clock);
    // b and c run warm on whichever frees or finishes starting first.
    for (const e of s.created) if (e.pending) e.reply();
    assert.deepEqual([(await b).start, (await c).start], ['warm', 'warm']);
  } finally {
    await s.pool.close();
  }
});

test('pool host-aware: an environment started for the queue that fails to initialize sends the waiter to start its own (and meet the error)', async () => {
  const s = setup();
  try {
    const env = await warmUp(s);
    const first = s.run();
    await turns(s.clock);
    const second = s.run();
    await turns(s.clock);
    s.signal(ROOM);
    await s.clock.advance(4);
    await turns(s.clock);
    assert.equal(s.created.length, 2);
    // The fake's 50 ms timer would report success: fail it first.
    s.created[1]!.initDone(false);
    await turns(s.clock);
    assert.equal(s.created.length, 3, 'the woken request started its own environment');
    await s.clock.advance(50);
    await turns(s.clock);
    s.created[2]!.reply();
    assert.deepEqual(await second, { id: s.created[2]!.id, start: 'cold' });
    env.reply();
    await first;
  } finally {
    await s.pool.close();
  }
});

test('pool host-aware: CPUs with room, or the setting off (Lambda), start a new environment at once', async () => {
  for (const [enabled, saturation] of [[true, ROOM], [false, SATURATED]] as const) {
    const s = setup(enabled);
    try {
      s.signal(saturation);
      const env = await warmUp(s);
      const first = s.run();
      await turns(s.clock);
      const second = s.run();
      await turns(s.clock);
      assert.equal(s.created.length, 2, `enabled=${enabled}`);
      env.reply();
      await first;
      await s.clock.advance(50);
      await turns(s.clock);
      s.created[1]!.reply();
      assert.equal((await second).start, 'cold');
    } finally {
      await s.pool.close();
    }
  }
});

test('pool host-aware: on saturated CPUs at most activePerCpu × CPUs environments run at once; the next request queues though one sits idle', async () => {
  const s = setup();
  try {
    // Three environments (cold, concurrently: no figures yet, so nobody waits), then a warm run for the figures.
    const cold = [s.run(), s.run(), s.run()];
    await s.clock.advance(50);
    await turns(s.clock);
    for (const e of s.created) e.reply();
    await Promise.all(cold);
    const warm = s.run();
    await turns(s.clock);
    await s.clock.advance(2);
    s.created.find((e) => e.pending)!.reply();
    await warm;
    // Two run (1 CPU × 2)…
    const a = s.run();
    const b = s.run();
    await turns(s.clock);
    const running = s.created.filter((e) => e.pending);
    assert.equal(running.length, 2);
    // …the third waits, though an environment is idle, and gets the first that frees up.
    const c = s.run();
    await turns(s.clock);
    assert.equal(s.created.filter((e) => e.pending).length, 2);
    running[0]!.reply();
    await a;
    await turns(s.clock);
    assert.ok(running[0]!.pending, 'the freed environment took the waiting request');
    running[0]!.reply();
    running[1]!.reply();
    assert.deepEqual(await c, { id: running[0]!.id, start: 'warm' });
    await b;
    assert.equal(s.created.length, 3);
  } finally {
    await s.pool.close();
  }
});

test('pool host-aware: while the CPUs stay saturated by short invocations, a request past its patience stays queued — no start that would slow the running ones', async () => {
  const s = setup();
  try {
    const env = await warmUp(s);
    const first = s.run();
    await turns(s.clock);
    const second = s.run();
    await turns(s.clock);
    // Patient for 4 ms, asked again (still saturated, 2 ms runs): patient again, ten times over
    // (within 50 ms: an invocation running longer would count as turned sleeper).
    for (let i = 0; i < 10; i++) await s.clock.advance(4);
    await turns(s.clock);
    assert.equal(s.created.length, 1);
    env.reply();
    await first;
    await turns(s.clock);
    env.reply();
    assert.deepEqual(await second, { id: env.id, start: 'warm' });
    assert.ok([...s.pool.placementDecisions().keys()].some((k) => k.startsWith('wait:')));
  } finally {
    await s.pool.close();
  }
});

test('pool host-aware: time the runtime waited for a CPU is not the handler\'s — an 80 ms invocation that waited 79 ms counts as short and is queued behind', async () => {
  // Starts take 300 ms here (a loaded host): waiting 80 ms for a busy one beats a start.
  for (const waited of [79, 0]) {
    const s = setup(true, 300);
    try {
      const env = await warmUp(s, 300);
      // Sixteen warm invocations (every recent one: warmUp's 2 ms falls out of the figures) of
      // 80 ms wall time, `waited` of it on the run queue.
      for (let i = 0; i < 16; i++) {
        const r = s.run();
        await turns(s.clock);
        await s.clock.advance(80);
        env.runQueueWait = (env.runQueueWait ?? 0) + waited;
        env.reply();
        await r;
      }
      const first = s.run();
      await turns(s.clock);
      const second = s.run();
      await turns(s.clock);
      if (waited > 0) assert.equal(s.created.length, 1, 'own time 1 ms: the second request queues for the busy environment');
      else assert.equal(s.created.length, 2, 'own time 80 ms (a sleeper): the second request gets a new environment');
      env.reply();
      await first;
      await turns(s.clock);
      if (waited > 0) {
        env.reply();
        assert.equal((await second).start, 'warm');
      } else {
        await s.clock.advance(300);
        await turns(s.clock);
        s.created[1]!.reply();
        assert.equal((await second).start, 'cold');
      }
    } finally {
      await s.pool.close();
    }
  }
});
