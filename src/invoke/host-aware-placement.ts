import type { CpuSaturation } from '../ports/cpu-signals.js';

/*
 * Host-aware placement (beyond Lambda): does a sync request run now — on an idle environment of
 * its version, or a new one when none is idle — or wait briefly for a busy one? Lambda always runs
 * now: it assumes a free CPU per environment. On a small host whose CPUs are saturated by running
 * environments, another running environment adds contention, not throughput (32 runtime
 * processes on one core serve a third of what one serves), and a new one's cold start costs CPU
 * the others need. When environments wait on I/O, more of them are exactly right — and the CPUs
 * are then not saturated. A pure function of the live signal and the version's recent figures.
 */

export interface HostAwareSettings {
  /** false: Lambda's behaviour, every request runs at once (a new environment when none is free). */
  enabled: boolean;
  /** PSI `some` stall share (0..1) from which the CPUs count as saturated. */
  stallAtLeast: number;
  /** Runnable tasks per CPU from which the CPUs count as saturated. */
  runnablePerCpuAtLeast: number;
  /** Throttled share of Flint's cgroup periods from which its CPU limit counts as exhausted. */
  throttledAtLeast: number;
  /** On saturated CPUs, environments of one version running at once per CPU before requests queue. */
  activePerCpu: number;
  /** The longest a request waits for a busy environment, whatever the figures say. */
  maxWaitMs: number;
  /**
   * Invocations longer than this are not queued behind (they likely wait on I/O — a sleeper — and
   * on a loaded host a start can take longer than them, so "shorter than a start" alone misleads).
   */
  shortRunMs: number;
}

export const DEFAULT_HOST_AWARE: HostAwareSettings = {
  enabled: true,
  stallAtLeast: 0.6,
  runnablePerCpuAtLeast: 1.5,
  throttledAtLeast: 0.5,
  activePerCpu: 2,
  maxWaitMs: 100,
  shortRunMs: 50,
};

export interface WaitOrRunInput {
  /** The live signal; undefined where none could be read. */
  saturation: CpuSaturation | undefined;
  /** CPUs Flint may run on. */
  cpus: number;
  /** Environments of the version running an invocation (or starting for one) now. */
  busy: number;
  /** Environments of the version idle and ready now. */
  idle: number;
  /** Requests of the version already waiting for a busy one. */
  waiting: number;
  /** Recent typical invocation duration of the version (ms); undefined before any finished warm. */
  typicalDurationMs: number | undefined;
  /** Recent typical time to start an environment of the version, to its first /next (ms). */
  typicalStartMs: number | undefined;
  /** The function's timeout (ms): a wait plus a typical invocation never goes past it. */
  timeoutMs: number;
}

export type WaitOrRun =
  | { kind: 'run'; why: string }
  | { kind: 'wait'; maxWaitMs: number; why: string };

/**
 * Waits only when all of these hold: host-aware placement is on; an environment of the version is
 * busy; the CPUs are saturated (PSI stall, run queue, or Flint's cgroup throttled); the version's
 * invocations are shorter than starting an environment (a CPU-bound handler, not a sleeper); and
 * either no environment is idle and the expected wait — the queue ahead shared by the busy ones —
 * is shorter than a start, or one is idle but `activePerCpu` × CPUs already run. The wait is
 * bounded by `maxWaitMs`, twice the expected wait, and the function's timeout budget; past it the
 * request runs anyway (on an idle environment, else a new one).
 */
export function waitOrRun(input: WaitOrRunInput, settings: HostAwareSettings): WaitOrRun {
  if (!settings.enabled) return { kind: 'run', why: 'host-aware placement is off (Lambda: a new environment when none is free)' };
  if (input.busy === 0) return { kind: 'run', why: 'no environment of the version to wait for' };
  const s = input.saturation;
  if (!s) return { kind: 'run', why: 'no CPU signal' };
  const saturated =
    (s.stall !== undefined && s.stall >= settings.stallAtLeast) ||
    s.runnablePerCpu >= settings.runnablePerCpuAtLeast ||
    (s.throttled !== undefined && s.throttled >= settings.throttledAtLeast);
  if (!saturated) return { kind: 'run', why: 'the CPUs have room' };
  const run = input.typicalDurationMs;
  if (run === undefined) return { kind: 'run', why: 'no invocation of the version finished yet' };
  const start = input.typicalStartMs;
  if (start === undefined) return { kind: 'run', why: 'no start time known yet' };
  if (run >= start || run > settings.shortRunMs) return { kind: 'run', why: 'its invocations last longer than a start (or are not short)' };
  if (input.idle > 0 && input.busy < Math.max(1, settings.activePerCpu * input.cpus)) return { kind: 'run', why: 'an idle environment and room for one more running' };
  // The busy environments free up about every run/busy ms; those already waiting go first.
  const expected = (run * (input.waiting + 1)) / input.busy;
  const alternative = input.idle > 0 ? settings.maxWaitMs : start;
  if (expected >= alternative) return { kind: 'run', why: 'the queue ahead is longer than running now' };
  const budget = input.timeoutMs - run;
  const maxWaitMs = Math.min(settings.maxWaitMs, Math.max(2 * expected, 1), budget);
  if (maxWaitMs <= 0) return { kind: 'run', why: 'no timeout budget left to wait in' };
  return { kind: 'wait', maxWaitMs, why: 'the CPUs are saturated and a busy environment frees up sooner than running another' };
}
