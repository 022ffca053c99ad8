import type { BenchOptions } from '../lib/options.js';
import { descendants, isRuntimeProcess } from '../lib/proc-stats.js';
import { round } from '../lib/stats.js';
import { clientFor, createHello, type FlintReady, type HelloRuntime } from '../flint/flint-functions.js';
import { holdPayload } from '../flint/hello-function.js';
import { timedInvoke } from '../flint/raw-invoke.js';
import type { Skipped } from './warm-invoke.js';

export interface CreationFigure {
  /** Concurrent Invokes sent to a function with no environment. */
  invokes: number;
  /** New runtime processes (one per environment) the server started for them. */
  envsCreated: number;
  seconds: number;
  envsPerSec: number;
}

export type EnvCreationResults = Record<HelloRuntime, CreationFigure | Skipped> & { sandbox: string };

/**
 * Environment creation rate: N concurrent Invokes of a function that has no environment yet, each
 * held 50 ms so they cannot share one; environments/s = new environments ÷ time to the last answer.
 */
export async function runEnvCreation(deps: { opts: BenchOptions; flint: FlintReady; flintPid: number }): Promise<EnvCreationResults> {
  const { opts, flint, flintPid } = deps;
  const client = clientFor(flint);
  const out = { sandbox: flint.sandbox } as EnvCreationResults;
  try {
    for (const rt of ['node', 'python'] as HelloRuntime[]) {
      try {
        const name = `create-${rt}`;
        await createHello(client, name, rt);
        const before = new Set(runtimes(flintPid));
        const t0 = performance.now();
        const results = await Promise.all(Array.from({ length: opts.creationEnvs }, () => timedInvoke(flint, name, holdPayload(50))));
        const seconds = (performance.now() - t0) / 1000;
        const bad = results.find((r) => r.status !== 200 || r.functionError);
        if (bad) throw new Error(`Invoke answered ${bad.status}: ${bad.body.slice(0, 200)}`);
        const created = runtimes(flintPid).filter((p) => !before.has(p)).length;
        out[rt] = { invokes: opts.creationEnvs, envsCreated: created, seconds: round(seconds, 3), envsPerSec: round(created / seconds, 1) };
      } catch (err) {
        out[rt] = { skipped: `failed: ${(err as Error).message.slice(0, 300)}` };
      }
    }
  } finally {
    client.destroy();
  }
  return out;
}

function runtimes(serverPid: number): number[] {
  return descendants(serverPid).filter(isRuntimeProcess);
}
