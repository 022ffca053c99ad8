/**
 * Where a warm Invoke's server CPU goes at c=1: a Flint server (pinned like the bench's) under
 * pre-signed raw Invoke load from one connection. First CPU ms per request of the server process
 * (from /proc, no profiler attached), then a V8 CPU profile of the same load, summarized (top
 * self time) and written as folded stacks for a flame graph.
 *
 * With --event: the same for `Event` invocations at c=32 (enqueue, the pollers delivering meanwhile).
 *
 *   node --import tsx bench/profile/profile-c1.ts [--event] [--seconds=N] [--out=DIR] [--label=NAME]
 */
import '../lib/quiet-warnings.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/child.js';
import { describeMachine } from '../lib/machine.js';
import { LoadRunner } from '../load/load-runner.js';
import { WARM_MEMORY_MB, clientFor, createHello, type FlintReady } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD } from '../flint/hello-function.js';
import { signedInvokeJob } from '../flint/invoke-request.js';
import { summarizeProfile } from './profile-summary.js';
import { writeFoldedStacks } from './folded-stacks.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const seconds = Number(arg('seconds') ?? 5);
const event = process.argv.includes('--event');
const label = arg('label') ?? (event ? 'event' : 'c1');
const conc = event ? 32 : 1;
const outDir = resolve(arg('out') ?? fileURLToPath(new URL('../results/', import.meta.url)));
const SRC_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));
const plan = describeMachine().cpuPlan;
if (plan.load !== undefined) spawnSync('taskset', ['-a', '-p', '-c', plan.load, String(process.pid)], { stdio: 'ignore' });
mkdirSync(outDir, { recursive: true });
const runner = await LoadRunner.start(1, plan.load);
const dataDir = mkdtempSync(join(tmpdir(), 'flint-prof-c1-'));
const server = await startChild<FlintReady>('flint/flint-server-child.ts', { cpus: plan.server, args: [JSON.stringify({ dataDir })] });
try {
  const client = clientFor(server.ready);
  await createHello(client, 'prof-c1', 'node', { memoryMb: WARM_MEMORY_MB });
  client.destroy();
  const job = (durationMs: number) => signedInvokeJob(server.ready, 'prof-c1', HELLO_PAYLOAD, { warmupMs: 500, durationMs }, event ? 'Event' : 'RequestResponse');
  await runner.measure(job(0), conc, { totalRequests: 2000 });
  const cpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const m = await runner.measure(job(seconds * 1000), conc, { serverPids: [server.pid] });
    cpu.push(m.frontCpuMsPerReq);
    process.stderr.write(`c=${conc}${event ? ' Event' : ''}: ${m.rps} req/s p50 ${m.p50Ms} ms, server process ${m.frontCpuMsPerReq} CPU-ms/req (tree ${m.serverCpuMsPerReq})\n`);
  }
  const file = join(outDir, `profile-${label}.cpuprofile`);
  await server.request({ op: 'profile-start' });
  const pm = await runner.measure(job(seconds * 1000), conc, {});
  await server.request({ op: 'profile-stop', file });
  writeFoldedStacks(file, join(outDir, `profile-${label}.folded`), SRC_ROOT);
  const s = summarizeProfile(file, SRC_ROOT);
  const perReq = (ms: number) => (ms / Math.max(1, pm.ok)).toFixed(3);
  const lines = [
    `# ${event ? 'Event Invoke at c=32' : 'warm Invoke at c=1'} (${label}): server process CPU per request ${cpu.sort()[1]} ms (median of 3 × ${seconds} s, no profiler)`,
    `profile: ${pm.ok} requests, busy ${s.busyMs} ms = ${perReq(s.busyMs)} ms/request; Flint ${perReq(s.byOwner.flint)}, Node ${perReq(s.byOwner.node)}, native ${perReq(s.byOwner.native)}, deps ${perReq(s.byOwner.deps)}, GC ${perReq(s.byOwner.gc)}, V8 ${perReq(s.byOwner.program)} ms/request`,
    'top self time:',
    ...s.topOverall.slice(0, 25).map((it) => `  ${it.pct.toFixed(1).padStart(5)}%  ${it.fn}  ${it.where}`),
    'Flint functions with the Node/native work they call directly:',
    ...s.topFlintWithCallees.slice(0, 20).map((it) => `  ${it.pct.toFixed(1).padStart(5)}%  ${it.fn}  ${it.where}`),
  ];
  writeFileSync(join(outDir, `profile-${label}.txt`), lines.join('\n') + '\n');
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  await server.stop();
  await runner.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
