import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PublishVersionCommand, PutFunctionConcurrencyCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { waitSettled } from '../../helpers/functions.js';
import { pooled } from './harness.js';
import { fc, skip, wired, S5_INVOKES, EPSILON, WORKER_CAPACITY, sleep } from './fault-suite.js';
import { environmentsServingTwoVersions, maxConcurrency, overlappingRunsInOneEnvironment, spread } from './invariants.js';

/** Fault tests: placement and counting (CLUSTER.md S5, S8, "always"); the cluster: ./fault-suite.ts. */

test('S8: reserved concurrency is never exceeded with 2 api nodes (from the function\'s own start/end reports)', { skip, timeout: 90_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
  await f.deployProbe('s8');
  await f.lambda('api1').send(new PutFunctionConcurrencyCommand({ FunctionName: 's8', ReservedConcurrentExecutions: 3 }));
  await sleep(1_000); // config caches refresh every 100 ms (a bounded propagation, as Lambda's)
  await pooled(40, 40, (i) => f.invoke(i % 2 ? 'api2' : 'api1', 's8', `s8-${i}`, { sleepMs: 400 }));
  const ops = f.history.ops.filter((o) => o.id.startsWith('s8-'));
  const { max } = maxConcurrency(f.history.reports(), 's8');
  assert.ok(max <= 3, `at most 3 concurrent runs, saw ${max}; ${f.history.summary()}`);
  assert.ok(ops.some((o) => o.outcome === 'ok'), 'some invokes ran');
  const failures = ops.filter((o) => o.outcome !== 'ok');
  assert.ok(failures.length > 0, 'with 40 concurrent callers and 3 reserved, some are throttled');
  assert.deepEqual(failures.filter((o) => o.status !== 429).map((o) => o.error), [], 'beyond the limit: TooManyRequestsException (429), nothing else');
});

test('always: an environment never serves two versions, nor two requests at once', { skip, timeout: 90_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
  await f.deployProbe('ver');
  const c = f.lambda('api1');
  const v1 = (await c.send(new PublishVersionCommand({ FunctionName: 'ver' }))).Version!;
  await c.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ver', Environment: { Variables: { REPORT_FILE: f.reportFile, PROBE_MARK: '2' } } }));
  await waitSettled(c, 'ver');
  const v2 = (await c.send(new PublishVersionCommand({ FunctionName: 'ver' }))).Version!;
  await pooled(40, 8, (i) => f.invoke(i % 2 ? 'api2' : 'api1', 'ver', `ver-${i}`, {}, [v1, v2, '$LATEST'][i % 3]));
  const reports = f.history.reports().filter((r) => r.fn === 'ver');
  assert.deepEqual(new Set(reports.map((r) => r.version)), new Set([v1, v2, '$LATEST']));
  assert.deepEqual(environmentsServingTwoVersions(reports), []);
  assert.deepEqual(overlappingRunsInOneEnvironment(reports), []);
});

test(`S5: ${S5_INVOKES} concurrent first invokes: all placed (spilling past full workers), spread within (1 + ${EPSILON}) of the mean`, { skip, timeout: 200_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
  await f.deployProbe('s5', {}, { shell: true });
  // Starting 1,000 environments on 2 cores takes tens of seconds: an upper bound, not a speed test.
  const began = Date.now();
  await pooled(S5_INVOKES, S5_INVOKES, (i) => f.invoke(i % 2 ? 'api2' : 'api1', 's5', `s5-${i}`, { sleepMs: 2_000 }, undefined, 120_000));
  t.diagnostic(`${S5_INVOKES} first invokes answered within ${Date.now() - began} ms`);
  const reports = f.history.reports().filter((r) => r.fn === 's5');
  const failed = f.history.ops.filter((o) => o.id.startsWith('s5-') && o.outcome !== 'ok');
  assert.deepEqual(failed.map((o) => `${o.status} ${o.error}`).slice(0, 5), [], `every first invoke placed (capacity ${WORKER_CAPACITY} per worker); ${f.history.summary()}`);
  const s = spread(reports, f.workers.map((w) => w.ip), EPSILON);
  t.diagnostic(`environments per worker ${JSON.stringify(s.perWorker)}, mean ${s.mean}`);
  assert.ok(s.within, `environments per worker ${JSON.stringify(s.perWorker)} within ${1 + EPSILON} × mean ${s.mean}`);
});

test('always, over the whole run: no environment served two versions or two requests at once', { skip }, (t) => {
  if (!wired(t)) return;
  const f = fc();
  const reports = f.history.reports();
  assert.ok(reports.length > 100, `${reports.length} runs reported`);
  assert.deepEqual(environmentsServingTwoVersions(reports), []);
  assert.deepEqual(overlappingRunsInOneEnvironment(reports), []);
});
