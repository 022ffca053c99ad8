/**
 * Host-aware placement beside Lambda's, in ONE run: two Flint servers (same pinning, same function,
 * same payload) — one with `placement: 'lambda'`, one with `'host-aware'` — measured alternately at
 * each concurrency of the p99 sweep, then the c=32 echo and 200 ms sleeper rows against the
 * 32-runtime protocol floor. The p99-not-worse target compares the two columns of the same run, so
 * the shared machine's drift hits both alike.
 *
 *   node --import tsx bench/placement-sweep.ts [--duration-ms=N] [--warmup-ms=N] [--cs=1,4,16,...]
 */
import './lib/quiet-warnings.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild, type BenchChild } from './lib/child.js';
import { describeMachine } from './lib/machine.js';
import { parseOptions } from './lib/options.js';
import { LoadRunner, type Measurement } from './load/load-runner.js';
import { WARM_MEMORY_MB, clientFor, createHello, type FlintReady } from './flint/flint-functions.js';
import { HELLO_PAYLOAD, holdPayload } from './flint/hello-function.js';
import { signedInvokeJob } from './flint/invoke-request.js';
import { closeRawInvokes } from './flint/raw-invoke.js';
import { SLEEP_MS, SWEEP } from './sections/warm-invoke.js';

const argv = process.argv.slice(2);
const opts = parseOptions(argv);
const reps = Number(argv.find((a) => a.startsWith('--reps='))?.slice(7) ?? 1);
const cs = argv.find((a) => a.startsWith('--cs='))?.slice(5).split(',').map(Number) ?? [...SWEEP];
const log = (line: string) => process.stderr.write(line + '\n');
const plan = describeMachine().cpuPlan;
if (plan.load !== undefined) spawnSync('taskset', ['-a', '-p', '-c', plan.load, String(process.pid)], { stdio: 'ignore' });
const timing = { warmupMs: opts.warmupMs, durationMs: opts.durationMs };
const FUNCTION = 'bench-hello';
const PLACEMENTS = ['lambda', 'host-aware'] as const;

const runner = await LoadRunner.start(plan.loadWorkers, plan.load);
const dirs: string[] = [];
const servers = new Map<string, BenchChild<FlintReady>>();
let floor: BenchChild<{ port: number }> | undefined;
const rows: string[] = [];
const row = (what: string, placement: string, m: Measurement, envs?: number) => {
  const line = `${what.padEnd(34)} ${placement.padEnd(11)} p50 ${String(m.p50Ms).padStart(7)} ms  p99 ${String(m.p99Ms).padStart(7)} ms  ${String(Math.round(m.rps)).padStart(6)} req/s  front CPU-ms/req ${String(m.frontCpuMsPerReq).padEnd(6)}${envs !== undefined ? `  environments ${envs}` : ''}${m.errors ? `  errors ${m.errors} (${m.firstError})` : ''}`;
  rows.push(line);
  log(line);
};
try {
  for (const placement of PLACEMENTS) {
    const dataDir = mkdtempSync(join(tmpdir(), `flint-sweep-${placement}-`));
    dirs.push(dataDir);
    const server = await startChild<FlintReady>('flint/flint-server-child.ts', { cpus: plan.server, args: [JSON.stringify({ dataDir, placement })] });
    servers.set(placement, server);
    const client = clientFor(server.ready);
    await createHello(client, FUNCTION, 'node', { memoryMb: WARM_MEMORY_MB });
    client.destroy();
  }
  floor = await startChild<{ port: number }>('floors/protocol-floor.ts', { cpus: plan.server, args: ['32'] });
  const floorJob = { kind: 'raw' as const, url: `http://127.0.0.1:${floor.ready.port}/`, method: 'POST', headers: { 'content-type': 'application/json' }, body: HELLO_PAYLOAD, expectStatus: 200, ...timing };
  const measure = async (placement: string, payload: string, c: number) => {
    const s = servers.get(placement)!;
    const job = signedInvokeJob(s.ready, FUNCTION, payload, timing);
    await runner.measure(job, c, { totalRequests: c * 4 });
    const m = await runner.measure(job, c, { serverPids: [s.ready.pid] });
    const { preInitialized } = await s.request<{ preInitialized: boolean[] }>({ op: 'start-type', name: FUNCTION });
    return [m, preInitialized.length] as const;
  };
  for (const [i, c] of cs.entries()) {
    // Alternate which placement goes first, so neither always follows the other's load; with
    // --reps=N each is measured N times, alternately, and the median row is kept (a shared host drifts).
    const got = new Map<string, Array<readonly [Measurement, number]>>();
    for (let rep = 0; rep < reps; rep++) {
      for (const placement of (i + rep) % 2 === 0 ? PLACEMENTS : [...PLACEMENTS].reverse()) {
        const r = await measure(placement, HELLO_PAYLOAD, c);
        (got.get(placement) ?? got.set(placement, []).get(placement)!).push(r);
        if (reps > 1) log(`  rep ${rep + 1} c=${c} ${placement}: p99 ${r[0].p99Ms} ms ${Math.round(r[0].rps)} req/s`);
      }
    }
    for (const placement of PLACEMENTS) {
      const rs = got.get(placement)!.slice().sort((a, b) => a[0].p99Ms - b[0].p99Ms);
      const mid = rs[Math.floor(rs.length / 2)]!;
      row(`sweep c=${c}${reps > 1 ? ` (median p99 of ${reps})` : ''}`, placement, mid[0], mid[1]);
    }
  }
  await runner.measure(floorJob, 32, { totalRequests: 32 * 4 });
  row('floor: protocol, 32 runtimes, c=32', '-', await runner.measure(floorJob, 32, { serverPids: [floor.pid] }));
  for (const placement of PLACEMENTS) row('echo c=32', placement, ...(await measure(placement, HELLO_PAYLOAD, 32)));
  for (const placement of PLACEMENTS) row(`sleeper ${SLEEP_MS} ms c=32`, placement, ...(await measure(placement, holdPayload(SLEEP_MS), 32)));
  const decisions = await servers.get('host-aware')!.request<{ decisions: Record<string, number> }>({ op: 'placement-decisions' });
  rows.push('host-aware decisions:', ...Object.entries(decisions.decisions).sort((a, b) => b[1] - a[1]).map(([why, n]) => `  ${String(n).padStart(8)}  ${why}`));
  process.stdout.write(`placement sweep (${new Date().toISOString()}, ${timing.durationMs} ms per measurement after ${timing.warmupMs} ms warmup + c×4 priming requests; servers on CPU ${plan.server ?? 'any'}, load on ${plan.load ?? 'any'})\n${rows.join('\n')}\n`);
} finally {
  closeRawInvokes();
  if (floor) await floor.stop();
  for (const s of servers.values()) await s.stop();
  await runner.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
