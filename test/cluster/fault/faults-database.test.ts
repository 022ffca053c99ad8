import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, pooled } from './harness.js';
import { fc, skip, wired, revive, sleep } from './fault-suite.js';
import { asyncDelivery } from './invariants.js';

/** Fault test: PostgreSQL down (CLUSTER.md S4); the cluster: ./fault-suite.ts. */

test('S4: PostgreSQL stopped 30 s: warm sync invokes keep working, async enqueue answers 5xx, clean recovery', { skip, timeout: 200_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
  await f.deployProbe('s4');
  await pooled(10, 2, (i) => f.invoke(i % 2 ? 'api2' : 'api1', 's4', `s4-warm-${i}`));
  // The outage test means something only if the function is warm behind both api nodes first.
  const warmFailed = f.history.ops.filter((o) => o.id.startsWith('s4-warm-') && o.outcome !== 'ok');
  assert.deepEqual(warmFailed.map((o) => `${o.id}: ${o.status} ${o.error}`), [], 'warm-up invokes before the outage');
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
  // What must hold: nothing is acknowledged (202) that is not durable, and the caller is told so
  // (Lambda answers 5xx, which SDKs retry). One answer may outlast the client's 15 s when the
  // leader's schedule ticker was blocked on its first timed-out query (10 s) at that moment.
  const acked = enq.filter((o) => o.status !== undefined && o.status < 500);
  if (acked.length > 0) problems.push(`${acked.length} of ${enq.length} enqueues were answered ${acked[0]!.status} while PostgreSQL was stopped`);
  const answered5xx = enq.filter((o) => o.status !== undefined && o.status >= 500).length;
  const unanswered = enq.length - answered5xx - acked.length;
  t.diagnostic(`enqueues while stopped: ${answered5xx} answered 5xx, ${unanswered} unanswered within the client's timeout`);
  if (unanswered > 1) problems.push(`${unanswered} of ${enq.length} enqueues got no answer within 15 s while PostgreSQL was stopped (Lambda answers 5xx)`);
  if (!recovered) problems.push('no async enqueue accepted within 20 s of the restart');
  else if (!delivered) problems.push('an enqueue accepted after the restart was not delivered');
  // Every node outlives the outage (a crash would take its warm environments with it); the
  // crashed ones are started again so that the next test finds the whole cluster.
  for (const n of f.cluster.nodes) {
    if (n.child && (n.child.exitCode !== null || n.child.signalCode !== null)) problems.push(`${n.name} exited while PostgreSQL was stopped (its log: ${n.logFile})`);
  }
  for (const w of f.workers) await revive(w.name);
  assert.deepEqual(problems, []);
  await f.deployProbe('s4-after');
});
