import type { CpuSaturation } from '../ports/cpu-signals.js';

/*
 * Parsers for the kernel's CPU-pressure files and the saturation between two readings (pure, so
 * they are tested on recorded files: test/fixtures/host-signals/).
 */

/** One reading of the raw counters. */
export interface CpuReading {
  /** Monotonic milliseconds when read. */
  at: number;
  /** PSI `some` line of /proc/pressure/cpu: avg10 (%) and total stall (µs). */
  psi?: { avg10: number; totalUs: number };
  /** Tasks running or runnable now. */
  runnable: number;
  /** CFS counters of Flint's own cgroup (cpu.stat). */
  cfs?: { periods: number; throttled: number };
}

/** `some avg10=58.36 avg60=55.44 avg300=41.06 total=5914488594` → avg10 and total. */
export function parsePressure(text: string): { avg10: number; totalUs: number } | undefined {
  const m = /^some avg10=([\d.]+) avg60=[\d.]+ avg300=[\d.]+ total=(\d+)/m.exec(text);
  return m ? { avg10: Number(m[1]), totalUs: Number(m[2]) } : undefined;
}

/** `procs_running N` of /proc/stat (the count includes the reader itself). */
export function parseProcsRunning(text: string): number | undefined {
  const m = /^procs_running (\d+)$/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** The `running/total` field of /proc/loadavg (`4.79 3.52 2.18 1/164 14631` → 1). */
export function parseLoadavgRunning(text: string): number | undefined {
  const m = /^[\d.]+ [\d.]+ [\d.]+ (\d+)\/\d+/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** nr_periods and nr_throttled of a cgroup's cpu.stat (the same names in v1 and v2). */
export function parseCgroupCpuStat(text: string): { periods: number; throttled: number } | undefined {
  const periods = /^nr_periods (\d+)$/m.exec(text);
  const throttled = /^nr_throttled (\d+)$/m.exec(text);
  return periods && throttled ? { periods: Number(periods[1]), throttled: Number(throttled[1]) } : undefined;
}

/**
 * The saturation from `prev` to `next`: the PSI stall share from the growth of its total (a live
 * figure; avg10 trails by seconds) or avg10 alone without a previous reading; runnable tasks per
 * CPU (the reader itself not counted); the share of throttled CFS periods (none when no period
 * passed, e.g. a cgroup without a quota).
 */
export function saturationBetween(prev: CpuReading | undefined, next: CpuReading, cpus: number): CpuSaturation {
  const out: CpuSaturation = { runnablePerCpu: Math.max(0, next.runnable - 1) / Math.max(1, cpus) };
  if (next.psi) {
    const ms = prev ? next.at - prev.at : 0;
    out.stall = prev?.psi && ms > 0 ? clamp01((next.psi.totalUs - prev.psi.totalUs) / 1000 / ms) : clamp01(next.psi.avg10 / 100);
  }
  if (next.cfs && prev?.cfs) {
    const periods = next.cfs.periods - prev.cfs.periods;
    if (periods > 0) out.throttled = clamp01((next.cfs.throttled - prev.cfs.throttled) / periods);
  }
  return out;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
