import { spawn } from 'node:child_process';
import type { BenchOptions } from '../lib/options.js';
import type { BenchChild } from '../lib/child.js';
import type { CpuPlan } from '../lib/machine.js';
import { cpuBetween, cpuMs, descendants, isRuntimeProcess, treeCpu } from '../lib/proc-stats.js';
import { median, round } from '../lib/stats.js';
import { clientFor, createHello, deleteFunction, type FlintReady, type HelloRuntime } from '../flint/flint-functions.js';
import { holdPayload } from '../flint/hello-function.js';
import { timedInvoke } from '../flint/raw-invoke.js';

/*
 * Scale-out rate (issue 13, item 4): environments created per second for N concurrent first
 * invocations of a new function, beside bare interpreter spawns at the same concurrency, measured
 * in the same run and pinned like the server; and the pre-initialized start's Init Duration.
 * Reported as notes (this section registers with one line in run.ts).
 */

const CLEAN_ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
const BARE: Record<HelloRuntime, string[]> = { node: [process.execPath, '-e', '0'], python: ['/usr/bin/python3', '-c', '0'] };

/** N concurrent spawns of `argv` (pinned to the server CPUs) → spawns per second to the last exit. */
async function bareRate(argv: string[], n: number, cpus: string | undefined): Promise<number> {
  const cmd = cpus !== undefined ? ['taskset', '-c', cpus, ...argv] : argv;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
    const c = spawn(cmd[0]!, cmd.slice(1), { env: CLEAN_ENV, stdio: 'ignore' });
    c.once('error', reject);
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} exited ${code}`))));
  })));
  return n / ((performance.now() - t0) / 1000);
}

export async function runScaleOut(deps: { opts: BenchOptions; plan: CpuPlan; flint: FlintReady; flintPid: number; server: BenchChild<FlintReady> }): Promise<string[]> {
  const { flint, flintPid, plan, opts, server } = deps;
  const client = clientFor(flint, 256);
  const lines: string[] = [];
  const levels = opts.tiny ? [16] : [16, 64];
  try {
    for (const rt of ['node', 'python'] as HelloRuntime[]) {
      for (const n of levels) {
        const name = `scale-${rt}-${n}-${Date.now().toString(36)}`;
        try {
          await createHello(client, name, rt);
          // Bare spawns first, warming the page cache for the interpreter as the server's earlier starts did.
          await bareRate(BARE[rt], Math.min(n, 4), plan.server);
          const bare = await bareRate(BARE[rt], n, plan.server);
          const before = new Set(descendants(flintPid).filter(isRuntimeProcess));
          const serverCpu0 = cpuMs(flintPid);
          const tree0 = treeCpu(flintPid);
          await server.request({ op: 'loop-delay-start' });
          const t0 = performance.now();
          const results = await Promise.all(Array.from({ length: n }, () => timedInvoke(flint, name, holdPayload(50))));
          const seconds = (performance.now() - t0) / 1000;
          const stall = await server.request<{ p99Ms: number; maxMs: number }>({ op: 'loop-delay-stop' });
          const bad = results.find((r) => r.status !== 200 || r.functionError);
          if (bad) throw new Error(`Invoke answered ${bad.status}: ${bad.body.slice(0, 200)}`);
          const created = descendants(flintPid).filter(isRuntimeProcess).filter((p) => !before.has(p)).length;
          // Where the CPU went (processes that exited meanwhile — bwrap's launcher, helpers — are not counted).
          const serverMs = cpuMs(flintPid) - serverCpu0;
          const sandboxMs = cpuBetween(tree0, treeCpu(flintPid)) - serverMs;
          const rate = created / seconds;
          const pre = results.filter((r) => r.initDurationMs !== undefined).map((r) => r.initDurationMs!);
          const ratio = rate / bare;
          lines.push(
            `scale-out ${rt} c=${n} (${flint.sandbox}): ${round(rate, 1)} environments/s (${created} in ${round(seconds, 2)} s) vs bare ${BARE[rt].slice(1).join(' ')} ${round(bare, 1)}/s = ${round(ratio, 2)}× ` +
              `(target ≥ 0.8×: ${ratio >= 0.8 ? 'met' : 'NOT MET'}); Init Duration p50 ${pre.length ? round(median(pre), 1) : '-'} ms; ` +
              `CPU per environment: server ${round(serverMs / Math.max(1, created), 1)} ms, sandboxes ${round(sandboxMs / Math.max(1, created), 1)} ms; ` +
              `server event-loop delay meanwhile p99 ${stall.p99Ms} ms, max ${stall.maxMs} ms`,
          );
        } catch (err) {
          lines.push(`scale-out ${rt} c=${n}: failed: ${(err as Error).message.slice(0, 200)}`);
        } finally {
          await deleteFunction(client, name);
        }
      }
    }
  } finally {
    client.destroy();
  }
  return lines;
}
