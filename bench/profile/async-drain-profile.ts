/**
 * Where a server's CPU goes while its pollers drain the async queue (no enqueues meanwhile): N
 * Event invokes are queued on a server without pollers, that server stops, and a second one on
 * the same data dir drains them under V8's profiler. Prints the drain rate after the first
 * `warm` events (the environments' starts) and the profile's top Flint functions.
 *
 *   node --import tsx bench/profile/async-drain-profile.ts [events=5000] [sandbox=bwrap]
 */
import '../lib/quiet-warnings.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startChild } from '../lib/child.js';
import { WARM_MEMORY_MB, clientFor, createHello, type FlintReady } from '../flint/flint-functions.js';
import { summarizeProfile } from './profile-summary.js';
import { cpuBetween, isRuntimeProcess, treeCpu } from '../lib/proc-stats.js';

/** Runtime processes that spent over 20 CPU ms during the drain: how widely the deliveries spread. */
function envsUsed(before: Map<number, number>, after: Map<number, number>): number {
  return [...after].filter(([p, ms]) => ms - (before.get(p) ?? 0) > 20 && isRuntimeProcess(p)).length;
}

const events = Number(process.argv[2] ?? 5000);
const sandbox = process.argv[3] ?? 'bwrap';
const dir = mkdtempSync(join(tmpdir(), 'flint-drain-'));
// A/B knobs: POLLERS (the draining server's pollers, default 4), PLACEMENT (lambda | host-aware),
// DELIVERIES (adaptive | fixed: config.asyncDeliveries).
const drainPollers = Number(process.env['POLLERS'] ?? 4);
const cfg = (pollers: number) => [JSON.stringify({ dataDir: join(dir, 'data'), sandbox, asyncPollers: pollers, placement: process.env['PLACEMENT'] ?? 'lambda', asyncDeliveries: process.env['DELIVERIES'] ?? 'adaptive' })];
const metrics = async (s: FlintReady) => (await (await fetch(`${s.endpoint}/metrics/async-queue`)).json()) as { succeeded: number; ready: number; deliveryLimit?: number };
try {
  const a = await startChild<FlintReady>('flint/flint-server-child.ts', { args: cfg(0), cpus: '0' });
  const client = clientFor(a.ready);
  await createHello(client, 'drain', 'node', { memoryMb: WARM_MEMORY_MB });
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < events) {
      next++;
      await client.send(new InvokeCommand({ FunctionName: 'drain', InvocationType: 'Event', Payload: Buffer.from('{"name":"x"}') }));
    }
  }));
  client.destroy();
  await a.stop();
  const b = await startChild<FlintReady>('flint/flint-server-child.ts', { args: cfg(drainPollers), cpus: '0' });
  const warm = 200;
  while ((await metrics(b.ready)).succeeded < warm) await new Promise((r) => setTimeout(r, 10));
  const file = join(dir, 'drain.cpuprofile');
  // PROFILE=0: no V8 profiler (it slows the server); the CPU of the server and its environments is
  // read from /proc either way.
  const profile = process.env['PROFILE'] !== '0';
  if (profile) await b.request({ op: 'profile-start' });
  const cpu0 = treeCpu(b.pid);
  const t0 = performance.now();
  let m = await metrics(b.ready);
  const from = m.succeeded;
  const limits: number[] = [];
  while (m.succeeded < events) {
    await new Promise((r) => setTimeout(r, 50));
    m = await metrics(b.ready);
    if (m.deliveryLimit !== undefined) limits.push(m.deliveryLimit);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = treeCpu(b.pid);
  const n = events - from;
  const perEvent = (ms: number) => (ms / n).toFixed(3);
  const own = (cpu1.get(b.pid) ?? 0) - (cpu0.get(b.pid) ?? 0);
  console.log(`drain: ${n} events in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} events/s (warm); CPU ms/event: server ${perEvent(own)}, server + environments ${perEvent(cpuBetween(cpu0, cpu1))}; runtimes used ${envsUsed(cpu0, cpu1)}`);
  if (!profile) {
    await b.stop();
    process.exit(0);
  }
  await b.request({ op: 'profile-stop', file });
  await b.stop();
  const p = summarizeProfile(file, fileURLToPath(new URL('../../src/', import.meta.url)));
  console.log(`profile: server busy ${p.busyMs} ms = ${(p.busyMs / n).toFixed(3)} ms/event; by owner ${JSON.stringify(p.byOwner)}`);
  if (limits.length > 0) console.log(`delivery limit seen every 50 ms: ${limits.join(' ')}`);
  for (const i of p.topFlintWithCallees.slice(0, 15)) console.log(`  ${i.pct.toFixed(1).padStart(5)}%  ${i.fn}  ${i.where}`);
} finally {
  if (process.env['KEEP_PROFILE']) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
