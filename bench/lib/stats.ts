/** Small statistics helpers for the bench: percentiles of samples and medians across repetitions. */

/** The q-quantile (0..1) of ascending-sorted samples, nearest-rank; NaN when there are none. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(values as ArrayLike<number>);
  out.sort();
  return out;
}

/** Summary of one sample set of durations in milliseconds. */
export interface LatencySummary {
  n: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

export function summarize(samples: ArrayLike<number>): LatencySummary {
  const s = sortedCopy(samples);
  let sum = 0;
  for (const v of s) sum += v;
  return { n: s.length, p50Ms: round(quantile(s, 0.5)), p99Ms: round(quantile(s, 0.99)), meanMs: round(s.length ? sum / s.length : Number.NaN) };
}

/** Rounds to 3 significant decimals for the JSON (µs resolution for ms values). */
export function round(v: number, digits = 3): number {
  if (!Number.isFinite(v)) return v;
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? round(a / b, 2) : Number.NaN;
}
