import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DELIVERY_LIMIT, DeliveryLimit } from '../../src/invoke/async/delivery-limit.js';

const settings = { ...DEFAULT_DELIVERY_LIMIT, max: 40, initial: 40 };

/**
 * Feeds `n` deliveries with the pollers using the whole limit; `durationAt(inFlight)` models the
 * host: a CPU-bound handler on `cpus` CPUs takes its own time × inFlight / cpus once they are
 * shared, a sleeper takes its sleep whatever runs beside it.
 */
function run(limit: DeliveryLimit, n: number, durationAt: (inFlight: number, i: number) => number, used = (l: number) => l, saturated = () => true): number[] {
  const seen: number[] = [];
  for (let i = 0; i < n; i++) {
    const inFlight = used(limit.value);
    limit.observe(durationAt(inFlight, i), inFlight, saturated);
    seen.push(limit.value);
  }
  return seen;
}
const cpuBound = (ownMs: number, cpus: number) => (inFlight: number) => ownMs * Math.max(1, inFlight / cpus);

test('delivery limit: a CPU-bound handler on one CPU comes down from 40 in flight to a handful within a few hundred deliveries, and stays there', () => {
  const limit = new DeliveryLimit(settings);
  const seen = run(limit, 2000, cpuBound(1.5, 1));
  const settledAt = seen.findIndex((v) => v <= 6);
  assert.ok(settledAt >= 0 && settledAt < 300, `settled at delivery ${settledAt}`);
  // Probes (1 in flight, a few deliveries each window) aside.
  const tail = seen.slice(1000).filter((v) => v > 1);
  assert.ok(Math.max(...tail) <= 5 && Math.min(...tail) >= 2, `tail between ${Math.min(...tail)} and ${Math.max(...tail)}`);
});

test('delivery limit: on two CPUs the same handler keeps more in flight', () => {
  const one = run(new DeliveryLimit(settings), 3000, cpuBound(1.5, 1)).slice(1000).filter((v) => v > 1);
  const two = run(new DeliveryLimit(settings), 3000, cpuBound(1.5, 2)).slice(1000).filter((v) => v > 1);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(mean(two) >= mean(one) + 0.9, `one CPU ${mean(one)}, two ${mean(two)}`);
});

test('delivery limit: a handler waiting on I/O (200 ms whatever runs beside it) keeps every delivery in flight', () => {
  const seen = run(new DeliveryLimit(settings), 5000, () => 200);
  // The first probe (3 deliveries at 1 in flight), then every delivery at 40: no probes while uncontended at the maximum.
  assert.deepEqual(seen.slice(0, 3), [1, 1, 40]);
  assert.ok(seen.slice(2).every((v) => v === 40));
});

test('delivery limit: a handler that turns from CPU-bound to waiting on I/O gets its deliveries back', () => {
  const limit = new DeliveryLimit(settings);
  run(limit, 1500, cpuBound(1.5, 1));
  assert.ok(limit.limit <= 5);
  // Its no-load figure follows it up within two windows (the probes see 150 ms); then the limit climbs.
  run(limit, 5000, () => 150);
  assert.equal(limit.value, 40);
});

test('delivery limit: never below min, never above max; a limit the pollers leave unused does not grow', () => {
  const limit = new DeliveryLimit({ ...settings, initial: 4, min: 2 });
  // Thrashing: every delivery more in flight slows all of them down more than linearly.
  const seen = run(limit, 3000, (n) => 1.5 * n * n);
  assert.equal(Math.min(...seen), 2);
  assert.ok(seen.slice(500).every((v) => v <= 4), 'kept near the minimum');
  const sleepers = run(new DeliveryLimit({ ...settings, initial: 30 }), 3000, () => 100);
  assert.equal(Math.max(...sleepers), 40);
  const idle = new DeliveryLimit({ ...settings, initial: 4 });
  // Only one event at a time to deliver: the limit of 4 is never used, so nothing says 5 would help.
  run(idle, 500, () => 3, () => 1);
  assert.equal(idle.limit, 4);
});

test('delivery limit: without probes a minimum taken under load would drift up with the limit — each window\'s probe keeps it at the no-load figure', () => {
  const limit = new DeliveryLimit(settings);
  run(limit, 10_000, cpuBound(1.5, 1));
  assert.equal(limit.noLoadMs, 1.5);
  assert.ok(limit.limit <= 5, `limit ${limit.limit} after 10,000 deliveries`);
});

test('delivery limit: durations that vary by themselves (1 ms cache hits, 300 ms remote calls) do not bring it down while the CPUs have room', () => {
  const variable = (_: number, i: number) => (i % 3 === 0 ? 300 : 1);
  const limit = new DeliveryLimit(settings);
  const idleCpus = run(limit, 3000, variable, (l) => l, () => false);
  // (Probes aside: 3 deliveries at 1 in flight per window of 1,000.)
  assert.ok(idleCpus.filter((v) => v !== 1).every((v) => v === 40), 'kept at 40');
  assert.equal(limit.limit, 40);
  // Durations alone would have read that as queueing.
  const durationsAlone = run(new DeliveryLimit(settings), 3000, variable);
  assert.ok(Math.min(...durationsAlone.slice(500)) < 10);
});
