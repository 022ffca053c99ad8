import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { arns, createFixture, ok, unhandled, type Fixture } from './helpers/async-fixture.js';
import type { AsyncInvocation } from '../../src/invoke/async/async-invocation.js';
import { until } from '../helpers/until.js';

let fx: Fixture;
let path: AsyncInvocation | undefined;
beforeEach(() => { fx = createFixture(); });
afterEach(async () => {
  await path?.pollers.stop();
  path = undefined;
  fx.close();
});


/** A queue double holding `n` events that records the size of every lease asked for. */
function countingQueue(n: number) {
  const waiting = Array.from({ length: n }, (_, i) => `e${i}`);
  const leases: number[] = [];
  const queue = {
    lease: async ({ max }: { max: number }) => {
      leases.push(max);
      return waiting.splice(0, max).map((id) => ({ event: { requestId: id }, leaseToken: 't', leaseUntil: 0 }));
    },
    extend: async () => 0,
    stats: async () => ({ ready: waiting.length, delayed: 0, inFlight: 0 }),
    nextVisibleAt: async () => undefined,
  };
  return { queue, leases };
}

test('async pollers: every enqueued event is invoked once, concurrently, and the queue drains', async () => {
  fx.addFunction('echo');
  let running = 0;
  let peak = 0;
  fx.invoker.behaviours.set('echo', async (req) => {
    peak = Math.max(peak, ++running);
    await sleep(20);
    running--;
    return ok(req, req.payload);
  });
  path = fx.pipeline({ timeScale: 0.001, pollers: 2, batchSize: 5 });
  path.pollers.start();
  const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => path!.invoker.enqueue({ functionName: 'echo', payload: Buffer.from(`{"i":${i}}`) })));
  await until(async () => (await path!.pollers.metrics()).succeeded === 40);
  const seen = fx.invoker.callsTo('echo').map((c) => c.requestId).sort();
  assert.deepEqual(seen, ids.map((r) => r.requestId).sort());
  assert.ok(peak > 1 && peak <= 10, `concurrency ${peak} within pollers × batchSize`);
  const m = await path.pollers.metrics();
  assert.deepEqual({ ready: m.ready, delayed: m.delayed, inFlight: m.inFlight, running: m.running }, { ready: 0, delayed: 0, inFlight: 0, running: 0 });
});

test('async pollers: failures are retried on the scaled schedule and the record reaches the OnFailure function', async () => {
  fx.addFunction('fails');
  fx.addFunction('sink');
  fx.putEventInvokeConfig('fails', '$LATEST', { OnFailure: arns.function('sink') });
  const times: number[] = [];
  fx.invoker.behaviours.set('fails', (req) => { times.push(Date.now()); return unhandled(req); });
  path = fx.pipeline({ timeScale: 0.001 });
  path.pollers.start();
  const { requestId } = await path.invoker.enqueue({ functionName: 'fails', payload: Buffer.from('{"a":1}') });
  await until(() => fx.invoker.callsTo('sink').length === 1);
  assert.equal(times.length, 3);
  assert.ok(times[1]! - times[0]! >= 60, `first retry after ≥ 60 ms, got ${times[1]! - times[0]!}`);
  assert.ok(times[2]! - times[1]! >= 120, `second retry after ≥ 120 ms, got ${times[2]! - times[1]!}`);
  const record = JSON.parse(fx.invoker.callsTo('sink')[0]!.payload.toString());
  assert.equal(record.requestContext.requestId, requestId);
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, 3);
  assert.equal(fx.invoker.callsTo('sink')[0]!.async, true);
});

test('async pollers: an invocation longer than the visibility timeout keeps its lease (heartbeat) and runs once', async () => {
  fx.addFunction('slow');
  fx.invoker.behaviours.set('slow', async (req) => { await sleep(700); return ok(req, '{}'); });
  path = fx.pipeline({ timeScale: 0.001, visibilityMs: 200 });
  path.pollers.start();
  await path.invoker.enqueue({ functionName: 'slow', payload: Buffer.from('{}') });
  await until(async () => (await path!.pollers.metrics()).succeeded === 1);
  assert.equal(fx.invoker.callsTo('slow').length, 1);
  assert.equal((await path.pollers.metrics()).leaseLost, 0);
});

test('async pollers: events left leased by a stopped pool are delivered by the next one after the visibility timeout', async () => {
  fx.addFunction('slow');
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  fx.invoker.behaviours.set('slow', async (req, nth) => { if (nth === 1) await gate; return ok(req, '{}'); });
  const first = fx.pipeline({ timeScale: 0.001, visibilityMs: 300 });
  first.pollers.start();
  const { requestId } = await first.invoker.enqueue({ functionName: 'slow', payload: Buffer.from('{}') });
  await until(() => fx.invoker.callsTo('slow').length === 1);
  await first.pollers.stop(); // grace runs out: the invocation is abandoned, its lease left to expire
  path = fx.pipeline({ timeScale: 0.001, visibilityMs: 300 });
  path.pollers.start();
  await until(async () => (await path!.pollers.metrics()).succeeded === 1);
  assert.deepEqual(fx.invoker.callsTo('slow').map((c) => c.requestId), [requestId, requestId]);
  release();
});

