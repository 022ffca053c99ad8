import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { eventually, flintArgv, pooled } from './harness.js';
import { fc, skip, wired, revive, LEASE_MS, MARGIN_MS, sleep } from './fault-suite.js';
import { asyncDelivery, invokeOutcomesAfter, runsOnAfter } from './invariants.js';

/** Fault tests: workers failing (CLUSTER.md S1, S2) and draining; the cluster: ./fault-suite.ts. */

test('S2: a worker cut off from PostgreSQL (but not from the api nodes) accepts nothing after its lease expires', { skip, timeout: 90_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
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
  // Healed, the worker registers anew (a new epoch) and takes work again — by itself.
  assert.equal(await revive('w2'), true, 'w2 rejoined by itself within 45 s of the heal');
});

test('S1: kill -9 a worker under sync and async load: no accepted async event lost, new sync invokes rerouted, in-flight ones fail with a service error', { skip, timeout: 115_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
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

test('drain: `flint worker drain --node ID` through the database: no new run starts on the drained worker', { skip, timeout: 90_000 }, async (t) => {
  if (!wired(t)) return;
  const f = fc();
  const fns = ['dra', 'drb', 'drc', 'drd', 'dre', 'drf'];
  for (const fn of fns) await f.deployProbe(fn);
  const w1 = f.cluster.node('w1');
  assert.ok(w1.nodeId, 'w1 printed its member id');
  const cli = spawnSync(flintArgv()[0]!, [...flintArgv().slice(1), 'worker', 'drain', '--node', w1.nodeId!, '--database-url', f.cluster.databaseUrl], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.equal(cli.stdout, `flint: worker ${w1.nodeId} is draining\n`);
  f.history.fault('drain w1');
  // api nodes see the state on their next membership refresh (every heartbeat).
  await sleep(3_000);
  const drained = Date.now();
  await pooled(fns.length * 4, 6, (i) => f.invoke(i % 2 ? 'api2' : 'api1', fns[i % fns.length]!, `drain-${i}`));
  assert.deepEqual(runsOnAfter(f.history.reports(), w1.ip, drained).map((r) => r.id), [], 'nothing new on the draining worker');
  assert.deepEqual(invokeOutcomesAfter(f.history.ops.filter((o) => o.id.startsWith('drain-')), drained).failed.map((o) => o.error), []);
  // A fresh process registers as a new, active member.
  await f.cluster.stopNode('w1');
  await revive('w1');
});
