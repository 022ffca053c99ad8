import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { arns, createFixture, ok, type Fixture } from './helpers/async-fixture.js';
import { createAsyncInvocation, type AsyncInvocation } from '../../src/invoke/async/async-invocation.js';
import { until } from '../helpers/until.js';

let fx: Fixture;
let path: AsyncInvocation | undefined;
afterEach(async () => {
  await path?.pollers.stop();
  path = undefined;
  fx.close();
});


let seq = 0;
const uuid = () => `00000000-0000-4000-9000-${String(++seq).padStart(12, '0')}`;

/** An echo function that records its peak concurrency, and a pipeline with burst settings. */
function burstPipeline(opts: { pollers: number; burstInFlight: number; handlerMs: number }): { peak: () => number; resetPeak: () => void } {
  fx = createFixture({ manualClock: true });
  fx.addFunction('echo');
  let running = 0;
  let peak = 0;
  fx.invoker.behaviours.set('echo', async (req) => {
    peak = Math.max(peak, ++running);
    await sleep(opts.handlerMs);
    running--;
    return ok(req, req.payload);
  });
  path = createAsyncInvocation({
    queue: fx.queue,
    store: fx.store,
    targets: fx.functions,
    invoker: fx.invoker,
    arns,
    clock: fx.clock,
    uuid,
    log: () => {},
    timeScale: 0.001,
    options: { pollers: opts.pollers, batchSize: 5, visibilityMs: 60_000, idlePollMs: 20, stopGraceMs: 1_000, burstRatePerSec: 10, burstBatchSize: 1, burstInFlight: opts.burstInFlight },
  });
  return { peak: () => peak, resetPeak: () => { peak = 0; } };
}

// The burst is measured on the injected clock: with the manual clock standing still, a burst
// detected stays a burst until the test moves the clock on.
test('async pollers: during an enqueue burst each poller keeps one event in flight, delivers them all, and the full batch returns after it', async () => {
  // burstInFlight above pollers × burstBatchSize: the per-poller limit is the one that binds.
  const p = burstPipeline({ pollers: 2, burstInFlight: 10, handlerMs: 10 });
  // 30 accepted at once through the API side: far above 10/s.
  await Promise.all(Array.from({ length: 30 }, (_, i) => path!.invoker.enqueue({ functionName: 'echo', payload: Buffer.from(`{"i":${i}}`) })));
  path!.pollers.start();
  await until(async () => (await path!.pollers.metrics()).succeeded === 30);
  assert.equal(p.peak(), 2, 'one event in flight per poller during the burst, never none');

  // The burst is over once its window has passed; events written without the API side's wake-up
  // (another writer) are found by the idle poll and leased a full batch at a time.
  fx.advance(1_000);
  p.resetPeak();
  await Promise.all(Array.from({ length: 10 }, (_, i) => fx.queue.enqueue({ requestId: uuid(), functionName: 'echo', qualifier: '$LATEST', payload: Buffer.from(`{"j":${i}}`), origin: 'invoke', enqueuedAt: fx.clock.now() })));
  await until(async () => (await path!.pollers.metrics()).succeeded === 40);
  assert.ok(p.peak() >= 5, `a poller leases up to its batch size (5) after the burst, peak ${p.peak()}`);
});

test('async pollers: with burstInFlight 1 the whole pool keeps one event in flight during an enqueue burst and still delivers them all', async () => {
  const p = burstPipeline({ pollers: 3, burstInFlight: 1, handlerMs: 5 });
  await Promise.all(Array.from({ length: 20 }, (_, i) => path!.invoker.enqueue({ functionName: 'echo', payload: Buffer.from(`{"i":${i}}`) })));
  path!.pollers.start();
  await until(async () => (await path!.pollers.metrics()).succeeded === 20);
  assert.equal(p.peak(), 1, 'one event in flight for the whole pool during the burst, never none');
});
