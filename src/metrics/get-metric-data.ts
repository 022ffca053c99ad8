import { AwsError } from '../domain/errors.js';
import { evaluateMetricMath, MetricMathError, parseMetricMath, referencedIds, type MathNode, type MathValue, type Series } from './metric-math.js';
import { invalidValue, missingParameter, offsetOf, requiredTime, sortedDimensions, tokenFor } from './metric-input.js';
import { alignStart, checkPeriod } from './metric-reads.js';
import type { MetricRecorder } from './metric-recorder.js';
import { BASIC_STATISTICS, isPercentile, periodStatistics, statisticValue } from './metric-statistics.js';

/** GetMetricData's limits: 500 queries, 100,800 datapoints by default per call. */
const MAX_QUERIES = 500;
const DEFAULT_MAX_DATAPOINTS = 100_800;

interface Query {
  Id: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  Expression?: string;
  MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: string }> }; Period: number; Stat: string; Unit?: string };
}

/** AWS answers a bad query or expression with a 400 ValidationError naming it. */
const validation = (message: string) => new AwsError('ValidationError', message, { status: 400 });

interface Result {
  id: string;
  label: string;
  points: Array<[number, number]>;
  messages: Array<{ Code: string; Value: string }>;
}

/**
 * GetMetricData: MetricStat queries read the store per period; Expression queries evaluate the
 * metric-math subset of metric-math.ts over them (in dependency order). Results hold the queries
 * with ReturnData true (the default), their datapoints ordered by ScanBy; MaxDatapoints pages
 * across all results in order, with NextToken the offset.
 */