test('async pollers: a poller still holding half its batch or more waits for room before leasing again (one lease per half batch, not per delivery)', async () => {
  const { AsyncPollerPool } = await import('../../src/invoke/async/async-poller-pool.js');
  const { queue, leases } = countingQueue(40);
  const finish: Array<() => void> = [];
  const handler = { handle: () => new Promise<'succeeded'>((resolve) => finish.push(() => resolve('succeeded'))) };
  const pool = new AsyncPollerPool({
    queue: queue as never, handler: handler as never, clock: { now: () => Date.now(), monotonic: () => performance.now() }, log: () => undefined,
    options: { pollers: 1, batchSize: 10, visibilityMs: 60_000, idlePollMs: 50, stopGraceMs: 0 },
  });
  pool.start();
  try {
    await until(() => finish.length === 10);
    assert.deepEqual(leases, [10]);
    for (let i = 0; i < 4; i++) finish.shift()!();
    await sleep(30);
    assert.deepEqual(leases, [10], 'four free slots of ten: no lease yet');
    finish.shift()!();
    await until(() => leases.length === 2);
    assert.deepEqual(leases, [10, 5], 'five free: one lease for all five');
  } finally {
    for (const f of finish) f();
    await pool.stop();
  }
});

test('async pollers: adaptive — deliveries that only share a CPU bring the pool from 40 in flight to a handful; deliveries waiting on I/O keep all 40', async () => {
  const { AsyncPollerPool } = await import('../../src/invoke/async/async-poller-pool.js');
  const { DEFAULT_DELIVERY_LIMIT } = await import('../../src/invoke/async/delivery-limit.js');
  const turns = async () => { for (let i = 0; i < 6; i++) await new Promise((r) => setImmediate(r)); };
  for (const kind of ['cpu', 'io'] as const) {
    let waiting = 1500;
    let t = 0;
    const queue = {
      lease: async ({ max }: { max: number }) => {
        const n = Math.min(max, waiting);
        waiting -= n;
        return Array.from({ length: n }, (_, i) => ({ event: { requestId: `${kind}${waiting + i}` }, leaseToken: 't', leaseUntil: 0 }));
      },
      extend: async () => 0,
      stats: async () => ({ ready: waiting, delayed: 0, inFlight: 0 }),
      nextVisibleAt: async () => undefined,
    };
    // Oldest first; each step of the fake clock is one delivery's worth of CPU (1.5 ms) on one
    // CPU shared by all in flight (`cpu`), or 200 ms of waiting whatever runs beside it (`io`).
    const running: Array<{ started: number; done: () => void }> = [];
    const handler = { handle: () => new Promise<'succeeded'>((resolve) => running.push({ started: t, done: () => resolve('succeeded') })) };
    const pool = new AsyncPollerPool({
      queue: queue as never, handler: handler as never, clock: { now: () => t, monotonic: () => t }, log: () => undefined,
      options: { pollers: 4, batchSize: 10, visibilityMs: 60_000, idlePollMs: 50, stopGraceMs: 0, adaptive: DEFAULT_DELIVERY_LIMIT },
      // The CPUs saturated while deliveries share them; idle while they sleep.
      cpu: { cpus: 1, degraded: undefined, read: () => ({ runnablePerCpu: kind === 'cpu' ? running.length : 0.2 }) },
    });
    pool.start();
    const inFlight: number[] = [];
    try {
      for (let done = 0; done < 1400; done++) {
        await turns();
        inFlight.push(running.length);
        const next = running.shift()!;
        t = kind === 'cpu' ? t + 1.5 : Math.max(t, next.started + 200);
        next.done();
      }
    } finally {
      for (const r of running) r.done();
      await pool.stop();
    }
    const late = inFlight.slice(1000);
    if (kind === 'cpu') assert.ok(Math.max(...late) <= 6, `in flight late in the drain: up to ${Math.max(...late)}`);
    // (Pollers lease again at half a batch free: 36 to 40.)
    else assert.ok(Math.min(...late) >= 30, `in flight late in the drain: down to ${Math.min(...late)}`);
  }
});

test('async pollers: a slot frees when the function returns, before its acknowledgement is written, so the next lease can carry that write', async () => {
  const { AsyncPollerPool } = await import('../../src/invoke/async/async-poller-pool.js');
  const { queue, leases } = countingQueue(10);
  const invoked: Array<() => void> = [];
  const settle: Array<() => void> = [];
  const handler = {
    handle: (_lease: unknown, onInvoked?: () => void) => new Promise<'succeeded'>((resolve) => {
      invoked.push(() => onInvoked?.());
      settle.push(() => resolve('succeeded'));
    }),
  };
  const pool = new AsyncPollerPool({
    queue: queue as never, handler: handler as never, clock: { now: () => Date.now(), monotonic: () => performance.now() }, log: () => undefined,
    options: { pollers: 1, batchSize: 2, visibilityMs: 60_000, idlePollMs: 50, stopGraceMs: 0 },
  });
  pool.start();
  try {
    await until(() => leases.length === 1 && invoked.length === 2);
    // Both functions return; their outcomes are not written yet (an ack the queue holds back).
    invoked.shift()!();
    invoked.shift()!();
    await until(() => leases.length === 2);
    assert.deepEqual(leases, [2, 2], 'the next two leased while the first two still settle');
    assert.equal((await pool.metrics()).running, 4, 'settling leases are still held (and extended)');
  } finally {
    for (const s of settle) s();
    await pool.stop();
  }
});
