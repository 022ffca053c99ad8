import type { MetricDimension } from '../ports/metric-store.js';
import { MetricAggregate } from './metric-aggregate.js';
import type { MetricRecorder } from './metric-recorder.js';

export interface StatisticsQuery {
  namespace: string;
  metricName: string;
  /** Sorted by Name. */
  dimensions: MetricDimension[];
  unit?: string;
  /** Epoch ms, aligned by the caller. */
  start: number;
  end: number;
  /** Seconds. */
  period: number;
}

export interface PeriodStatistics {
  /** Start of the period, epoch ms. */
  timestamp: number;
  /** The units merged into this period (one unless the query named none and several were published). */
  units: string[];
  agg: MetricAggregate;
}

/** CloudWatch's statistics: the five basic ones and percentiles `pNN` / `pNN.NN…`. */
export const BASIC_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
const PERCENTILE = /^p(\d{1,2}(\.\d{1,10})?|100(\.0{1,10})?)$/;

export const isPercentile = (stat: string): boolean => PERCENTILE.test(stat);

export function statisticValue(agg: MetricAggregate, stat: string): number | undefined {
  switch (stat) {
    case 'SampleCount': return agg.count;
    case 'Sum': return agg.sum;
    case 'Average': return agg.sum / agg.count;
    case 'Minimum': return agg.min;
    case 'Maximum': return agg.max;
    default:
      if (isPercentile(stat)) return agg.percentile(Number(stat.slice(1)));
      return undefined;
  }
}

/**
 * The aggregates of a metric per period over [start, end). `byUnit` keeps each unit's datapoints
 * apart, as GetMetricStatistics does; otherwise units merge, as GetMetricData does (with a
 * MultipleUnits message). Unflushed updates are flushed first, so a read sees every write before it.
 */
export function periodStatistics(recorder: MetricRecorder, q: StatisticsQuery, byUnit: boolean): PeriodStatistics[] {
  recorder.flush();
  const points = recorder.store.read({
    namespace: q.namespace,
    metricName: q.metricName,
    dimensions: q.dimensions,
    ...(q.unit !== undefined ? { unit: q.unit } : {}),
    from: q.start,
    to: q.end,
  });
  const step = q.period * 1000;
  const out = new Map<string, PeriodStatistics>();
  for (const p of points) {
    const ts = q.start + Math.floor((p.timestamp - q.start) / step) * step;
    const k = byUnit ? `${ts}\0${p.series.unit}` : String(ts);
    let e = out.get(k);
    if (!e) {
      e = { timestamp: ts, units: [], agg: new MetricAggregate() };
      out.set(k, e);
    }
    if (!e.units.includes(p.series.unit)) e.units.push(p.series.unit);
    e.agg.merge(MetricAggregate.decode(p));
  }
  return [...out.values()].sort((a, b) => a.timestamp - b.timestamp);
}
