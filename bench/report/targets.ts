import { ratio } from '../lib/stats.js';
import type { BenchResults, TargetResult } from './bench-results.js';
import { isFigure } from '../sections/warm-invoke.js';

/**
 * Flint's performance targets (docs/SPECIFICATION.md), evaluated against one run. Ratios are
 * taken against floors measured in the same run, so the machine's speed cancels out.
 */
export function evaluateTargets(r: Omit<BenchResults, 'targets'>): TargetResult[] {
  const out: TargetResult[] = [];
  const warm = isFigure(r.warm) ? r.warm : undefined;
  const c32 = warm?.c32;
  const c1 = warm?.c1;
  const fig = <T extends object>(e: T | { skipped: string } | undefined) => (isFigure(e) ? e : undefined);

  const flint32 = fig(c32?.flintRaw);
  const two32 = fig(c32?.twoHop);
  const off32 = fig(c32?.offline);
  out.push(atLeast('warm-throughput-vs-floor', 'warm Invoke throughput at c=32 ≥ 0.7 × the two-hop floor', 'warm.c32.flintRaw.rps / warm.c32.twoHop.rps',
    flint32 && two32 ? ratio(flint32.rps, two32.rps) : null, 0.7, '×'));
  out.push(atLeast('warm-throughput-vs-offline', 'warm Invoke throughput at c=32 ≥ 5 × serverless-offline', 'warm.c32.flintRaw.rps / warm.c32.offline.rps',
    flint32 && off32 ? ratio(flint32.rps, off32.rps) : null, 5, '×', off32 ? undefined : skippedWhy(c32?.offline)));
  const flint1 = fig(c1?.flintRaw);
  const two1 = fig(c1?.twoHop);
  out.push(atMost('warm-latency-vs-floor', 'warm Invoke p50 at c=1 ≤ 1.5 × the two-hop floor', 'warm.c1.flintRaw.p50Ms / warm.c1.twoHop.p50Ms',
    flint1 && two1 ? ratio(flint1.p50Ms, two1.p50Ms) : null, 1.5, '×'));

  const user1 = fig(c1?.flintIamUser);
  out.push(atMost('authorization-cost', 'warm Invoke front-process CPU per request signed by an IAM user ≤ 1.05 × root\'s (policy evaluation adds ≤ 5 %)', 'warm.c1.flintIamUser.frontCpuMsPerReq / warm.c1.flintRaw.frontCpuMsPerReq',
    user1 && flint1 ? ratio(user1.frontCpuMsPerReq, flint1.frontCpuMsPerReq) : null, 1.05, '×'));

  const asyncFig = fig(r.async);
  out.push(atLeast('async-enqueue-rate', 'async enqueue ≥ 5,000 events/s (each durable before its 202)', 'async.enqueuePerSec', asyncFig?.enqueuePerSec ?? null, 5000, 'events/s'));

  const mem = fig(r.memory);
  for (const rt of ['node', 'python'] as const) {
    const m = fig(mem?.[rt]);
    out.push(atMost(`memory-per-env-${rt}`, `platform PSS per idle warm ${rt} environment ≤ 2 MiB beyond the runtime's own`, `memory.${rt}.overheadKiB`, m?.overheadKiB ?? null, 2048, 'KiB'));
  }

  const cold = fig(r.coldStart);
  // The pool-off comparison row (`bwrap-no-pool`) is a reference, not a target.
  for (const driver of Object.keys(cold?.flint ?? { process: 0 }).filter((d) => !d.endsWith('-no-pool'))) {
    for (const rt of ['node', 'python'] as const) {
      const c = fig(cold?.flint[driver]?.[rt]);
      out.push(atMost(`cold-start-${driver}-${rt}`, `cold start p50 ≤ 10 ms, ${rt} hello-world, ${driver} sandbox (needs pre-initialized runtime pools)`, `coldStart.flint.${driver}.${rt}.p50Ms`,
        c?.p50Ms ?? null, 10, 'ms', c ? undefined : skippedWhy(cold?.flint[driver]?.[rt])));
    }
  }
  return out;
}

function atLeast(id: string, description: string, key: string, measured: number | null, threshold: number, unit: string, note?: string): TargetResult {
  const m = measured !== null && Number.isFinite(measured) ? measured : null;
  return { id, description, key, measured: m, threshold, unit, met: m === null ? null : m >= threshold, ...(note ? { note } : {}) };
}

function atMost(id: string, description: string, key: string, measured: number | null, threshold: number, unit: string, note?: string): TargetResult {
  const m = measured !== null && Number.isFinite(measured) ? measured : null;
  return { id, description, key, measured: m, threshold, unit, met: m === null ? null : m <= threshold, ...(note ? { note } : {}) };
}

function skippedWhy(e: object | undefined): string | undefined {
  return e && 'skipped' in e ? String((e as { skipped: string }).skipped) : undefined;
}
