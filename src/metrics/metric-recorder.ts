import type { Clock } from '../ports/clock.js';
import type { MetricPoint, MetricSeries, MetricStore } from '../ports/metric-store.js';
import { MetricAggregate } from './metric-aggregate.js';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

/**
 * CloudWatch's retention: high-resolution (1 s) data for 3 hours, 1-minute data for 15 days,
 * 5-minute data for 63 days, 1-hour data for 455 days; each is rolled up into the next when it
 * ages out, as CloudWatch aggregates "data points initially published with a shorter period".
 */
export const RETENTION: ReadonlyArray<{ resolution: number; keepMs: number; into?: number }> = [
  { resolution: 1, keepMs: 3 * HOUR, into: 60 },
  { resolution: 60, keepMs: 15 * DAY, into: 300 },
  { resolution: 300, keepMs: 63 * DAY, into: 3600 },
  { resolution: 3600, keepMs: 455 * DAY },
];

export const seriesKey = (s: MetricSeries): string => `${s.namespace}\0${s.metricName}\0${s.dimensions.map((d) => `${d.Name}=${d.Value}`).join('\0')}\0${s.unit}`;

/** One series' unflushed buckets. Held by hot callers so an update is a field access, not a lookup. */
export class SeriesBuffer {
  readonly series: MetricSeries;
  readonly resolution: number;
  readonly #step: number;
  /** Bucket start (epoch ms) → aggregate. */
  readonly buckets = new Map<number, MetricAggregate>();
  #currentTs = -1;
  #current: MetricAggregate | undefined;

  constructor(series: MetricSeries, resolution: number) {
    this.series = series;
    this.resolution = resolution;
    this.#step = resolution * SECOND;
  }

  /** The aggregate of the bucket holding `timestamp`. */
  at(timestamp: number): MetricAggregate {
    const ts = timestamp - (timestamp % this.#step);
    if (ts === this.#currentTs && this.#current) return this.#current;
    let agg = this.buckets.get(ts);
    if (!agg) {
      agg = new MetricAggregate();
      this.buckets.set(ts, agg);
    }
    if (ts >= this.#currentTs) {
      this.#currentTs = ts;
      this.#current = agg;
    }
    return agg;
  }

  add(timestamp: number, value: number): void {
    this.at(timestamp).add(value);
  }

  drain(): MetricPoint[] {
    const out: MetricPoint[] = [];
    for (const [ts, a] of this.buckets) {
      if (a.count === 0) continue;
      out.push({ series: this.series, timestamp: ts, resolution: this.resolution, count: a.count, sum: a.sum, min: a.min, max: a.max, sketch: a.encodeSketch() });
    }
    this.buckets.clear();
    this.#currentTs = -1;
    this.#current = undefined;
    return out;
  }
}

/**
 * The write side of the metric store: updates land in in-memory per-bucket aggregates and reach
 * SQLite once per flush interval (and before every read), so a warm invocation costs a few
 * in-memory additions rather than a database write. Rollup to coarser resolutions runs with the flush.
 */
export class MetricRecorder {
  readonly #store: MetricStore;
  readonly #clock: Clock;
  readonly #buffers = new Map<string, SeriesBuffer>();
  #timer: NodeJS.Timeout | undefined;
  #lastRollup = 0;

  constructor(opts: { store: MetricStore; clock: Clock }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
  }

  get clock(): Clock {
    return this.#clock;
  }

  get store(): MetricStore {
    return this.#store;
  }

  /** The buffer of `series` at `resolution` (1 or 60 s), created on first use. */
  buffer(series: MetricSeries, resolution = 60): SeriesBuffer {
    const key = `${resolution}\0${seriesKey(series)}`;
    let b = this.#buffers.get(key);
    if (!b) {
      b = new SeriesBuffer(series, resolution);
      this.#buffers.set(key, b);
    }
    return b;
  }

  /** Writes every unflushed bucket. */
  flush(): void {
    const points: MetricPoint[] = [];
    for (const b of this.#buffers.values()) if (b.buckets.size > 0) points.push(...b.drain());
    if (points.length > 0) this.#store.append(points);
  }

  /** Flushes every `intervalMs` (CloudWatch's 1-minute resolution needs no finer cadence) and rolls up hourly. */
  start(intervalMs = 60_000): void {
    this.#timer = setInterval(() => {
      try {
        this.flush();
        const now = this.#clock.now();
        if (now - this.#lastRollup >= HOUR) {
          this.#lastRollup = now;
          this.rollup();
        }
      } catch {
        // A closed database at shutdown; the next start reads what was flushed.
      }
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** Ages every resolution out into the next coarser one (or away, past 455 days). Returns the rows rewritten. */
  rollup(): number {
    const now = this.#clock.now();
    let rewritten = 0;
    for (const r of RETENTION) {
      const before = now - r.keepMs;
      if (r.into === undefined) {
        rewritten += this.#store.expire(r.resolution, before);
        continue;
      }
      const into = r.into;
      for (;;) {
        const old = this.#store.readOlder(r.resolution, before, 5000);
        if (old.length === 0) break;
        const merged = new Map<string, MetricPoint & { agg: MetricAggregate }>();
        for (const p of old) {
          const ts = p.timestamp - (p.timestamp % (into * SECOND));
          const k = `${seriesKey(p.series)}\0${ts}`;
          let m = merged.get(k);
          if (!m) {
            m = { ...p, timestamp: ts, resolution: into, agg: new MetricAggregate() };
            merged.set(k, m);
          }
          m.agg.merge(MetricAggregate.decode(p));
        }
        const replacement = [...merged.values()].map(({ agg, ...p }) => ({ ...p, count: agg.count, sum: agg.sum, min: agg.min, max: agg.max, sketch: agg.encodeSketch() }));
        this.#store.replace(old, replacement);
        rewritten += old.length;
        if (old.length < 5000) break;
      }
    }
    return rewritten;
  }
}
