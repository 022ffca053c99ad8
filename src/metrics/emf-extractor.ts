import type { LogEventFeed, LogEventRecord } from '../ports/log-events.js';
import type { MetricRecorder } from './metric-recorder.js';
import { recordDatum, type MetricDatumInput } from './put-metric-data.js';

/** CloudWatch's StandardUnit values (the model's enum). */
export const STANDARD_UNITS = new Set([
  'Seconds', 'Microseconds', 'Milliseconds', 'Bytes', 'Kilobytes', 'Megabytes', 'Gigabytes', 'Terabytes', 'Bits', 'Kilobits', 'Megabits', 'Gigabits', 'Terabits',
  'Percent', 'Count', 'Bytes/Second', 'Kilobytes/Second', 'Megabytes/Second', 'Gigabytes/Second', 'Terabytes/Second', 'Bits/Second', 'Kilobits/Second',
  'Megabits/Second', 'Gigabits/Second', 'Terabits/Second', 'Count/Second', 'None',
]);

const HOUR = 3_600_000;
/** The Embedded Metric Format specification's limits. */
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_METRICS_PER_DIRECTIVE = 100;
const MAX_VALUES_PER_METRIC = 100;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The datums of one log event in CloudWatch's Embedded Metric Format, or undefined when the event
 * is not EMF or breaks the specification — CloudWatch then extracts nothing and keeps the line as
 * an ordinary log event. An event is EMF when the whole message is a JSON object whose `_aws`
 * holds a millisecond `Timestamp` and `CloudWatchMetrics` directives: each a Namespace, Metrics
 * (Name, optional Unit and StorageResolution 1 or 60) and Dimensions (sets of root member names
 * whose values are strings). Each metric's value is the root member of its Name: a number or an
 * array of numbers, one datapoint per element. A directive with several dimension sets publishes
 * the metric once per set.
 */
export function parseEmf(message: string, now: number): MetricDatumInput[] | undefined {
  const text = message.trim();
  if (!text.startsWith('{') || !text.includes('"_aws"')) return undefined;
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(root) || !isObject(root['_aws'])) return undefined;
  const meta = root['_aws'];
  const timestamp = meta['Timestamp'];
  const directives = meta['CloudWatchMetrics'];
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || !Array.isArray(directives)) return undefined;
  // PutMetricData's window: two weeks back, two hours ahead.
  if (timestamp < now - 14 * 24 * HOUR || timestamp > now + 2 * HOUR) return undefined;
  const out: MetricDatumInput[] = [];
  for (const d of directives) {
    if (!isObject(d)) return undefined;
    const namespace = d['Namespace'];
    const metrics = d['Metrics'];
    const dimensionSets = d['Dimensions'];
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 255 || namespace.startsWith('AWS/')) return undefined;
    if (!Array.isArray(metrics) || metrics.length > MAX_METRICS_PER_DIRECTIVE || !Array.isArray(dimensionSets)) return undefined;
    const sets: Array<Array<{ Name: string; Value: string }>> = [];
    for (const set of dimensionSets) {
      if (!Array.isArray(set) || set.length > MAX_DIMENSIONS_PER_SET) return undefined;
      const dims: Array<{ Name: string; Value: string }> = [];
      for (const key of set) {
        if (typeof key !== 'string') return undefined;
        const value = root[key];
        if (typeof value !== 'string' || value.trim() === '') return undefined;
        dims.push({ Name: key, Value: value });
      }
      sets.push(dims.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)));
    }
    if (sets.length === 0) sets.push([]);
    for (const m of metrics) {
      if (!isObject(m) || typeof m['Name'] !== 'string' || m['Name'].length === 0 || m['Name'].length > 255) return undefined;
      const unit = m['Unit'] ?? 'None';
      if (typeof unit !== 'string' || !STANDARD_UNITS.has(unit)) return undefined;
      const resolution = m['StorageResolution'] ?? 60;
      if (resolution !== 1 && resolution !== 60) return undefined;
      const raw = root[m['Name']];
      if (raw === undefined) continue;
      const list = Array.isArray(raw) ? raw : [raw];
      if (list.length > MAX_VALUES_PER_METRIC || !list.every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
      if (list.length === 0) continue;
      for (const dimensions of sets) {
        out.push({
          series: { namespace, metricName: m['Name'], dimensions, unit },
          timestamp,
          resolution,
          values: (list as number[]).map((v) => [v, 1]),
        });
      }
    }
  }
  return out;
}

/** Turns Embedded Metric Format records in function logs into custom metrics, as CloudWatch Logs does. */
export class EmfExtractor {
  readonly #recorder: MetricRecorder;
  #unsubscribe: (() => void) | undefined;
  /** Records extracted and records ignored as invalid EMF (for tests and diagnostics). */
  readonly stats = { extracted: 0, ignored: 0 };

  constructor(recorder: MetricRecorder) {
    this.#recorder = recorder;
  }

  subscribe(feed: LogEventFeed): void {
    this.#unsubscribe = feed.subscribe((e) => this.onEvent(e));
  }

  onEvent(e: LogEventRecord): void {
    // Cheap test first: this runs for every log line.
    if (!e.message.includes('"_aws"')) return;
    const datums = parseEmf(e.message, this.#recorder.clock.now());
    if (datums === undefined) {
      this.stats.ignored++;
      return;
    }
    this.stats.extracted++;
    for (const d of datums) recordDatum(this.#recorder, d);
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
