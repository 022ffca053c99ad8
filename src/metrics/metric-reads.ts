import { BASIC_STATISTICS, isPercentile, periodStatistics, statisticValue } from './metric-statistics.js';
import { invalidCombination, invalidValue, missingParameter, offsetOf, requiredTime, sortedDimensions, tokenFor } from './metric-input.js';
import type { MetricRecorder } from './metric-recorder.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** GetMetricStatistics answers at most 1,440 datapoints. */
export const MAX_STATISTICS_DATAPOINTS = 1440;
/** ListMetrics pages hold 500 metrics; it lists metrics with data in the past two weeks. */
const LIST_PAGE = 500;
const LIST_WINDOW = 14 * DAY;

/** Periods CloudWatch accepts: 1, 5, 10, 30 (high resolution) or a multiple of 60 seconds. */
export function checkPeriod(period: unknown, param = 'Period'): number {
  if (period === undefined || period === null) throw missingParameter(param);
  const p = Number(period);
  if (!Number.isInteger(p) || p <= 0 || !(p % 60 === 0 || [1, 5, 10, 30].includes(p))) throw invalidValue(`The parameter ${param} must be a multiple of 60.`);
  return p;
}

/**
 * CloudWatch rounds StartTime down: to the minute for data under 15 days old, to 5 minutes up to
 * 63 days, to the hour beyond (and to the period itself for high-resolution periods). It returns no
 * datapoints when the period is finer than the data still kept for that age.
 */
export function alignStart(start: number, period: number, now: number): { start: number; served: boolean } {
  const age = now - start;
  const unit = period < 60 ? period : age > 63 * DAY ? 3600 : age > 15 * DAY ? 300 : 60;
  const aligned = start - (start % (unit * 1000));
  const finest = age > 63 * DAY ? 3600 : age > 15 * DAY ? 300 : age > 3 * HOUR ? 60 : 1;
  return { start: aligned, served: period % finest === 0 };
}

export function getMetricStatistics(recorder: MetricRecorder, i: Record<string, any>): Record<string, unknown> {
  const stats: string[] = i['Statistics'] ?? [];
  const extended: string[] = i['ExtendedStatistics'] ?? [];
  if (stats.length === 0 && extended.length === 0) throw missingParameter('Statistics or ExtendedStatistics');
  if (stats.length > 0 && extended.length > 0) throw invalidCombination('The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
  for (const e of extended) if (!isPercentile(e)) throw invalidValue(`The value ${e} for parameter ExtendedStatistics is not a valid percentile.`);
  const period = checkPeriod(i['Period']);
  const startTime = requiredTime(i['StartTime'], 'StartTime');
  const endTime = requiredTime(i['EndTime'], 'EndTime');
  if (startTime >= endTime) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
  const now = recorder.clock.now();
  const { start, served } = alignStart(startTime, period, now);
  // Whole seconds of range (AWS counts 86,400 one-second datapoints in a day however many ms the times carry).
  const requested = Math.ceil(Math.floor((endTime - start) / 1000) / period);
  if (requested > MAX_STATISTICS_DATAPOINTS) {
    throw invalidCombination(`You have requested up to ${requested} datapoints, which exceeds the limit of ${MAX_STATISTICS_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`);
  }
  const metricName = String(i['MetricName']);
  if (!served) return { Label: metricName, Datapoints: [] };
  const periods = periodStatistics(recorder, {
    namespace: String(i['Namespace']),
    metricName,
    dimensions: sortedDimensions(i['Dimensions']),
    ...(i['Unit'] !== undefined ? { unit: String(i['Unit']) } : {}),
    start,
    end: endTime,
    period,
  }, true);
  const datapoints = periods.map((p) => {
    const dp: Record<string, unknown> = { Timestamp: new Date(p.timestamp), Unit: p.units[0] };
    for (const s of stats) dp[s] = statisticValue(p.agg, s);
    if (extended.length > 0) {
      const ext: Record<string, number> = {};
      for (const e of extended) {
        const v = statisticValue(p.agg, e);
        if (v !== undefined) ext[e] = v;
      }
      dp['ExtendedStatistics'] = ext;
    }
    return dp;
  });
  return { Label: metricName, Datapoints: datapoints };
}

export function listMetrics(recorder: MetricRecorder, i: Record<string, any>): Record<string, unknown> {
  recorder.flush();
  const now = recorder.clock.now();
  const offset = offsetOf(i['NextToken']);
  const filters = (i['Dimensions'] ?? []) as Array<{ Name: string; Value?: string }>;
  const all = recorder.store.listSeries({
    ...(i['Namespace'] !== undefined ? { namespace: String(i['Namespace']) } : {}),
    ...(i['MetricName'] !== undefined ? { metricName: String(i['MetricName']) } : {}),
    dimensions: filters.map((f) => ({ Name: f.Name, ...(f.Value !== undefined ? { Value: f.Value } : {}) })),
    activeSince: now - (i['RecentlyActive'] === 'PT3H' ? 3 * HOUR : LIST_WINDOW),
  });
  // One entry per metric: the units CloudWatch keeps apart are not part of what ListMetrics names.
  const seen = new Set<string>();
  const metrics: Array<Record<string, unknown>> = [];
  for (const s of all) {
    const k = JSON.stringify([s.namespace, s.metricName, s.dimensions]);
    if (seen.has(k)) continue;
    seen.add(k);
    metrics.push({ Namespace: s.namespace, MetricName: s.metricName, Dimensions: s.dimensions });
  }
  const page = metrics.slice(offset, offset + LIST_PAGE);
  return { Metrics: page, ...(offset + LIST_PAGE < metrics.length ? { NextToken: tokenFor(offset + LIST_PAGE) } : {}) };
}
