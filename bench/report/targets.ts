import { ratio, round } from '../lib/stats.js';
import type { BenchResults, TargetResult } from './bench-results.js';
import { isFigure } from '../sections/warm-invoke.js';

/**
 * Flint's performance targets (docs/SPECIFICATION.md), evaluated against one run. Ratios are
 * taken against floors measured in the same run, so the machine's speed cancels out.
 */
export function evaluateTargets(r: Omit<BenchResults, 'targets'>, baseline?: Omit<BenchResults, 'targets'>): TargetResult[] {
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

  // Against the protocol floors (issue 13): what the Lambda protocol itself costs on this host.
  const proto1 = fig(c1?.protocol1);
  out.push(atLeast('warm-c1-vs-protocol', 'warm Invoke throughput at c=1 ≥ 0.7 × the 1-runtime protocol floor', 'warm.c1.flintRaw.rps / warm.c1.protocol1.rps',
    flint1 && proto1 ? ratio(flint1.rps, proto1.rps) : null, 0.7, '×'));
  out.push(atMost('warm-c1-p50-vs-protocol', 'warm Invoke p50 at c=1 ≤ 1.5 × the 1-runtime protocol floor\'s', 'warm.c1.flintRaw.p50Ms / warm.c1.protocol1.p50Ms',
    flint1 && proto1 ? ratio(flint1.p50Ms, proto1.p50Ms) : null, 1.5, '×'));
  out.push(atMost('server-cpu-per-warm-invoke', 'server CPU per warm invocation (c=1, the Flint server process: front door, Runtime API, logs, metrics) ≤ 0.25 ms', 'warm.c1.flintRaw.frontCpuMsPerReq',
    flint1 ? flint1.frontCpuMsPerReq : null, 0.25, 'ms'));
  const protoN = fig(c32?.protocolN);
  out.push(atLeast('warm-c32-vs-protocol', 'warm Invoke throughput at c=32 (CPU-bound echo) ≥ 2 × the 32-runtime protocol floor (host-aware placement)', 'warm.c32.flintRaw.rps / warm.c32.protocolN.rps',
    flint32 && protoN ? ratio(flint32.rps, protoN.rps) : null, 2, '×'));
  const sleep32 = fig(c32?.flintSleep200);
  out.push(atLeast('warm-c32-sleep', 'warm Invoke at c=32 of a handler sleeping 200 ms ≥ 0.9 × 32 / 0.2 s (no queuing behind sleepers)', 'warm.c32.flintSleep200.rps',
    sleep32 ? sleep32.rps : null, 144, 'req/s'));
  const sweep = warm?.sweep?.filter((e): e is Extract<typeof e, { p99Ms: number }> => 'p99Ms' in e);
  const base = isFigure(baseline?.warm) ? baseline.warm.sweep?.filter((e): e is Extract<typeof e, { p99Ms: number }> => 'p99Ms' in e) : undefined;
  const worst = sweep && base ? Math.max(...sweep.map((s) => { const b = base.find((x) => x.c === s.c); return b ? s.p99Ms / b.p99Ms : 0; })) : null;
  out.push(atMost('warm-p99-sweep', 'warm Invoke p99 at c=1..256 not worse than the baseline run\'s (worst ratio; 10 % allowed for noise)', 'max over c of warm.sweep[c].p99Ms / baseline.warm.sweep[c].p99Ms',
    worst !== null && worst > 0 ? round(worst, 2) : null, 1.1, '×', base ? undefined : 'no baseline: pass --baseline=FILE (a results JSON with a sweep) or keep one at bench/results/baseline.json'));

  const user1 = fig(c1?.flintIamUser);
  out.push(atMost('authorization-cost', 'warm Invoke front-process CPU per request signed by an IAM user ≤ 1.05 × root\'s (policy evaluation adds ≤ 5 %)', 'warm.c1.flintIamUser.frontCpuMsPerReq / warm.c1.flintRaw.frontCpuMsPerReq',
    user1 && flint1 ? ratio(user1.frontCpuMsPerReq, flint1.frontCpuMsPerReq) : null, 1.05, '×'));

  const asyncFig = fig(r.async);
  out.push(atLeast('async-enqueue-rate', 'async enqueue ≥ 5,000 events/s (each durable before its 202)', 'async.enqueuePerSec', asyncFig?.enqueuePerSec ?? null, 5000, 'events/s'));
  const syncBest = Math.max(flint32?.rps ?? 0, flint1?.rps ?? 0);
  out.push(atLeast('async-delivery-vs-sync', 'async enqueue → delivered ≥ 0.8 × the sync throughput of the same function (best of warm c=1, c=32)', 'async.deliveredPerSec / max(warm.c1.flintRaw.rps, warm.c32.flintRaw.rps)',
    asyncFig && syncBest > 0 ? ratio(asyncFig.deliveredPerSec, syncBest) : null, 0.8, '×', syncBest > 0 ? undefined : 'needs the warm section in the same run'));

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
