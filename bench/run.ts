/**
 * `npm run bench`: measures Flint's warm Invoke (beside two floors and serverless-offline), cold
 * start per sandbox driver (beside bare interpreters), async enqueue/delivery, memory per idle
 * environment and environment creation rate — all in one run — prints ONE table and writes the
 * figures as JSON to bench/results/<timestamp>.json and bench/results/latest.json.
 *
 *   npm run bench -- [--tiny] [--profile] [--only=warm,async,...] [--help]
 */
import './lib/quiet-warnings.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type BenchChild } from './lib/child.js';
import { describeMachine } from './lib/machine.js';
import { parseOptions, SECTIONS, wants } from './lib/options.js';
import { round } from './lib/stats.js';
import { LoadRunner } from './load/load-runner.js';
import type { FlintReady } from './flint/flint-functions.js';
import { closeRawInvokes } from './flint/raw-invoke.js';
import { ensureOfflineInstalled, startOffline, type OfflinePeer } from './peers/serverless-offline.js';
import { runWarm, type Skipped } from './sections/warm-invoke.js';
import { runColdStart } from './sections/cold-start.js';
import { runAsync } from './sections/async-invoke.js';
import { runMemory } from './sections/memory.js';
import { runEnvCreation } from './sections/env-creation.js';
import { runScaleOut } from './sections/scale-out.js';
import { runStreamTtfb } from './sections/stream-ttfb.js';
import { runHotReload } from './sections/hot-reload.js';
import { renderCluster, runCluster } from './sections/cluster.js';
import { profileWarmPath } from './profile/profile-warm-path.js';
import { evaluateTargets } from './report/targets.js';
import { renderTable } from './report/table.js';
import { updateSpecification } from './report/spec-figures.js';
import type { BenchResults } from './report/bench-results.js';

const opts = parseOptions(process.argv.slice(2));
// Killed (Ctrl-C, a test's timeout): exit normally so the children are told to stop.
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(130));
const log = (line: string) => process.stderr.write(line + '\n');
const started = new Date();
const t0 = performance.now();
const outDir = resolve(opts.outDir ?? fileURLToPath(new URL('./results/', import.meta.url)));
const machine = describeMachine();
const plan = machine.cpuPlan;

// The bench process itself drives load (SDK clients, cold-start timing): keep it off the servers' CPUs.
if (plan.load !== undefined) spawnSync('taskset', ['-a', '-p', '-c', plan.load, String(process.pid)], { stdio: 'ignore' });

const skipped = (why: string): Skipped => ({ skipped: why });
/** "Today's" figures for the not-worse targets (p99 sweep): a results JSON, when there is one. */
function readBaseline(file: string): BenchResults | undefined {
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as BenchResults) : undefined;
  } catch {
    return undefined;
  }
}
const notSelected = skipped('not selected (--only)');
async function section<T>(name: string, run: () => Promise<T>, selected = wants(opts, name)): Promise<T | Skipped> {
  if (!selected) return notSelected;
  const s0 = performance.now();
  log(`bench: ${name} ...`);
  try {
    const r = await run();
    log(`bench: ${name} done in ${round((performance.now() - s0) / 1000, 1)} s`);
    return r;
  } catch (err) {
    log(`bench: ${name} failed: ${(err as Error)?.stack ?? String(err)}`);
    return skipped(`failed: ${(err as Error)?.message?.slice(0, 300) ?? String(err)}`);
  }
}

