import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClusterCa } from '../../src/cluster/cluster-ca.js';
import { loadMasterKeyring, loadRootCredentials } from '../../src/app/secrets.js';
import { startPostgresServer, type PostgresServer } from '../../src/cluster/local/postgres-server.js';
import { startChild, type BenchChild } from '../lib/child.js';
import type { CpuPlan } from '../lib/machine.js';
import type { BenchOptions } from '../lib/options.js';
import { childrenOf, cpuBetween, treeCpu } from '../lib/proc-stats.js';
import { median, round } from '../lib/stats.js';
import type { JobTemplate, LoadRunner, Measurement } from '../load/load-runner.js';
import { WARM_MEMORY_MB, clientFor, createHello, type FlintReady } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD } from '../flint/hello-function.js';
import { signedInvokeJob } from '../flint/invoke-request.js';
import { summarizeProfile } from '../profile/profile-summary.js';
import type { ClusterNodeReady } from './cluster-node-child.js';
import type { Skipped } from './warm-invoke.js';

export const CLUSTER_CONCURRENCIES = [1, 32] as const;
const API_NODES = 2;
const WORKERS = 3;
const FUNCTION = 'bench-hello';
const ASYNC_FUNCTION = 'bench-async';
const ASYNC_CONCURRENCY = 32;
const SRC_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));

export interface ClusterWarmFigure {
  p50Ms: number;
  p99Ms: number;
  rps: number;
  /** CPU ms of every process of the setup per request (cluster: api nodes, workers with their environments, poller, PostgreSQL). */
  serverCpuMsPerReq: number;
  errors: number;
  rpsByRep: number[];
  /** Cluster only: share of the setup's CPU each role used while measuring. */
  cpuShare?: Record<string, number>;
}
export interface ClusterAsyncFigure {
  events: number;
  /** Event invokes answered 202 per second (durable before the 202). */
  enqueuePerSec: number;
  enqueueErrors: number;
  firstError?: string;
  /** First enqueue → last event executed, events per second (Skipped when the wait ran out). */
  deliveredPerSec?: number;
  delivered: number;
  serverCpuMsPerEvent: number;
}
type Side<T> = { single: T | Skipped; cluster: T | Skipped };
export interface ClusterResults {
  topology: string;
  sandbox: string;
  loadAverage: { before: string; after: string };
  warm: Record<`c${(typeof CLUSTER_CONCURRENCIES)[number]}`, Side<ClusterWarmFigure>>;
  async: Side<ClusterAsyncFigure> & { concurrency: number };
  /** Where the cluster's workers ran the function's environments (rendezvous routing puts one function on few workers). */
  environmentsPerWorker: number[];
  /** A short V8 profile of one api node under the c=32 warm load: where its CPU goes. */
  apiProfile?: { busyMs: number; requests: number; byOwner: Record<string, number>; top: Array<{ pct: number; fn: string; where: string }> } | Skipped;
  notes: string[];
}

type Node = BenchChild<ClusterNodeReady>;
const readyOf = (n: Node): FlintReady => ({ endpoint: n.ready.endpoint, pid: n.pid, sandbox: n.ready.sandbox, accessKeyId: n.ready.accessKeyId, secretAccessKey: n.ready.secretAccessKey, region: n.ready.region });
const loadavg = () => execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ');

/**
 * The cluster's cost on one machine: warm sync Invoke (c=1, c=32) through 2 api nodes and 3
 * workers on one PostgreSQL (load alternating between the api nodes) against single-node Flint
 * (SQLite, role all), interleaved repetition by repetition; then Event enqueue (durable, c=32)
 * through the api nodes into PostgreSQL against the single node's SQLite queue, and enqueue →
 * delivered (a poller node runs the cluster's deliveries). All processes on 127.0.0.1, free
 * ports, every server pinned to the bench's server CPUs; each is stopped by PID at the end.
 */
