import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PublishVersionCommand, PutFunctionConcurrencyCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { SchedulerClient, CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ROLE } from '../../helpers/flint-harness.js';
import { waitSettled } from '../../helpers/functions.js';
import { faultSkipReason, notWiredReason, startFaultCluster, eventually, pooled, type FaultCluster } from './harness.js';
import { asyncDelivery, environmentsServingTwoVersions, invokeOutcomesAfter, maxConcurrency, overlappingRunsInOneEnvironment, runsOnAfter, scheduleFirings, spread } from './invariants.js';

/**
 * Fault tests of issue 16 (CLUSTER.md S1, S2, S4, S5, S7, S8 and "always"): PostgreSQL and
 * 2 api, 3 worker and 1 poller Flint nodes in network-namespace hosts, one cluster for the file
 * (destructive steps restart what they break). Each test records the operations and the
 * function's own reports (./history.ts) and checks invariants (./invariants.ts), not timings:
 * the waits below are upper bounds for something to happen, never assertions on speed.
 */
const skip = faultSkipReason();
/** The membership lease (CLUSTER.md: heartbeat 1 s, lease 5 s) plus a margin for a loaded host. */
const LEASE_MS = 5_000;
const MARGIN_MS = 3_000;
/** CLUSTER.md asks for 1,000; this 2-core shared machine runs 60 by default (FAULT_S5_INVOKES sets it). */
const S5_INVOKES = Number(process.env['FAULT_S5_INVOKES'] ?? 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let f: FaultCluster;
/** Set when this build answers the cluster start with "not wired yet": every test skips with it. */
let notWired: string | undefined;

before(async () => {
  if (skip) return;
  try {
    f = await startFaultCluster({ prefix: `ff${(process.pid % 1296).toString(36)}`, workerCapacity: 48 });
  } catch (err) {
    notWired = notWiredReason(err);
    if (!notWired) throw err;
  }
}, { timeout: 240_000 });
after(async () => { await f?.stop(); });

/** Skips the test when the roles are not wired (known only once the start was tried). */
function wired(t: TestContext): boolean {
  if (notWired) t.skip(notWired);
  return !notWired;
}

/** Restarts node `name` if it is down and waits until its members row holds a live lease. */
async function revive(name: string): Promise<void> {
  const n = f.cluster.node(name);
  if (!n.child || n.child.exitCode !== null || n.child.signalCode !== null) await f.cluster.startNode(name);
  assert.ok(await eventually(async () => (await f.sql(`SELECT 1 FROM members WHERE address LIKE $1 AND state = 'active' AND lease_expires_at > now()`, [`${n.ip}:%`])).length > 0, 20_000), `${name} rejoined`);
}

test('S8: reserved concurrency is never exceeded with 2 api nodes (from the function\'s own start/end reports)', { skip, timeout: 90_000 }, async (t) => {
  if (!wired(t)) return;
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

test(`S5: ${S5_INVOKES} concurrent first invokes spread over the workers within (1 + 0.25) of the mean`, { skip, timeout: 110_000 }, async (t) => {
  if (!wired(t)) return;
  await f.deployProbe('s5');
  await pooled(S5_INVOKES, S5_INVOKES, (i) => f.invoke(i % 2 ? 'api2' : 'api1', 's5', `s5-${i}`, { sleepMs: 2_000 }));
  const reports = f.history.reports().filter((r) => r.fn === 's5');
  const s = spread(reports, f.workers.map((w) => w.ip), 0.25);
  assert.ok(reports.length >= S5_INVOKES * 0.9, `most first invokes ran: ${reports.length}; ${f.history.summary()}`);
  assert.ok(s.within, `environments per worker ${JSON.stringify(s.perWorker)} within 1.25 × mean ${s.mean}`);
});

test('S2: a worker cut off from PostgreSQL (but not from the api nodes) accepts nothing after its lease expires', { skip, timeout: 90_000 }, async (t) => {
  if (!wired(t)) return;
  const fns = ['s2a', 's2b', 's2c', 's2d', 's2e', 's2f'];
  for (const fn of fns) await f.deployProbe(fn);
  await pooled(fns.length * 3, 6, (i) => f.invoke('api1', fns[i % fns.length]!, `s2-warm-${i}`));
  const w2 = f.cluster.node('w2');
  f.history.fault('partition w2 from pg');
  f.cluster.hosts.partition('w2', ['pg']);
  // Its lease ends in PostgreSQL's view; the worker fences itself by its own clock by then.
  assert.ok(await eventually(async () => (await f.sql(`SELECT 1 FROM members WHERE address LIKE $1 AND lease_expires_at > now()`, [`${w2.ip}:%`])).length === 0, LEASE_MS + MARGIN_MS * 2), 'w2\'s lease expired');
  const fenced = Date.now();
  await pooled(fns.length * 5, 6, (i) => f.invoke(i % 2 ? 'api2' : 'api1', fns[i % fns.length]!, `s2-after-${i}`));
  const onW2 = runsOnAfter(f.history.reports(), w2.ip, fenced);
  assert.deepEqual(onW2.map((r) => r.id), [], 'no run started on the fenced worker');
  const after = invokeOutcomesAfter(f.history.ops.filter((o) => o.id.startsWith('s2-after-')), fenced);
  assert.deepEqual(after.failed.map((o) => o.error), [], 'invokes are routed to the other workers');
  f.cluster.hosts.heal('w2');
  await revive('w2');
});

test('S1: kill -9 a worker under sync and async load: no accepted async event lost, new sync invokes rerouted, in-flight ones fail with a service error', { skip, timeout: 115_000 }, async (t) => {
  if (!wired(t)) return;
  const fns = ['s1a', 's1b', 's1c', 's1d', 's1e', 's1f'];
  for (const fn of fns) await f.deployProbe(fn);
  let stop = false;
  let n = 0;
  const syncLoad = pooled(6, 6, async () => { while (!stop) { const i = n++; await f.invoke(i % 2 ? 'api2' : 'api1', fns[i % fns.length]!, `s1-sync-${i}`, { sleepMs: 50 }); } });
  let e = 0;
  const asyncLoad = (async () => { while (!stop) { const i = e++; await f.enqueue(i % 2 ? 'api2' : 'api1', fns[i % fns.length]!, `s1-async-${i}`); await sleep(50); } })();
  await sleep(3_000);
  f.history.fault('kill -9 w3');
  const killed = Date.now();
  f.cluster.hosts.kill('w3');
  await sleep(LEASE_MS + MARGIN_MS + 3_000);
  stop = true;
  await Promise.all([syncLoad, asyncLoad]);
  const w3 = f.cluster.node('w3');
  assert.deepEqual(runsOnAfter(f.history.reports(), w3.ip, killed + 1_000).map((r) => r.id), [], 'nothing ran on the dead worker');
  // Re-routed within the lease (+ a margin for this loaded host): every later sync invoke succeeds.
  const late = invokeOutcomesAfter(f.history.ops.filter((o) => o.id.startsWith('s1-sync-')), killed + LEASE_MS + MARGIN_MS);
  assert.ok(late.ok > 0, `sync invokes ran after the kill; ${f.history.summary()}`);
  assert.deepEqual(late.failed.map((o) => o.error), [], 'sync invokes after the lease are rerouted');
  // Those that failed around the kill failed as a service error (5xx), never as a client error or a hang.
  const failed = f.history.ops.filter((o) => o.id.startsWith('s1-sync-') && o.outcome !== 'ok');
  assert.deepEqual(failed.filter((o) => !(o.status !== undefined && o.status >= 500)).map((o) => `${o.status} ${o.error}`), []);
  // Accepted async events: all delivered (at least once) once the poller redelivers what the dead worker held.
  const s1Ops = f.history.ops.filter((o) => o.id.startsWith('s1-async-'));
  assert.ok(await eventually(() => asyncDelivery(s1Ops, f.history.reports()).lost.length === 0, 60_000, 500), `lost: ${asyncDelivery(s1Ops, f.history.reports()).lost.slice(0, 10).join(', ')}`);
  const d = asyncDelivery(s1Ops, f.history.reports());
  assert.ok(d.accepted > 20, `accepted ${d.accepted}`);
  assert.ok(d.duplicates <= d.accepted, `duplicates bounded: ${d.duplicates} of ${d.accepted}`);
  await revive('w3');
});

test('S4: PostgreSQL stopped 30 s: warm sync invokes keep working, async enqueue answers 5xx, clean recovery', { skip, timeout: 115_000 }, async (t) => {
  if (!wired(t)) return;
  await f.deployProbe('s4');
  await pooled(10, 2, (i) => f.invoke(i % 2 ? 'api2' : 'api1', 's4', `s4-warm-${i}`));
  f.history.fault('pause pg');
  f.cluster.hosts.pause('pg');
  const paused = Date.now();
  try {
    let i = 0;
    while (Date.now() - paused < 30_000) {
      await Promise.all([f.invoke(i % 2 ? 'api2' : 'api1', 's4', `s4-during-${i}`), i % 5 === 0 ? f.enqueue('api1', 's4', `s4-enq-during-${i}`) : undefined]);
      i++;
      await sleep(200);
    }
  } finally {
    f.cluster.hosts.resume('pg');
    f.history.fault('resume pg');
  }
  // Recovery: an enqueue is accepted again and delivered, the control plane answers.
  const recovered = await eventually(async () => (await f.enqueue('api2', 's4', `s4-enq-after-${Date.now()}`)).status === 202, 20_000, 1_000);
  const afterOps = f.history.ops.filter((o) => o.id.startsWith('s4-enq-after-'));
  const delivered = recovered && await eventually(() => asyncDelivery(afterOps, f.history.reports()).lost.length === 0, 20_000, 500);
  // Every finding at once, so that one broken property does not hide the others.
  const problems: string[] = [];
  const during = f.history.ops.filter((o) => o.id.startsWith('s4-during-'));
  const failedDuring = during.filter((o) => o.outcome !== 'ok');
  if (failedDuring.length > 0) problems.push(`${failedDuring.length} of ${during.length} warm sync invokes failed while PostgreSQL was stopped (first: ${failedDuring[0]!.status} ${failedDuring[0]!.error})`);
  const enq = f.history.ops.filter((o) => o.id.startsWith('s4-enq-during-'));
  const not5xx = enq.filter((o) => !(o.status !== undefined && o.status >= 500));
  if (not5xx.length > 0) problems.push(`${not5xx.length} of ${enq.length} enqueues did not answer 5xx (first: ${not5xx[0]!.status ?? 'no answer'} ${not5xx[0]!.error ?? ''})`);
  if (!recovered) problems.push('no async enqueue accepted within 20 s of the restart');
  else if (!delivered) problems.push('an enqueue accepted after the restart was not delivered');
  assert.deepEqual(problems, []);
  await f.deployProbe('s4-after');
});

test('S7: kill the leader: one new term, no one-time schedule fires twice (nor is missed)', { skip, timeout: 115_000 }, async (t) => {
  if (!wired(t)) return;
  const arn = await f.deployProbe('s7');
  const leader = async () => (await f.sql<{ holder: string; term: string; address: string }>(`SELECT l.holder, l.term::text AS term, m.address FROM leader_leases l JOIN members m ON m.id = l.holder WHERE l.expires_at > now()`))[0];
  assert.ok(await eventually(async () => (await leader()) !== undefined, 15_000), 'a leader holds the lease');
  const before = (await leader())!;
  const node = f.cluster.nodes.find((n) => before.address.startsWith(`${n.ip}:`))!;
  assert.ok(node, `the leader ${before.holder} is a node of this cluster`);
  const creds = JSON.parse(readFileSync(join(f.cluster.clusterDir, 'credentials.json'), 'utf8')) as { accessKeyId: string; secretAccessKey: string };
  const other = f.cluster.nodes.find((n) => n.role === 'api' && n.name !== node.name)!;
  const scheduler = new SchedulerClient({ endpoint: other.endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  const t0 = Math.ceil(Date.now() / 1000) * 1000;
  const names = [6, 10, 14, 18, 22, 26].map((s) => `s7-at-${s}`);
  for (const [k, name] of names.entries()) {
    const at = new Date(t0 + (6 + 4 * k) * 1000).toISOString().slice(0, 19);
    await scheduler.send(new CreateScheduleCommand({
      Name: name, ScheduleExpression: `at(${at})`, ScheduleExpressionTimezone: 'UTC', FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: arn, RoleArn: TEST_ROLE, Input: JSON.stringify({ id: name, schedule: name }) },
    }));
  }
  await sleep(Math.max(0, t0 + 8_000 - Date.now()));
  f.history.fault(`kill -9 leader ${node.name}`);
  f.cluster.hosts.kill(node.name);
  assert.ok(await eventually(async () => { const l = await leader(); return l !== undefined && l.holder !== before.holder; }, LEASE_MS * 3 + MARGIN_MS), 'a new leader took over');
  const afterKill = (await leader())!;
  assert.equal(Number(afterKill.term), Number(before.term) + 1, 'exactly one new term');
  await eventually(() => scheduleFirings(f.history.reports(), names).missing.length === 0, Math.max(0, t0 + 26_000 - Date.now()) + 20_000, 500);
  await sleep(3_000); // a late duplicate would show here
  assert.deepEqual(scheduleFirings(f.history.reports(), names), { missing: [], twice: [] });
  scheduler.destroy();
  await revive(node.name);
});

test('always, over the whole run: no environment served two versions or two requests at once', { skip }, (t) => {
  if (!wired(t)) return;
  const reports = f.history.reports();
  assert.ok(reports.length > 100, `${reports.length} runs reported`);
  assert.deepEqual(environmentsServingTwoVersions(reports), []);
  assert.deepEqual(overlappingRunsInOneEnvironment(reports), []);
});