const runner = await LoadRunner.start(plan.loadWorkers, plan.load);
const dataDir = mkdtempSync(join(tmpdir(), 'flint-bench-'));
let flint: BenchChild<FlintReady> | undefined;
let offline: OfflinePeer | Skipped = skipped('not started');
let results: BenchResults;
const notes: string[] = [];
try {
  // --tiny: one async poller (10 events in flight), so a smoke run starts few environments.
  const config = { dataDir, ...(opts.tiny ? { asyncPollers: 1 } : {}), ...(opts.sandbox ? { sandbox: opts.sandbox } : {}), ...(opts.placement ? { placement: opts.placement } : {}) };
  flint = await startChild<FlintReady>('flint/flint-server-child.ts', { cpus: plan.server, args: [JSON.stringify(config)] });
  const server = flint;

  if (wants(opts, 'warm')) {
    const inst = opts.peers ? ensureOfflineInstalled() : { ok: false as const, reason: opts.tiny ? '--tiny runs without peers (add --peers)' : 'peers turned off (--no-peers)' };
    if (!inst.ok) offline = skipped(inst.reason);
    else {
      try {
        offline = await startOffline(plan.server);
      } catch (err) {
        offline = skipped(`serverless-offline did not start: ${(err as Error).message.slice(0, 200)}`);
      }
    }
  }
  const warm = await section('warm', () => runWarm({ opts, plan, runner, flint: server.ready, flintDeath: () => server.death(), offline, log }));
  if (!('skipped' in offline)) await offline.stop();
  const asyncRes = await section('async', () => runAsync({ opts, runner, flint: server.ready, flintPid: server.pid }));
  const envCreation = await section('envCreation', () => runEnvCreation({ opts, flint: server.ready, flintPid: server.pid }));
  notes.push(...[await section('streamTtfb', () => runStreamTtfb({ opts, flint: server.ready }))].flatMap((r) => ('skipped' in r ? [] : r)));
  notes.push(...[await section('scaleOut', () => runScaleOut({ opts, plan, flint: server.ready, flintPid: server.pid, server }))].flatMap((r) => ('skipped' in r ? [] : r)));
  const hotReload = await section('hotReload', () => runHotReload({ opts, flint: server.ready, dataDir, log }));
  const serverDeath = server.death();
  if (serverDeath) {
    log(`bench: the Flint server died during the run: ${serverDeath}\n${server.stderrTail()}`);
    notes.push(`the main Flint server died during the run: ${serverDeath}`);
  }
  await server.stop();
  flint = undefined;
  const memory = await section('memory', () => runMemory({ opts, plan, log }));
  const coldStart = await section('coldStart', () => runColdStart({ opts, plan, log }));
  const cluster = await section('cluster', () => runCluster({ opts, plan, runner, log, keepDir: outDir }));
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  const profile = opts.profile ? await section('profile', () => profileWarmPath({ opts, plan, runner, outDir, stamp }), true) : undefined;

  const partial: Omit<BenchResults, 'targets'> = {
    schema: 1,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSec: round((performance.now() - t0) / 1000, 1),
    options: { tiny: opts.tiny, reps: opts.reps, warmupMs: opts.warmupMs, durationMs: opts.durationMs, peers: opts.peers, sections: SECTIONS.filter((s) => wants(opts, s)) },
    machine: { ...machine, sandbox: server.ready.sandbox },
    warm,
    coldStart,
    async: asyncRes,
    memory,
    envCreation,
    hotReload,
    notes,
    ...(profile ? { profile } : {}),
    ...(wants(opts, 'cluster') ? { cluster } : {}),
  };
  results = { ...partial, targets: evaluateTargets(partial, readBaseline(opts.baseline ?? join(outDir, 'baseline.json'))) };
  mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify(results, null, 2) + '\n';
  const file = join(outDir, `${stamp}.json`);
  writeFileSync(file, json);
  writeFileSync(join(outDir, 'latest.json'), json);
  process.stdout.write(renderTable(results) + '\n');
  if (results.cluster) process.stdout.write(renderCluster(results.cluster));
  if (results.profile && !('skipped' in results.profile)) {
    const { event, ...sync } = results.profile;
    for (const [what, p] of [['warm RequestResponse, c=32 then c=1', sync], ['Event enqueue at c=32 (pollers delivering meanwhile)', event]] as const) {
      if (!p) continue;
      process.stdout.write(`\nprofile of the server, ${what}: ${p.requests} requests, ${p.busyMs} ms busy = ${round(p.busyMs / Math.max(1, p.requests ?? 1), 3)} ms/request` +
        ` (Flint ${p.byOwner.flint} ms, Node ${p.byOwner.node} ms, native ${p.byOwner.native} ms, deps ${p.byOwner.deps} ms, GC ${p.byOwner.gc} ms)\n` +
        '  Flint functions with the Node/native work they call directly:\n');
      for (const it of p.topFlintWithCallees.slice(0, 10)) process.stdout.write(`  ${it.pct.toFixed(1).padStart(5)}%  ${it.selfMs.toFixed(1).padStart(8)} ms  ${it.fn}  ${it.where}\n`);
    }
  }
  process.stdout.write(`results: ${file}\n`);
  if (opts.updateSpec) {
    const spec = fileURLToPath(new URL('../docs/SPECIFICATION.md', import.meta.url));
    updateSpecification(spec, results, `bench/results/${stamp}.json`);
    process.stdout.write(`updated the latest figures in ${spec}\n`);
  }
} finally {
  closeRawInvokes();
  if (!('skipped' in offline)) await offline.stop();
  if (flint) await flint.stop();
  await runner.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
