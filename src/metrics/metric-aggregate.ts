import { DDSketch } from '@datadog/sketches-js';

/**
 * DDSketch's relative accuracy: every percentile Flint answers is within 1% of a value actually
 * published in the period (CloudWatch computes percentiles from its own approximation of the raw
 * values; Flint states its bound instead of matching its unpublished one).
 */
export const PERCENTILE_RELATIVE_ACCURACY = 0.01;

/** The statistics of a set of values, mergeable across minutes and periods (CloudWatch's StatisticSet plus a quantile sketch). */
export class MetricAggregate {
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;
  /** Values the sketch holds; less than `count` when a StatisticSet with distinct min and max was published. */
  readonly sketch: DDSketch;

  constructor(sketch?: DDSketch) {
    this.sketch = sketch ?? new DDSketch({ relativeAccuracy: PERCENTILE_RELATIVE_ACCURACY });
  }

  /** One published value, `weight` times (PutMetricData's Values with Counts). */
  add(value: number, weight = 1): void {
    if (weight <= 0) return;
    this.count += weight;
    this.sum += value * weight;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.sketch.accept(value, weight);
  }

  /**
   * A StatisticSet. CloudWatch can answer percentiles for it only when SampleCount is 1 or Minimum
   * equals Maximum (the values are then known); otherwise the set counts in every other statistic
   * and percentiles of the period are not available.
   */
  addSet(s: { sampleCount: number; sum: number; min: number; max: number }): void {
    if (s.sampleCount <= 0) return;
    if (s.sampleCount === 1 || s.min === s.max) {
      this.count += s.sampleCount;
      this.sum += s.sum;
      if (s.min < this.min) this.min = s.min;
      if (s.max > this.max) this.max = s.max;
      this.sketch.accept(s.sampleCount === 1 ? s.sum : s.min, s.sampleCount);
      return;
    }
    this.count += s.sampleCount;
    this.sum += s.sum;
    if (s.min < this.min) this.min = s.min;
    if (s.max > this.max) this.max = s.max;
  }

  merge(other: MetricAggregate): void {
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    if (other.sketch.count > 0) this.sketch.merge(other.sketch);
  }

  /** The value at percentile `p` (0–100), or undefined when the period's values are not all known (see addSet). */
  percentile(p: number): number | undefined {
    if (this.count === 0 || this.sketch.count < this.count) return undefined;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const v = this.sketch.getValueAtQuantile(p / 100);
    // The sketch's bucket midpoint may fall outside what was published; the true value cannot.
    return Math.min(this.max, Math.max(this.min, v));
  }

  /**
   * The sketch's non-empty bins as float64s: zero count, then (key, count) pairs of the positive and
   * of the negative store. DDSketch's own protobuf form writes its dense bin arrays whole (~2 KB
   * and ~60 µs per sketch); a minute of one series usually fills a handful of bins (tens of bytes).
   */
  encodeSketch(): Buffer {
    const pos = nonEmptyBins(this.sketch.store);
    const neg = nonEmptyBins(this.sketch.negativeStore);
    const out = new Float64Array(3 + pos.length + neg.length);
    out[0] = this.sketch.zeroCount;
    out[1] = pos.length / 2;
    out.set(pos, 2);
    out[2 + pos.length] = neg.length / 2;
    out.set(neg, 3 + pos.length);
    return Buffer.from(out.buffer);
  }

  static decode(row: { count: number; sum: number; min: number; max: number; sketch: Uint8Array | null }): MetricAggregate {
    const a = new MetricAggregate();
    a.count = row.count;
    a.sum = row.sum;
    a.min = row.min;
    a.max = row.max;
    const bytes = row.sketch;
    if (!bytes || bytes.length < 24 || bytes.length % 8 !== 0) return a;
    const f = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const sk = a.sketch;
    sk.zeroCount = f[0]!;
    let i = 1;
    let total = sk.zeroCount;
    for (const store of [sk.store, sk.negativeStore]) {
      const n = f[i++]!;
      for (let j = 0; j < n; j++, i += 2) {
        store.add(f[i]!, f[i + 1]!);
        total += f[i + 1]!;
      }
    }
    sk.count = total;
    if (total > 0) {
      sk.min = a.min;
      sk.max = a.max;
    }
    return a;
  }
}

function nonEmptyBins(store: { bins: number[]; offset: number }): number[] {
  const out: number[] = [];
  const bins = store.bins;
  for (let i = 0; i < bins.length; i++) if (bins[i]! > 0) out.push(store.offset + i, bins[i]!);
  return out;
}
