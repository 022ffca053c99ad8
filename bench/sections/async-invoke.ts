import type { BenchOptions } from '../lib/options.js';
import { round } from '../lib/stats.js';
import type { LoadRunner } from '../load/load-runner.js';
import { WARM_MEMORY_MB, clientFor, createHello, type FlintReady } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD } from '../flint/hello-function.js';
import { signedInvokeJob } from '../flint/invoke-request.js';

export interface AsyncResults {
  events: number;
  concurrency: number;
  /** Event invocations answered 202 per second (each durable before its 202). */
  enqueuePerSec: number;
  /** Events executed per second, first enqueue → last one finished by the pollers. */
  deliveredPerSec: number;
  enqueueErrors: number;
  /** Events the pollers finished (equals the accepted ones unless the wait — 120 s, 20 s with --tiny — ran out). */
  delivered: number;
  firstError?: string;
  /** Seconds from the last 202 until the queue had delivered everything. */
  drainTailSec: number;
  /** CPU ms of the server tree per accepted event while enqueuing (deliveries running meanwhile included). */
  serverCpuMsPerEvent: number;
  /** The same for the server process alone (the API side and the pollers, without the environments). */
  frontCpuMsPerEvent?: number;
  /** Events the pollers finished while the enqueue measurement ran (they are held back during a burst). */
  deliveredDuringEnqueue?: number;
}

const FUNCTION = 'bench-async';
const CONCURRENCY = 32;

interface QueueMetrics { succeeded: number; ready: number; inFlight: number; dropped: number }

/**
 * Async Invoke: after a warm-up burst, N `Event` invocations from the load generators at c=32
 * (pre-signed), then the pollers' progress from GET /metrics/async-queue until all N have run.
 */
export async function runAsync(deps: { opts: BenchOptions; runner: LoadRunner; flint: FlintReady; flintPid: number }): Promise<AsyncResults> {
  const { opts, runner, flint, flintPid } = deps;
  const client = clientFor(flint);
  await createHello(client, FUNCTION, 'node', { memoryMb: WARM_MEMORY_MB });
  client.destroy();
  // Warm-up: the pollers run up to 40 events at once, and the first burst starts that many
  // environments; measured events should find them warm, and the server's Event path compiled, as
  // a steady stream would (not in --tiny). 400 events left both cold: the same server measured
  // 3,556 events/s after 400 and 5,180-5,597 after 2,000 (and 5,442-5,947 over 20,000 events).
  const warmup = opts.tiny ? 0 : Math.min(2000, opts.asyncEvents);
  const primed = await metrics(flint);
  await runner.measure(signedInvokeJob(flint, FUNCTION, HELLO_PAYLOAD, { warmupMs: 0, durationMs: 0 }, 'Event'), CONCURRENCY, { totalRequests: warmup });
  await waitDelivered(flint, primed.succeeded + warmup, Date.now() + 60_000);
  const before = await metrics(flint);
  const t0 = performance.now();
  const m = await runner.measure(signedInvokeJob(flint, FUNCTION, HELLO_PAYLOAD, { warmupMs: 0, durationMs: 0 }, 'Event'), CONCURRENCY, {
    totalRequests: opts.asyncEvents,
    serverPids: [flintPid],
  });
  const enqueued = performance.now();
  const duringEnqueue = await metrics(flint);
  // The load generators start 150 ms after the call (a common start time): not part of the figure.
  const start = t0 + 150;
  // Events whose first run failed come back after Lambda's one-minute retry delay: not waited for.
  const now = await waitDelivered(flint, before.succeeded + m.ok, Date.now() + (opts.tiny ? 20_000 : 120_000));
  const delivered = performance.now();
  const count = now.succeeded - before.succeeded;
  return {
    events: opts.asyncEvents,
    concurrency: CONCURRENCY,
    enqueuePerSec: Math.round(m.ok / (m.wallMs / 1000)),
    deliveredPerSec: Math.round(count / ((delivered - start) / 1000)),
    enqueueErrors: m.errors,
    delivered: count,
    firstError: m.firstError,
    drainTailSec: round((delivered - enqueued) / 1000, 2),
    serverCpuMsPerEvent: m.serverCpuMsPerReq,
    frontCpuMsPerEvent: m.frontCpuMsPerReq,
    deliveredDuringEnqueue: duringEnqueue.succeeded - before.succeeded,
  };
}

async function metrics(flint: FlintReady): Promise<QueueMetrics> {
  const r = await fetch(`${flint.endpoint}/metrics/async-queue`);
  if (!r.ok) throw new Error(`GET /metrics/async-queue answered ${r.status}`);
  return (await r.json()) as QueueMetrics;
}

async function waitDelivered(flint: FlintReady, succeeded: number, deadline: number): Promise<QueueMetrics> {
  let now = await metrics(flint);
  while (now.succeeded < succeeded && Date.now() < deadline) {
    // Every 50 ms, not 10: each poll counts the whole queue table on the server (a drain profile
    // showed 10 ms polling taking 6.6% of the server's time); the rate's error stays under 1 %.
    await new Promise((r) => setTimeout(r, 50));
    now = await metrics(flint);
  }
  return now;
}
