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
  /**
   * How long a queued request waits before one more environment is started for the queue: at the
   * `activePerCpu` cap at least this (more with a longer queue ahead), below it at most this.
   */
  patienceMs: number;
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
  patienceMs: 100,
  shortRunMs: 50,
};

export interface WaitOrRunInput {
  /**
   * The live signal; undefined where none could be read. Read only when the decision needs it (the
   * pool passes a getter: on the warm path at low concurrency no /proc file is read at all).
   */
  readonly saturation: CpuSaturation | undefined;
  /** CPUs Flint may run on. */
  cpus: number;
  /** Environments of the version running an invocation now (not those starting for one). */
  busy: number;
  /**
   * Environments of every version running an invocation now (Flint's own runnable work besides the
   * server): set against the host's run queue, it tells whether the CPUs are saturated by Flint's
   * environments or by other work. Absent: the saturation is taken to be Flint's own.
   */
  ownBusy?: number;
  /** Environments of the version idle and ready now. */
  idle: number;
  /** Requests of the version already waiting for a busy one. */
  waiting: number;
  /** Recent typical invocation duration of the version (ms); undefined before any finished warm. */
  typicalDurationMs: number | undefined;
  /**
   * The shortest of the version's recent warm invocations (ms): what the handler takes without
   * contention — whether it is short is judged on this, not on the typical duration, which a
   * loaded host stretches for CPU-bound handlers. Absent: the typical duration stands in.
   */
  fastestDurationMs?: number;
  /** Recent typical time to start an environment of the version, to its first /next (ms). */
  typicalStartMs: number | undefined;
  /**
   * How long the longest-running invocation of the version now has been running (ms): a handler
   * that turned into a sleeper shows here before its duration reaches the moving average.
   */
  oldestRunningMs?: number;
  /** The function's timeout (ms): a wait plus a typical invocation never goes past it. */
  timeoutMs: number;
}

export type WaitOrRun =
  | { kind: 'run'; why: string }
  /**
   * Queue for the next environment of the version that frees up (first come, first served). Past
   * `patienceMs` the pool starts one more environment for the queue — the request keeps its place
   * and takes whichever frees first, so a wait and a start never add up; past `maxWaitMs` it runs
   * on its own (a new environment).
   */
  | { kind: 'wait'; patienceMs: number; maxWaitMs: number; why: string };

/**
 * Waits only when all of these hold: host-aware placement is on; an environment of the version is
 * busy; its invocations are short (a CPU-bound handler, not a sleeper: its fastest recent
 * invocation is short, and the one running longest now is not far past it); the CPUs are
 * saturated (PSI stall, run queue, or Flint's cgroup throttled), and by Flint's own environments
 * rather than other work; and the function's timeout leaves room. Then:
 * - at `activePerCpu` × CPUs running environments (idle ones or not), another running one adds
 *   contention, not throughput: the request queues. Its patience grows with the queue ahead (the
 *   busy ones free up about every run/busy ms), so a long queue does not turn into a burst of starts
 *   that would slow everyone (the regression of the first version: 100 ms waits ending in cold
 *   starts on saturated CPUs put p99 at c=64/128 at 2× Lambda's placement).
 * - below that, a new environment adds throughput: the request waits only when a busy one frees
 *   up sooner than a start.
 */
export function waitOrRun(input: WaitOrRunInput, settings: HostAwareSettings): WaitOrRun {
  if (!settings.enabled) return { kind: 'run', why: 'host-aware placement is off (Lambda: a new environment when none is free)' };
  if (input.busy === 0) return { kind: 'run', why: 'no environment of the version to wait for' };
  const cap = Math.max(1, Math.round(settings.activePerCpu * input.cpus));
  const atCap = input.busy >= cap;
  if (input.idle > 0 && !atCap) return { kind: 'run', why: 'an idle environment and room for one more running' };
  const run = input.typicalDurationMs;
  if (run === undefined) return { kind: 'run', why: 'no invocation of the version finished yet' };
  // The one running longest counts once it is past twice shortRunMs, far past what the handler
  // takes and well past the typical wall time (a runtime descheduled on saturated CPUs runs late by
  // tens of ms, and at c=128 on two CPUs a 1 ms echo's wall time is 100 ms and more; a handler
  // that turned sleeper runs 100× late, and is caught before 16 of its runs reach the fastest figure).
  const own = input.fastestDurationMs ?? run;
  if (own > settings.shortRunMs || (input.oldestRunningMs ?? 0) > Math.max(2 * settings.shortRunMs, 10 * own, 4 * run)) return { kind: 'run', why: 'its invocations are not short (they likely wait on I/O): no queuing behind them' };
  const budget = input.timeoutMs - run;
  if (budget <= 0) return { kind: 'run', why: 'no timeout budget left to wait in' };
  // The signal last: the checks above need no /proc read.
  const s = input.saturation;
  if (!s) return { kind: 'run', why: 'no CPU signal' };
  if (!isSaturated(s, settings)) return { kind: 'run', why: 'the CPUs have room' };
  // Saturated by other work (other tenants of a shared host): restraint would only hand Flint's
  // share of the CPUs to them — the first version, at host load 40, served a third of Lambda's
  // placement at c=128 with 2 environments running. Lambda's way then.
  if (input.ownBusy !== undefined && s.runnablePerCpu * input.cpus - input.ownBusy > input.ownBusy + 1) return { kind: 'run', why: 'the CPUs are saturated by other work, not by its environments' };
  // The busy environments free up about every run/busy ms; those already waiting go first.
  const expected = (run * (input.waiting + 1)) / input.busy;
  if (atCap) {
    const patienceMs = Math.min(budget, Math.max(settings.patienceMs, 4 * expected));
    return { kind: 'wait', patienceMs, maxWaitMs: budget, why: 'the CPUs are saturated by its environments, activePerCpu × CPUs run: another adds contention, not throughput' };
  }
  const start = input.typicalStartMs;
  if (start === undefined) return { kind: 'run', why: 'no start time known yet' };
  if (expected >= start) return { kind: 'run', why: 'the queue ahead is longer than a start' };
  const patienceMs = Math.min(budget, settings.patienceMs, Math.max(2 * expected, 1));
  return { kind: 'wait', patienceMs, maxWaitMs: budget, why: 'the CPUs are saturated and a busy environment frees up sooner than a start' };
}

/** The CPUs count as saturated: PSI stall, run queue per CPU, or Flint's cgroup throttled, at the settings' thresholds. */
export function isSaturated(s: CpuSaturation, settings: Pick<HostAwareSettings, 'stallAtLeast' | 'runnablePerCpuAtLeast' | 'throttledAtLeast'>): boolean {
  return (
    (s.stall !== undefined && s.stall >= settings.stallAtLeast) ||
    s.runnablePerCpu >= settings.runnablePerCpuAtLeast ||
    (s.throttled !== undefined && s.throttled >= settings.throttledAtLeast)
  );
}
