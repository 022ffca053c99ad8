import type { CpuSaturation } from '../ports/cpu-signals.js';

/*
 * Host-aware placement (beyond Lambda): when every environment of a version is busy, does a sync
 * request wait briefly for one of them, or get a new one? Lambda always starts a new one — it
 * assumes a free CPU per environment. On a small host whose CPUs are saturated by running
 * environments, another environment adds contention, not throughput (and its cold start costs CPU
 * the others need); when environments wait on I/O, more environments are exactly right, and the
 * CPU is then not saturated. A pure function of the signal and the version's recent figures.
 */

export interface HostAwareSettings {
  /** false: Lambda's behaviour, always a new environment when none is free. */
  enabled: boolean;
  /** PSI `some` stall share (0..1) from which the CPUs count as saturated. */
  stallAtLeast: number;
  /** Runnable tasks per CPU from which the CPUs count as saturated. */
  runnablePerCpuAtLeast: number;
  /** Throttled share of Flint's cgroup periods from which its CPU limit counts as exhausted. */
  throttledAtLeast: number;
  /** The longest a request waits for a busy environment, whatever the figures say. */
  maxWaitMs: number;
}

export const DEFAULT_HOST_AWARE: HostAwareSettings = {
  enabled: true,
  stallAtLeast: 0.6,
  runnablePerCpuAtLeast: 1.5,
  throttledAtLeast: 0.5,
  maxWaitMs: 100,
};

export interface WaitOrStartInput {
  /** The live signal; undefined where none could be read. */
  saturation: CpuSaturation | undefined;
  /** Environments of the version running an invocation (or starting for one) now. */
  busy: number;
  /** Requests of the version already waiting for one of them. */
  waiting: number;
  /** Recent typical invocation duration of the version (ms); undefined before any finished. */
  typicalDurationMs: number | undefined;
  /** Recent typical time to start an environment of the version, to its first /next (ms). */
  typicalStartMs: number | undefined;
  /** The function's timeout (ms): a wait plus a typical invocation never goes past it. */
  timeoutMs: number;
}

export type WaitOrStart =
  | { kind: 'start'; why: string }
  | { kind: 'wait'; maxWaitMs: number; why: string };

/**
 * Waits only when all of these hold: host-aware placement is on; an environment of the version is
 * busy and will free up; the CPUs are saturated (PSI stall, run queue, or Flint's cgroup
 * throttled); the version's invocations are shorter than starting an environment (a CPU-bound
 * handler, not a sleeper); the expected wait — the queue ahead shared by the busy environments —
 * is shorter than a start. The wait is bounded by `maxWaitMs`, twice the expected wait, and the
 * function's timeout budget; past it the pool starts a new environment anyway.
 */
export function waitOrStart(input: WaitOrStartInput, settings: HostAwareSettings): WaitOrStart {
  if (!settings.enabled) return { kind: 'start', why: 'host-aware placement is off (Lambda: a new environment when none is free)' };
  if (input.busy === 0) return { kind: 'start', why: 'no environment of the version to wait for' };
  const s = input.saturation;
  if (!s) return { kind: 'start', why: 'no CPU signal' };
  const saturated =
    (s.stall !== undefined && s.stall >= settings.stallAtLeast) ||
    s.runnablePerCpu >= settings.runnablePerCpuAtLeast ||
    (s.throttled !== undefined && s.throttled >= settings.throttledAtLeast);
  if (!saturated) return { kind: 'start', why: 'the CPUs have room' };
  const run = input.typicalDurationMs;
  if (run === undefined) return { kind: 'start', why: 'no invocation of the version finished yet' };
  const start = input.typicalStartMs;
  if (start === undefined) return { kind: 'start', why: 'no start time known yet' };
  if (run >= start) return { kind: 'start', why: 'its invocations last longer than a start' };
  // The busy environments free up about every run/busy ms; those already waiting go first.
  const expected = (run * (input.waiting + 1)) / input.busy;
  if (expected >= start) return { kind: 'start', why: 'the queue ahead is longer than a start' };
  const budget = input.timeoutMs - run;
  const maxWaitMs = Math.min(settings.maxWaitMs, Math.max(2 * expected, 1), budget);
  if (maxWaitMs <= 0) return { kind: 'start', why: 'no timeout budget left to wait in' };
  return { kind: 'wait', maxWaitMs, why: 'the CPUs are saturated and a busy environment frees up sooner than a start' };
}
