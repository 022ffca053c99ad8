import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../lib/child.js';
import { PYTHON, type CpuPlan } from '../lib/machine.js';
import type { BenchOptions } from '../lib/options.js';
import { median, quantile, round, sortedCopy } from '../lib/stats.js';
import { clientFor, createHello, type FlintReady, type HelloRuntime } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD } from '../flint/hello-function.js';
import { timedInvoke } from '../flint/raw-invoke.js';
import type { Skipped } from './warm-invoke.js';

/**
 * The server configurations measured: the process and bwrap drivers as configured by default
 * (pre-initialized runtime pools on, where the driver offers them), and bwrap with the pool off
 * (`FLINT_PREWARM_PER_RUNTIME=0`), the plain cold start the pool saves.
 */
export const COLD_DRIVERS = [
  { key: 'process', sandbox: 'process', prewarm: true },
  { key: 'bwrap', sandbox: 'bwrap', prewarm: true },
  { key: 'bwrap-no-pool', sandbox: 'bwrap', prewarm: false },
] as const;

export interface ColdFigure {
  n: number;
  p50Ms: number;
  /** The slowest sample of a small set stands in for p99. */
  maxMs: number;
  samplesMs: number[];
}

export interface FlintColdFigure extends ColdFigure {
  /** Warm Invoke of the same function right after, through the same client: the API's share. */
  warmP50Ms: number;
  /** Init Duration the REPORT line carried (runtime start + handler load, Flint's own clock). */
  initDurationP50Ms?: number;
  /** How many samples started from a pre-initialized runtime (the rest were plain cold starts). */
  preInitialized?: number;
}

export interface ColdStartResults {
  bare: { node: ColdFigure | Skipped; python: ColdFigure | Skipped };
  flint: Record<string, { node: FlintColdFigure | Skipped; python: FlintColdFigure | Skipped }>;
  method: string;
}


/**
 * Cold start: a new execution environment to its first response, per sandbox driver and runtime,
 * beside bare `node -e 0` / `python3 -c 0`. Each sample is the first Invoke of a freshly created
 * function (same code, so code extraction is cached and the figure is the environment's start).
 */
export async function runColdStart(deps: { opts: BenchOptions; plan: CpuPlan; log(line: string): void }): Promise<ColdStartResults> {
  const { opts, plan, log } = deps;
  const out: ColdStartResults = {
    bare: { node: { skipped: 'not run' }, python: { skipped: 'not run' } },
    flint: {},
    method: 'first Invoke of a freshly created function (client-observed, signed raw HTTP, keep-alive) vs spawn-to-exit of a bare interpreter with a clean environment; both pinned to the server CPUs',
  };
  const bare = await startChild<{ pid: number }>('sections/bare-start-child.ts', { cpus: plan.server });
  try {
    for (const [rt, argv] of [['node', [process.execPath, '-e', '0']], ['python', [PYTHON, '-c', '0']]] as const) {
      try {
        const { times } = await bare.request<{ times: number[] }>({ argv, samples: Math.max(3, opts.coldSamples * 2) });
        out.bare[rt] = coldFigure(times);
      } catch (err) {
        out.bare[rt] = { skipped: (err as Error).message };
      }
    }
  } finally {
    await bare.stop();
  }
  for (const d of COLD_DRIVERS) out.flint[d.key] = await flintColdStarts(d, opts, plan, log);
  return out;
}

async function flintColdStarts(variant: (typeof COLD_DRIVERS)[number], opts: BenchOptions, plan: CpuPlan, log: (line: string) => void): Promise<ColdStartResults['flint'][string]> {
  const driver = variant.sandbox;
  const dataDir = mkdtempSync(join(tmpdir(), `flint-bench-cold-${variant.key}-`));
  let server;
  try {
    const config = { dataDir, sandbox: driver, ...(variant.prewarm ? {} : { prewarmPerRuntime: 0 }) };
    server = await startChild<FlintReady>('flint/flint-server-child.ts', { cpus: plan.server, args: [JSON.stringify(config)] });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    const why = { skipped: `server with sandbox=${driver} did not start: ${(err as Error).message.slice(0, 200)}` };
    return { node: why, python: why };
  }
  try {
    if (server.ready.sandbox !== driver) {
      const why = { skipped: `asked for sandbox '${driver}', the server ran '${server.ready.sandbox}' (driver unavailable or not wired)` };
      return { node: why, python: why };
    }
    const client = clientFor(server.ready);
    const result = {} as ColdStartResults['flint'][string];
    for (const rt of ['node', 'python'] as HelloRuntime[]) {
      try {
        // One throwaway start so every counted sample finds the code extracted and files cached.
        await createHello(client, `cold-prime-${rt}`, rt);
        await expectOk(await timedInvoke(server.ready, `cold-prime-${rt}`, HELLO_PAYLOAD));
        const cold: number[] = [];
        const warm: number[] = [];
        const init: number[] = [];
        let preInitialized = 0;
        for (let i = 0; i < opts.coldSamples; i++) {
          const name = `cold-${rt}-${i}`;
          await createHello(client, name, rt);
          // Cold starts spaced out, as a pool sees them at a low rate: the runtime the previous
          // sample took has been replaced (waited for here, outside the timing).
          if (variant.prewarm) await server.request({ op: 'prewarm-settled' });
          const first = await expectOk(await timedInvoke(server.ready, name, HELLO_PAYLOAD));
          cold.push(first.ms);
          if ((await server.request<{ preInitialized: boolean[] }>({ op: 'start-type', name })).preInitialized[0]) preInitialized++;
          if (first.initDurationMs !== undefined) init.push(first.initDurationMs);
          warm.push((await expectOk(await timedInvoke(server.ready, name, HELLO_PAYLOAD))).ms);
        }
        result[rt] = { ...coldFigure(cold), warmP50Ms: round(median(warm)), initDurationP50Ms: init.length ? round(median(init)) : undefined, preInitialized };
        log(`  cold ${variant.key} ${rt}: p50 ${round(median(cold))} ms (warm ${round(median(warm))} ms, ${preInitialized}/${cold.length} pre-initialized)`);
      } catch (err) {
        result[rt] = { skipped: `failed: ${(err as Error).message.slice(0, 300)}` };
      }
    }
    client.destroy();
    return result;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function expectOk<T extends { status: number; body: string; functionError?: string }>(o: T): Promise<T> {
  if (o.status !== 200 || o.functionError) throw new Error(`Invoke answered ${o.status}${o.functionError ? ` (${o.functionError})` : ''}: ${o.body.slice(0, 200)}`);
  return o;
}

function coldFigure(samples: number[]): ColdFigure {
  const s = sortedCopy(samples);
  return { n: s.length, p50Ms: round(quantile(s, 0.5)), maxMs: round(s[s.length - 1]!), samplesMs: samples.map((v) => round(v, 2)) };
}
