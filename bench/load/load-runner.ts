import { startChild, type BenchChild } from '../lib/child.js';
import { cpuBetween, treeCpu } from '../lib/proc-stats.js';
import { round, summarize } from '../lib/stats.js';
import type { LoadJob, LoadResult } from './load-job.js';

/** One measurement: merged over the workers that ran it. */
export interface Measurement {
  ok: number;
  errors: number;
  firstError?: string;
  rps: number;
  /** The measured window, or first send → last answer for a fixed request count. */
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU ms the server's process tree spent per ok request (less noisy than wall time on a shared host). */
  serverCpuMsPerReq: number;
  /** The same for the first server process alone (Flint: the server without its environments). */
  frontCpuMsPerReq: number;
  /** Share of one core the load generators used: near 1 × workers means the client was the limit. */
  clientCpuShare: number;
  sampleBody?: string;
}

type Distribute<T> = T extends LoadJob ? Omit<T, 'startAt' | 'concurrency' | 'totalRequests'> : never;
export type JobTemplate = Distribute<LoadJob>;

/** A pool of load generator processes pinned to the load CPUs, reused across measurements. */
export class LoadRunner {
  readonly #workers: BenchChild<{ pid: number }>[];

  private constructor(workers: BenchChild<{ pid: number }>[]) {
    this.#workers = workers;
  }

  static async start(count: number, cpus: string | undefined): Promise<LoadRunner> {
    const workers = await Promise.all(Array.from({ length: count }, () => startChild<{ pid: number }>('load/load-worker.ts', { cpus })));
    return new LoadRunner(workers);
  }

  get size(): number {
    return this.#workers.length;
  }

  /**
   * Runs `template` at `concurrency` across up to `workers` processes (each takes a share of the
   * lanes), charging the CPU of the `serverPids` process trees to the requests.
   */
  async measure(template: JobTemplate, concurrency: number, opts: { workers?: number; serverPids?: number[]; totalRequests?: number } = {}): Promise<Measurement> {
    const n = Math.max(1, Math.min(opts.workers ?? this.#workers.length, this.#workers.length, concurrency));
    const startAt = Date.now() + 150;
    const jobs = Array.from({ length: n }, (_, i) => {
      const lanes = Math.floor(concurrency / n) + (i < concurrency % n ? 1 : 0);
      const total = opts.totalRequests !== undefined ? Math.floor(opts.totalRequests / n) + (i < opts.totalRequests % n ? 1 : 0) : undefined;
      return { ...template, concurrency: lanes, startAt, totalRequests: total } as LoadJob;
    });
    // Server CPU is charged over the measured window only: snapshot when the warmup ends.
    let before: Map<number, number> | undefined;
    const warm = opts.totalRequests !== undefined ? 150 : 150 + template.warmupMs;
    const pids = opts.serverPids ?? [];
    const snap = setTimeout(() => { before = treesCpu(pids); }, warm);
    const results = await Promise.all(jobs.map((job, i) => this.#workers[i]!.request<{ result: LoadResult }>({ job }).then((r) => r.result)));
    const after = treesCpu(pids);
    clearTimeout(snap);
    const front = pids[0] !== undefined && before?.has(pids[0]) ? (after.get(pids[0]) ?? 0) - before.get(pids[0])! : Number.NaN;
    return merge(results, before && pids.length > 0 ? cpuBetween(before, after) : Number.NaN, front);
  }

  async stop(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.stop()));
  }
}

function merge(results: LoadResult[], serverCpuMs: number, frontCpuMs: number): Measurement {
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let cpu = 0;
  let wall = 0;
  let firstError: string | undefined;
  for (const r of results) {
    ok += r.ok;
    errors += r.errors;
    cpu += r.cpuMs;
    wall = Math.max(wall, r.wallMs);
    firstError ??= r.firstError;
    for (const l of r.latenciesMs) latencies.push(l);
  }
  const s = summarize(latencies);
  return {
    ok,
    errors,
    firstError,
    rps: wall > 0 ? Math.round(ok / (wall / 1000)) : Number.NaN,
    wallMs: round(wall, 1),
    p50Ms: s.p50Ms,
    p99Ms: s.p99Ms,
    serverCpuMsPerReq: ok > 0 ? round(serverCpuMs / ok, 4) : Number.NaN,
    frontCpuMsPerReq: ok > 0 ? round(frontCpuMs / ok, 4) : Number.NaN,
    clientCpuShare: wall > 0 ? round(cpu / wall, 2) : Number.NaN,
    sampleBody: results.find((r) => r.sampleBody)?.sampleBody,
  };
}

function treesCpu(pids: number[]): Map<number, number> {
  const all = new Map<number, number>();
  for (const pid of pids) for (const [p, ms] of treeCpu(pid)) all.set(p, ms);
  return all;
}
