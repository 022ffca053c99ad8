import type { MetricSeries } from '../ports/metric-store.js';
import { invalidCombination, invalidValue, missingParameter, sortedDimensions, timeOf } from './metric-input.js';
import type { MetricRecorder } from './metric-recorder.js';

const HOUR = 3_600_000;
/** CloudWatch refuses values outside ±2^360 and non-zero values nearer zero than 2^-260. */
const MAX_MAGNITUDE = 2 ** 360;
const MIN_MAGNITUDE = 2 ** -260;

interface Datum {
  MetricName: string;
  Dimensions?: Array<{ Name: string; Value: string }>;
  Timestamp?: unknown;
  Value?: number;
  Values?: number[];
  Counts?: number[];
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Unit?: string;
  StorageResolution?: number;
}

/** One validated datum, ready for the recorder (EMF produces these too). */
export interface MetricDatumInput {
  series: MetricSeries;
  timestamp: number;
  resolution: 1 | 60;
  values?: Array<[value: number, count: number]>;
  set?: { sampleCount: number; sum: number; min: number; max: number };
}

export function recordDatum(recorder: MetricRecorder, d: MetricDatumInput): void {
  const agg = recorder.buffer(d.series, d.resolution).at(d.timestamp);
  if (d.set) agg.addSet(d.set);
  for (const [v, c] of d.values ?? []) agg.add(v, c);
}

function checkValue(v: unknown, param: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  const mag = Math.abs(n);
  if (!Number.isFinite(n) || mag > MAX_MAGNITUDE || (mag !== 0 && mag < MIN_MAGNITUDE)) throw invalidValue(`The value ${String(v)} for parameter ${param} is invalid.`);
  return n;
}

/**
 * PutMetricData's checks, in AWS's words: custom namespaces only, Value / Values / StatisticValues
 * mutually exclusive, Values and Counts of the same size (at most 150), at most 30 dimensions,
 * finite values within ±2^360, timestamps no older than two weeks nor more than two hours ahead,
 * StorageResolution 1 or 60. The whole request is refused on the first bad datum, as AWS does.
 */
export function putMetricData(recorder: MetricRecorder, input: { Namespace?: string; MetricData?: Datum[] }): void {
  const namespace = input.Namespace;
  if (namespace === undefined) throw missingParameter('Namespace');
  if (namespace.startsWith('AWS/')) throw invalidValue(`The value ${namespace} for parameter Namespace is invalid.`);
  const data = input.MetricData ?? [];
  if (data.length === 0) throw missingParameter('MetricData');
  if (data.length > 1000) throw invalidValue('The collection MetricData must not have a size greater than 1000.');
  const now = recorder.clock.now();
  const ready: MetricDatumInput[] = data.map((d, i) => {
    const p = `MetricData.member.${i + 1}`;
    const hasValues = d.Values !== undefined && d.Values.length > 0;
    if (d.Value !== undefined && hasValues) throw invalidCombination(`The parameters ${p}.Value and ${p}.Values are mutually exclusive and you have specified both.`);
    if (d.Value !== undefined && d.StatisticValues) throw invalidCombination(`The parameters ${p}.Value and ${p}.StatisticValues are mutually exclusive and you have specified both.`);
    if (hasValues && d.StatisticValues) throw invalidCombination(`The parameters ${p}.Values and ${p}.StatisticValues are mutually exclusive and you have specified both.`);
    if (d.Value === undefined && !hasValues && !d.StatisticValues) throw invalidCombination(`At least one of the parameters ${p}.Value, ${p}.Values and ${p}.StatisticValues must be specified.`);
    if (d.Counts !== undefined && d.Counts.length > 0 && d.Counts.length !== (d.Values ?? []).length) throw invalidValue(`The parameters ${p}.Values and ${p}.Counts must be of the same size.`);
    if ((d.Values ?? []).length > 150) throw invalidValue(`The collection ${p}.Values must not have a size greater than 150.`);
    if ((d.Dimensions ?? []).length > 30) throw invalidValue(`The collection ${p}.Dimensions must not have a size greater than 30.`);
    const names = new Set<string>();
    for (const [j, dim] of (d.Dimensions ?? []).entries()) {
      if (names.has(dim.Name)) throw invalidValue(`No metric may have duplicate dimension names: ${p}.Dimensions.member.${j + 1}.Name.`);
      names.add(dim.Name);
      if (String(dim.Value ?? '').trim() === '') throw invalidValue(`The value for parameter ${p}.Dimensions.member.${j + 1}.Value must contain at least one non-whitespace character.`);
    }
    const resolution = d.StorageResolution ?? 60;
    if (resolution !== 1 && resolution !== 60) throw invalidValue(`The value ${resolution} for parameter ${p}.StorageResolution is invalid.`);
    const ts = d.Timestamp === undefined ? now : timeOf(d.Timestamp);
    if (ts === undefined) throw invalidValue(`The parameter ${p}.Timestamp is not a valid timestamp.`);
    if (ts < now - 14 * 24 * HOUR) throw invalidValue(`The parameter ${p}.Timestamp must specify a time no more than two weeks in the past.`);
    if (ts > now + 2 * HOUR) throw invalidValue(`The parameter ${p}.Timestamp must specify a time no more than two hours in the future.`);
    const series: MetricSeries = { namespace, metricName: d.MetricName, dimensions: sortedDimensions(d.Dimensions), unit: d.Unit ?? 'None' };
    if (d.StatisticValues) {
      const s = d.StatisticValues;
      const set = {
        sampleCount: checkValue(s.SampleCount, `${p}.StatisticValues.SampleCount`),
        sum: checkValue(s.Sum, `${p}.StatisticValues.Sum`),
        min: checkValue(s.Minimum, `${p}.StatisticValues.Minimum`),
        max: checkValue(s.Maximum, `${p}.StatisticValues.Maximum`),
      };
      if (set.sampleCount <= 0) throw invalidValue(`The value ${set.sampleCount} for parameter ${p}.StatisticValues.SampleCount is invalid.`);
      if (set.min > set.max) throw invalidValue(`The parameter ${p}.StatisticValues.Minimum must be less than or equal to the parameter ${p}.StatisticValues.Maximum.`);
      return { series, timestamp: ts, resolution, set };
    }
    const values: Array<[number, number]> = d.Value !== undefined
      ? [[checkValue(d.Value, `${p}.Value`), 1]]
      : (d.Values ?? []).map((v, j) => [checkValue(v, `${p}.Values.member.${j + 1}`), d.Counts && d.Counts.length > 0 ? checkValue(d.Counts[j], `${p}.Counts.member.${j + 1}`) : 1]);
    return { series, timestamp: ts, resolution, values };
  });
  for (const d of ready) recordDatum(recorder, d);
}