export async function runCluster(deps: { opts: BenchOptions; plan: CpuPlan; runner: LoadRunner; log(line: string): void }): Promise<ClusterResults> {
  const { opts, plan, runner, log } = deps;
  const before = loadavg();
  const work = mkdtempSync(join(tmpdir(), 'flint-bench-cluster-'));
  const nodes: Node[] = [];
  let postgres: PostgresServer | undefined;
  const notes: string[] = [];
  const sandbox = opts.sandbox ? { sandbox: opts.sandbox } : {};
  const start = async (name: string, cfg: Record<string, unknown>): Promise<Node> => {
    const n = await startChild<ClusterNodeReady>('sections/cluster-node-child.ts', { cpus: plan.server, args: [JSON.stringify({ dataDir: join(work, name), ...cfg })], readyTimeoutMs: 90_000 });
    nodes.push(n);
    return n;
  };
  try {
    // PostgreSQL with fsync on (an acknowledged enqueue is on disk), pinned like the nodes: its
    // backends are forked by the postmaster later and inherit its CPU list.
    postgres = await startPostgresServer({ fsync: true, maxConnections: 300 });
    if (plan.server !== undefined) for (const pid of [postgres.pid, ...childrenOf(postgres.pid)]) execFileSync('taskset', ['-a', '-p', '-c', plan.server, String(pid)], { stdio: 'ignore' });
    const clusterDir = join(work, 'cluster');
    await createClusterCa(clusterDir, Date.now());
    loadRootCredentials(clusterDir);
    loadMasterKeyring(clusterDir);
    const pgCfg = { databaseUrl: postgres.url, clusterDir, internalPort: 0, advertiseHost: '127.0.0.1' };

    const single = await start('single', { role: 'all', ...sandbox });
    // The first api node creates the schema; the rest join it together.
    const api1 = await start('api1', { role: 'api', ...pgCfg });
    const rest = await Promise.all([
      ...Array.from({ length: API_NODES - 1 }, (_, i) => start(`api${i + 2}`, { role: 'api', ...pgCfg })),
      ...Array.from({ length: WORKERS }, (_, i) => start(`w${i + 1}`, { role: 'worker', ...pgCfg, ...sandbox, apiEndpoint: api1.ready.endpoint })),
      start('poller1', { role: 'poller', ...pgCfg, apiEndpoint: api1.ready.endpoint }),
    ]);
    const apis = [api1, ...rest.slice(0, API_NODES - 1)];
    const workers = rest.slice(API_NODES - 1, API_NODES - 1 + WORKERS);
    const poller = rest[rest.length - 1]!;
    const clusterPids = [...apis, ...workers, poller].map((n) => n.pid).concat(postgres.pid);
    const roleOf = new Map<number, string>([...apis.map((n) => [n.pid, 'api'] as const), ...workers.map((n) => [n.pid, 'workers'] as const), [poller.pid, 'poller'], [postgres.pid, 'postgres']]);
    log(`  cluster: PostgreSQL ${postgres.url}, api ${apis.map((a) => a.ready.endpoint).join(' ')}, ${workers.length} workers (${workers[0]!.ready.sandbox}), 1 poller; single node ${single.ready.endpoint} (${single.ready.sandbox})`);

    for (const [target, name] of [[single, FUNCTION], [api1, FUNCTION], [single, ASYNC_FUNCTION], [api1, ASYNC_FUNCTION]] as const) {
      const client = clientFor(readyOf(target));
      await createHello(client, name, 'node', { memoryMb: WARM_MEMORY_MB });
      client.destroy();
    }
    // Every api node must see the workers (membership refreshes each second) and the function.
    await untilInvokes(apis.map(readyOf), FUNCTION);

    const timing = { warmupMs: opts.warmupMs, durationMs: opts.durationMs };
    const clusterJob = (invocationType: 'RequestResponse' | 'Event', t = timing): JobTemplate => {
      const jobs = apis.map((a) => signedInvokeJob(readyOf(a), invocationType === 'Event' ? ASYNC_FUNCTION : FUNCTION, HELLO_PAYLOAD, t, invocationType));
      return { ...jobs[0]!, targets: jobs.map((j) => ({ url: j.url, headers: j.headers })) };
    };
    const targets = {
      single: { job: () => signedInvokeJob(readyOf(single), FUNCTION, HELLO_PAYLOAD, timing) as JobTemplate, pids: [single.pid] },
      cluster: { job: () => clusterJob('RequestResponse'), pids: clusterPids },
    };
    // Priming: connections, JIT, routes, and the 32 environments at c=32.
    for (const c of CLUSTER_CONCURRENCIES) for (const t of Object.values(targets)) await runner.measure(t.job(), c, { totalRequests: c * (opts.tiny ? 2 : 20) });
    const samples = new Map<string, Array<{ m: Measurement; share?: Record<string, number> }>>();
    const failures = new Map<string, string>();
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const c of CLUSTER_CONCURRENCIES) {
        for (const [name, t] of Object.entries(targets)) {
          const key = `${name}@${c}`;
          if (failures.has(key)) continue;
          const cpu0 = new Map(t.pids.map((p) => [p, treeCpu(p)]));
          const m = await runner.measure(t.job(), c, { serverPids: t.pids });
          if (m.ok === 0) {
            failures.set(key, m.firstError ?? 'no successful response');
            continue;
          }
          const share = name === 'cluster' ? cpuShares(cpu0, roleOf) : undefined;
          (samples.get(key) ?? samples.set(key, []).get(key)!).push({ m, ...(share ? { share } : {}) });
          log(`  cluster rep ${rep + 1}/${opts.reps} c=${c} ${name}: ${m.rps} req/s p50 ${m.p50Ms} ms p99 ${m.p99Ms} ms${m.errors ? ` (${m.errors} errors: ${m.firstError})` : ''}`);
        }
      }
    }
    const warm = {} as ClusterResults['warm'];
    for (const c of CLUSTER_CONCURRENCIES) {
      const fig = (name: string): ClusterWarmFigure | Skipped => {
        const s = samples.get(`${name}@${c}`);
        return s && s.length > 0 ? medianFigure(s) : { skipped: `failed: ${failures.get(`${name}@${c}`) ?? 'not measured'}` };
      };
      warm[`c${c}`] = { single: fig('single'), cluster: fig('cluster') };
    }
    const environmentsPerWorker = await Promise.all(workers.map(async (w) => (await w.request<{ count: number }>({ op: 'environments', name: FUNCTION })).count));

    // A short profile of one api node at c=32: what the routing front end spends its CPU on.
    let apiProfile: ClusterResults['apiProfile'];
    if (!opts.tiny) {
      try {
        const file = join(work, 'api1.cpuprofile');
        await api1.request({ op: 'profile-start' });
        const m = await runner.measure(clusterJob('RequestResponse', { warmupMs: 0, durationMs: 2000 }), 32, {});
        await api1.request({ op: 'profile-stop', file });
        const p = summarizeProfile(file, SRC_ROOT);
        // Requests alternate between the api nodes: half of them went through this one.
        apiProfile = { busyMs: p.busyMs, requests: Math.round(m.ok / apis.length), byOwner: p.byOwner, top: p.topFlintWithCallees.slice(0, 8).map((i) => ({ pct: i.pct, fn: i.fn, where: i.where })) };
      } catch (err) {
        apiProfile = { skipped: `profile failed: ${(err as Error).message.slice(0, 200)}` };
      }
    }

    const events = opts.tiny ? 200 : Math.min(opts.asyncEvents, 3000);
    const asyncSingle = await measureAsync({
      runner, events, tiny: opts.tiny, pids: [single.pid],
      job: () => signedInvokeJob(readyOf(single), ASYNC_FUNCTION, HELLO_PAYLOAD, { warmupMs: 0, durationMs: 0 }, 'Event') as JobTemplate,
      succeeded: async () => (await single.request<{ metrics: { succeeded: number } }>({ op: 'async-metrics' })).metrics.succeeded,
    }).catch((err: unknown): Skipped => ({ skipped: `failed: ${(err as Error).message.slice(0, 300)}` }));
    log(`  cluster async single (SQLite): ${JSON.stringify(asyncSingle)}`);
    const asyncCluster = await measureAsync({
      runner, events, tiny: opts.tiny, pids: clusterPids,
      job: () => clusterJob('Event', { warmupMs: 0, durationMs: 0 }),
      succeeded: async () => (await poller.request<{ metrics: { succeeded: number } }>({ op: 'async-metrics' })).metrics.succeeded,
    }).catch((err: unknown): Skipped => ({ skipped: `failed: ${(err as Error).message.slice(0, 300)}` }));
    log(`  cluster async cluster (PostgreSQL): ${JSON.stringify(asyncCluster)}`);

    for (const n of nodes) {
      const death = n.death();
      if (death) notes.push(`a node died during the run: ${death}`);
    }
    return {
      topology: `${API_NODES} api + ${WORKERS} workers + 1 poller + PostgreSQL ${execFileSync(join(postgresBinDirOf(), 'postgres'), ['--version']).toString().trim().replace(/^postgres \(PostgreSQL\) /, '')} (fsync on) vs 1 node (role all, SQLite); all on 127.0.0.1${plan.server !== undefined ? `, servers on CPU ${plan.server}, load on CPU ${plan.load}` : ''}`,
      sandbox: single.ready.sandbox === workers[0]!.ready.sandbox ? single.ready.sandbox : `${single.ready.sandbox} (single) / ${workers[0]!.ready.sandbox} (workers)`,
      loadAverage: { before, after: loadavg() },
      warm,
      async: { single: asyncSingle, cluster: asyncCluster, concurrency: ASYNC_CONCURRENCY },
      environmentsPerWorker,
      ...(apiProfile ? { apiProfile } : {}),
      notes,
    };
  } finally {
    // Nodes first (they leave the cluster through PostgreSQL), then PostgreSQL.
    await Promise.all(nodes.map((n) => n.stop(10_000)));
    await postgres?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

function postgresBinDirOf(): string {
  return execFileSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1']).toString().trim();
}

/** Until a warm-up Invoke succeeds through every api node (membership and caches settle). */
async function untilInvokes(apis: FlintReady[], name: string): Promise<void> {
  for (const a of apis) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const job = signedInvokeJob(a, name, HELLO_PAYLOAD, { warmupMs: 0, durationMs: 0 });
      const r = await fetch(job.url, { method: 'POST', headers: job.headers, body: job.body }).catch((e: Error) => ({ status: 0, text: async () => e.message }));
      if (r.status === 200) break;
      if (Date.now() > deadline) throw new Error(`no successful Invoke through ${a.endpoint} in 30 s: ${r.status} ${(await r.text()).slice(0, 200)}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

/** Each role's share of the CPU the cluster's processes (with their descendants) used since `cpu0`. */
function cpuShares(cpu0: Map<number, Map<number, number>>, roleOf: Map<number, string>): Record<string, number> {
  const byRole: Record<string, number> = {};
  let total = 0;
  for (const [pid, snap] of cpu0) {
    const ms = cpuBetween(snap, treeCpu(pid));
    const role = roleOf.get(pid) ?? 'other';
    byRole[role] = (byRole[role] ?? 0) + ms;
    total += ms;
  }
  for (const k of Object.keys(byRole)) byRole[k] = round(byRole[k]! / Math.max(1, total), 2);
  return byRole;
}

function medianFigure(s: Array<{ m: Measurement; share?: Record<string, number> }>): ClusterWarmFigure {
  const ms = s.map((x) => x.m);
  const shares = s.flatMap((x) => (x.share ? [x.share] : []));
  const cpuShare = shares.length > 0 ? Object.fromEntries(Object.keys(shares[0]!).map((k) => [k, round(median(shares.map((x) => x[k] ?? 0)), 2)])) : undefined;
  return {
    p50Ms: round(median(ms.map((m) => m.p50Ms))),
    p99Ms: round(median(ms.map((m) => m.p99Ms))),
    rps: Math.round(median(ms.map((m) => m.rps))),
    serverCpuMsPerReq: round(median(ms.map((m) => m.serverCpuMsPerReq)), 3),
    errors: ms.reduce((a, m) => a + m.errors, 0),
    rpsByRep: ms.map((m) => m.rps),
    ...(cpuShare ? { cpuShare } : {}),
  };
}

/**
 * `events` Event invokes at c=32 after a warm-up burst (the pollers' environments exist), then
 * the deliveries counted by the node that runs the pollers until all have run.
 */
async function measureAsync(d: { runner: LoadRunner; events: number; tiny: boolean; pids: number[]; job(): JobTemplate; succeeded(): Promise<number> }): Promise<ClusterAsyncFigure> {
  const warmup = d.tiny ? 0 : 300;
  const s0 = await d.succeeded();
  if (warmup > 0) {
    const w = await d.runner.measure(d.job(), ASYNC_CONCURRENCY, { totalRequests: warmup });
    await waitFor(d.succeeded, s0 + w.ok, Date.now() + 60_000);
  }
  const s1 = await d.succeeded();
  const t0 = performance.now();
  const m = await d.runner.measure(d.job(), ASYNC_CONCURRENCY, { totalRequests: d.events, serverPids: d.pids });
  // The load generators start 150 ms after the call (a common start time): not part of the figure.
  const started = t0 + 150;
  const done = await waitFor(d.succeeded, s1 + m.ok, Date.now() + (d.tiny ? 20_000 : 60_000));
  const delivered = done - s1;
  return {
    events: d.events,
    enqueuePerSec: Math.round(m.ok / (m.wallMs / 1000)),
    enqueueErrors: m.errors,
    ...(m.firstError ? { firstError: m.firstError } : {}),
    ...(delivered >= m.ok && m.ok > 0 ? { deliveredPerSec: Math.round(delivered / ((performance.now() - started) / 1000)) } : {}),
    delivered,
    serverCpuMsPerEvent: round(m.serverCpuMsPerReq, 3),
  };
}

async function waitFor(read: () => Promise<number>, target: number, deadline: number): Promise<number> {
  let now = await read();
  while (now < target && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
    now = await read();
  }
  return now;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const r2 = (n: number) => round(n, 2);

/** The section's lines for the bench's output: each cluster figure beside the single node's, as a ratio. */
export function renderCluster(r: ClusterResults | Skipped): string {
  if ('skipped' in r) return `cluster: skipped: ${r.skipped}\n`;
  const out: string[] = [`cluster: ${r.topology}; sandbox ${r.sandbox}; load average ${r.loadAverage.before} before, ${r.loadAverage.after} after`];
  const row = (label: string, f: ClusterWarmFigure | Skipped) =>
    'skipped' in f ? `  ${label.padEnd(34)} skipped: ${f.skipped}` : `  ${label.padEnd(34)} ${fmt(f.rps).padStart(7)} req/s  p50 ${String(f.p50Ms).padStart(7)} ms  p99 ${String(f.p99Ms).padStart(7)} ms  CPU-ms/req ${f.serverCpuMsPerReq}${f.errors ? `  (${f.errors} errors)` : ''}`;
  for (const c of CLUSTER_CONCURRENCIES) {
    const { single, cluster } = r.warm[`c${c}`];
    out.push(row(`warm c=${c} single node (SQLite)`, single), row(`warm c=${c} cluster (2 api, 3 workers)`, cluster));
    if (!('skipped' in single) && !('skipped' in cluster)) {
      out.push(`  ${''.padEnd(34)} cluster/single: ${r2(cluster.rps / single.rps)}× req/s, ${r2(cluster.p50Ms / single.p50Ms)}× p50 (+${r2(cluster.p50Ms - single.p50Ms)} ms), ${r2(cluster.p99Ms / single.p99Ms)}× p99, ${r2(cluster.serverCpuMsPerReq / single.serverCpuMsPerReq)}× CPU/req` +
        (cluster.cpuShare ? `; cluster CPU by role ${Object.entries(cluster.cpuShare).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(', ')}` : ''));
    }
  }
  const arow = (label: string, a: ClusterAsyncFigure | Skipped) =>
    'skipped' in a ? `  ${label.padEnd(34)} skipped: ${a.skipped}` : `  ${label.padEnd(34)} ${fmt(a.enqueuePerSec).padStart(7)} events/s accepted (202), ${a.events} events, CPU-ms/event ${a.serverCpuMsPerEvent}; delivered ${a.deliveredPerSec !== undefined ? `${fmt(a.deliveredPerSec)} events/s` : `${a.delivered}/${a.events} (wait ran out)`}${a.enqueueErrors ? `  (${a.enqueueErrors} errors: ${a.firstError})` : ''}`;
  const { single, cluster } = r.async;
  out.push(arow(`async c=${r.async.concurrency} single node (SQLite)`, single), arow(`async c=${r.async.concurrency} cluster (PostgreSQL)`, cluster));
  if (!('skipped' in single) && !('skipped' in cluster)) {
    out.push(`  ${''.padEnd(34)} PostgreSQL/SQLite: ${r2(cluster.enqueuePerSec / single.enqueuePerSec)}× enqueue rate` + (cluster.deliveredPerSec && single.deliveredPerSec ? `, ${r2(cluster.deliveredPerSec / single.deliveredPerSec)}× delivery rate` : ''));
  }
  out.push(`  environments of ${FUNCTION} per worker after the run: ${r.environmentsPerWorker.join(', ')}`);
  if (r.apiProfile) {
    if ('skipped' in r.apiProfile) out.push(`  api node profile: ${r.apiProfile.skipped}`);
    else {
      const p = r.apiProfile;
      out.push(`  api node profile (c=32, 2 s): ${p.requests} requests, ${round(p.busyMs, 0)} ms busy = ${round(p.busyMs / Math.max(1, p.requests), 3)} ms/request (${Object.entries(p.byOwner).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${round(v, 0)} ms`).join(', ')})`);
      for (const t of p.top) out.push(`    ${t.pct.toFixed(1).padStart(5)}%  ${t.fn}  ${t.where}`);
    }
  }
  for (const n of r.notes) out.push(`  note: ${n}`);
  return out.join('\n') + '\n';
}
