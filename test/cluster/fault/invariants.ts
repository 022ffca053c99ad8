import type { Op, Report } from './history.js';

/**
 * Invariant checkers over a fault test's history (./history.ts). Each returns what it found, so
 * that a test asserts on it and a failure message shows the offending entries.
 */

/** Async events: every accepted enqueue (202) must be delivered at least once; duplicates are counted (at-least-once, as Lambda). */
export function asyncDelivery(ops: readonly Op[], reports: readonly Report[]): { accepted: number; lost: string[]; duplicates: number } {
  const runs = new Map<string, number>();
  for (const r of reports) runs.set(r.id, (runs.get(r.id) ?? 0) + 1);
  const accepted = ops.filter((o) => o.kind === 'enqueue' && o.outcome === 'ok' && o.status === 202);
  const lost = accepted.filter((o) => !runs.has(o.id)).map((o) => o.id);
  const duplicates = accepted.reduce((n, o) => n + Math.max(0, (runs.get(o.id) ?? 0) - 1), 0);
  return { accepted: accepted.length, lost, duplicates };
}

/** SQS: every send the queues acknowledged (200) must be received later (by body, the op's id); accepted sends are split at `at`. */
export function sqsDelivery(ops: readonly Op[], received: ReadonlySet<string>, at: number): { accepted: number; acceptedBefore: number; acceptedAfter: number; lost: string[] } {
  const accepted = ops.filter((o) => o.kind === 'sqs-send' && o.outcome === 'ok' && o.status === 200);
  return {
    accepted: accepted.length,
    acceptedBefore: accepted.filter((o) => o.end! < at).length,
    acceptedAfter: accepted.filter((o) => o.start > at).length,
    lost: accepted.filter((o) => !received.has(o.id)).map((o) => o.id),
  };
}

/**
 * The most runs of one function that overlapped in time, from the function's own start/end
 * reports (a sweep over the intervals; an end and a start at the same millisecond do not overlap).
 */
export function maxConcurrency(reports: readonly Report[], fn: string): { max: number; at: number } {
  const edges: Array<[number, number]> = [];
  for (const r of reports) {
    if (r.fn !== fn) continue;
    edges.push([r.start, 1], [r.end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  let at = 0;
  for (const [t, d] of edges) {
    cur += d;
    if (cur > max) { max = cur; at = t; }
  }
  return { max, at };
}

/** Runs of one environment that overlapped: an environment serves one request at a time. */
export function overlappingRunsInOneEnvironment(reports: readonly Report[]): string[] {
  const byEnv = new Map<string, Report[]>();
  for (const r of reports) byEnv.set(r.env, [...(byEnv.get(r.env) ?? []), r]);
  const bad: string[] = [];
  for (const [env, runs] of byEnv) {
    runs.sort((a, b) => a.start - b.start);
    for (let i = 1; i < runs.length; i++) if (runs[i]!.start < runs[i - 1]!.end) bad.push(`${env}: ${runs[i - 1]!.id} and ${runs[i]!.id}`);
  }
  return bad;
}

/** An environment never serves two versions (or two functions): environments with more than one, and what they served. */
export function environmentsServingTwoVersions(reports: readonly Report[]): string[] {
  const served = new Map<string, Set<string>>();
  for (const r of reports) {
    const s = served.get(r.env) ?? new Set<string>();
    s.add(`${r.fn}:${r.version}`);
    served.set(r.env, s);
  }
  return [...served].filter(([, s]) => s.size > 1).map(([env, s]) => `${env}: ${[...s].join(', ')}`);
}

/** Scheduled runs: each schedule (one-time, `at(…)`) fired how often; `twice` lists those fired more than once. */
export function scheduleFirings(reports: readonly Report[], schedules: readonly string[]): { missing: string[]; twice: string[] } {
  const n = new Map<string, number>();
  for (const r of reports) if (r.schedule) n.set(r.schedule, (n.get(r.schedule) ?? 0) + 1);
  return { missing: schedules.filter((s) => !n.has(s)), twice: schedules.filter((s) => (n.get(s) ?? 0) > 1) };
}

/**
 * How evenly first invocations spread over workers: environments started per worker, the mean,
 * and whether the busiest is within (1 + epsilon) of the mean (bounded-load placement).
 */
export function spread(reports: readonly Report[], workers: readonly string[], epsilon: number): { perWorker: Record<string, number>; mean: number; max: number; within: boolean } {
  const envsOn = new Map<string, Set<string>>(workers.map((w) => [w, new Set<string>()]));
  for (const r of reports) envsOn.get(r.worker)?.add(r.env);
  const perWorker = Object.fromEntries([...envsOn].map(([w, s]) => [w, s.size]));
  const counts = Object.values(perWorker);
  const mean = counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length);
  const max = Math.max(0, ...counts);
  return { perWorker, mean, max, within: max <= Math.ceil((1 + epsilon) * mean) };
}

/** Successful invokes after `t` that ran on `worker` (a killed or fenced worker must have none). */
export function runsOnAfter(reports: readonly Report[], worker: string, t: number): Report[] {
  return reports.filter((r) => r.worker === worker && r.start > t);
}

/** Sync invokes, by outcome, started after `t` (rerouting after a failure: all must succeed from some point on). */
export function invokeOutcomesAfter(ops: readonly Op[], t: number): { ok: number; failed: Op[] } {
  const after = ops.filter((o) => o.kind === 'invoke' && o.start >= t);
  return { ok: after.filter((o) => o.outcome === 'ok').length, failed: after.filter((o) => o.outcome !== 'ok') };
}