export function getMetricData(recorder: MetricRecorder, i: Record<string, any>): Record<string, unknown> {
  const queries: Query[] = i['MetricDataQueries'] ?? [];
  if (queries.length === 0) throw missingParameter('MetricDataQueries');
  if (queries.length > MAX_QUERIES) throw invalidValue(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`);
  const startTime = requiredTime(i['StartTime'], 'StartTime');
  const endTime = requiredTime(i['EndTime'], 'EndTime');
  if (startTime >= endTime) throw invalidValue('The parameter StartTime must be less than the parameter EndTime.');
  const maxDatapoints = i['MaxDatapoints'] !== undefined ? Number(i['MaxDatapoints']) : DEFAULT_MAX_DATAPOINTS;
  if (!Number.isInteger(maxDatapoints) || maxDatapoints < 1) throw invalidValue(`The value ${String(i['MaxDatapoints'])} for parameter MaxDatapoints is invalid.`);
  const ascending = i['ScanBy'] === 'TimestampAscending';
  const offset = offsetOf(i['NextToken']);
  const now = recorder.clock.now();

  const ids = new Set<string>();
  const parsed = new Map<string, MathNode>();
  for (const [n, q] of queries.entries()) {
    const p = `MetricDataQueries.member.${n + 1}`;
    if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) throw validation(`The value ${q.Id} for parameter ${p}.Id is invalid. It must start with a lowercase letter and contain only letters, numbers and underscores.`);
    if (ids.has(q.Id)) throw validation(`The value ${q.Id} for parameter ${p}.Id is duplicated.`);
    ids.add(q.Id);
    if ((q.MetricStat === undefined) === (q.Expression === undefined)) throw validation(`Exactly one of the parameters ${p}.MetricStat and ${p}.Expression must be specified.`);
    if (q.MetricStat) {
      const stat = q.MetricStat.Stat;
      if (!(BASIC_STATISTICS as readonly string[]).includes(stat) && !isPercentile(stat)) throw validation(`The value ${stat} for parameter ${p}.MetricStat.Stat is invalid.`);
      checkPeriod(q.MetricStat.Period, `${p}.MetricStat.Period`);
    } else {
      try {
        parsed.set(q.Id, parseMetricMath(q.Expression!));
      } catch (err) {
        if (err instanceof MetricMathError) throw validation(`Error in expression '${q.Id}': ${err.message}`);
        throw err;
      }
    }
  }

  const statPeriods = queries.filter((q) => q.MetricStat).map((q) => q.MetricStat!.Period);
  const gridPeriod = Math.min(...(statPeriods.length ? statPeriods : [Number(queries.find((q) => q.Period)?.Period ?? 60)]));
  const gridStart = alignStart(startTime, gridPeriod, now).start;
  const grid: number[] = [];
  for (let t = gridStart; t < endTime; t += gridPeriod * 1000) grid.push(t);

  const values = new Map<string, MathValue>();
  const messages = new Map<string, Array<{ Code: string; Value: string }>>();
  const statSeries: Series[] = [];
  for (const q of queries) {
    if (!q.MetricStat) continue;
    const ms = q.MetricStat;
    const { start, served } = alignStart(startTime, ms.Period, now);
    const periods = served
      ? periodStatistics(recorder, {
          namespace: ms.Metric.Namespace,
          metricName: ms.Metric.MetricName,
          dimensions: sortedDimensions(ms.Metric.Dimensions),
          ...(ms.Unit !== undefined ? { unit: ms.Unit } : {}),
          start,
          end: endTime,
          period: ms.Period,
        }, false)
      : [];
    const points = new Map<number, number>();
    const units = new Set<string>();
    for (const p of periods) {
      const v = statisticValue(p.agg, ms.Stat);
      if (v !== undefined && Number.isFinite(v)) points.set(p.timestamp, v);
      for (const u of p.units) units.add(u);
    }
    // As CloudWatch: a query without Unit over data of several units merges them and says so.
    if (units.size > 1) messages.set(q.Id, [{ Code: 'MultipleUnits', Value: `Multiple units returned: '[${[...units].sort().join(', ')}]'` }]);
    const series: Series = { label: q.Label ?? ms.Metric.MetricName, points };
    statSeries.push(series);
    values.set(q.Id, { kind: 'series', series });
  }

  const evaluating = new Set<string>();
  const evaluate = (id: string): MathValue | undefined => {
    const done = values.get(id);
    if (done) return done;
    const node = parsed.get(id);
    if (!node) return undefined;
    if (evaluating.has(id)) throw validation(`Error in expression '${id}': Circular dependency`);
    evaluating.add(id);
    for (const ref of referencedIds(node)) if (!ids.has(ref)) throw validation(`Error in expression '${id}': Unrecognized identifier ${ref}`);
    try {
      const v = evaluateMetricMath(node, { lookup: evaluate, metrics: () => statSeries, grid });
      values.set(id, v);
      return v;
    } catch (err) {
      if (err instanceof MetricMathError) throw validation(`Error in expression '${id}': ${err.message}`);
      throw err;
    } finally {
      evaluating.delete(id);
    }
  };

  const results: Result[] = [];
  for (const q of queries) {
    if (q.ReturnData === false) continue;
    const v = evaluate(q.Id)!;
    let pts: Array<[number, number]>;
    if (v.kind === 'scalar') pts = Number.isFinite(v.value) ? grid.map((t) => [t, v.value]) : [];
    else if (v.kind === 'series') pts = [...v.series.points.entries()].filter(([, x]) => Number.isFinite(x));
    else throw validation(`Error in expression '${q.Id}': The expression must return a single time series; use SUM, AVG, MIN or MAX to combine an array.`);
    pts.sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
    results.push({ id: q.Id, label: q.Label ?? (q.MetricStat ? q.MetricStat.Metric.MetricName : q.Id), points: pts, messages: messages.get(q.Id) ?? [] });
  }

  // Paging: datapoints are counted across the results in order.
  let skip = offset;
  let room = maxDatapoints;
  let more = false;
  const out = results.map((r) => {
    const from = Math.min(skip, r.points.length);
    skip -= from;
    const take = r.points.slice(from, from + room);
    room -= take.length;
    if (from + take.length < r.points.length) more = true;
    return { Id: r.id, Label: r.label, Timestamps: take.map(([t]) => new Date(t)), Values: take.map(([, x]) => x), StatusCode: 'Complete', Messages: r.messages };
  });
  return { MetricDataResults: out, Messages: [], ...(more ? { NextToken: tokenFor(offset + maxDatapoints) } : {}) };
}
