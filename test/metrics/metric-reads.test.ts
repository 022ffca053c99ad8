import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { SqliteMetricStore } from '../../src/store/sqlite-metric-store.js';
import { MetricRecorder } from '../../src/metrics/metric-recorder.js';
import { alignStart, checkPeriod, getMetricStatistics, listMetrics } from '../../src/metrics/metric-reads.js';
import { putMetricData } from '../../src/metrics/put-metric-data.js';
import { AwsError } from '../../src/domain/errors.js';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function fixture() {
  let now = NOW;
  const clock = { now: () => now, monotonic: () => now };
  const recorder = new MetricRecorder({ store: new SqliteMetricStore(new Database(':memory:')), clock });
  return { recorder, set: (t: number) => { now = t; } };
}
const awsError = (type: string, message: RegExp) => (e: unknown) => e instanceof AwsError && e.type === type && message.test(e.message);

test('periods: 1, 5, 10, 30 or multiples of 60; StartTime rounds down by the age of the data and too fine a period for old data returns nothing', () => {
  for (const p of [1, 5, 10, 30, 60, 300, 3600]) assert.equal(checkPeriod(p), p);
  for (const p of [0, 2, 45, 90, 61]) assert.throws(() => checkPeriod(p), awsError('InvalidParameterValueException', /The parameter Period must be a multiple of 60\./));
  assert.deepEqual(alignStart(NOW - 30 * MIN + 34_000, 60, NOW), { start: NOW - 30 * MIN, served: true });
  assert.deepEqual(alignStart(NOW - 30 * MIN + 34_000, 10, NOW), { start: NOW - 30 * MIN + 30_000, served: true });
  assert.deepEqual(alignStart(NOW - 5 * 3600_000, 10, NOW), { start: NOW - 5 * 3600_000, served: false });
  assert.deepEqual(alignStart(NOW - 20 * DAY + 7 * MIN, 60, NOW), { start: NOW - 20 * DAY + 5 * MIN, served: false });
  assert.deepEqual(alignStart(NOW - 20 * DAY + 7 * MIN, 300, NOW), { start: NOW - 20 * DAY + 5 * MIN, served: true });
  assert.deepEqual(alignStart(NOW - 100 * DAY + 37 * MIN, 3600, NOW), { start: NOW - 100 * DAY, served: true });
});

test('GetMetricStatistics: percentiles are left out where a statistic set hid the values; Statistics and ExtendedStatistics are exclusive', () => {
  const f = fixture();
  putMetricData(f.recorder, { Namespace: 'App', MetricData: [
    { MetricName: 'L', Timestamp: new Date(NOW - 10 * MIN), Values: [1, 2, 3, 4], Unit: 'Milliseconds' },
    { MetricName: 'L', Timestamp: new Date(NOW - 9 * MIN), StatisticValues: { SampleCount: 3, Sum: 30, Minimum: 5, Maximum: 15 }, Unit: 'Milliseconds' },
  ] });
  const out = getMetricStatistics(f.recorder, { Namespace: 'App', MetricName: 'L', StartTime: new Date(NOW - 10 * MIN), EndTime: new Date(NOW), Period: 60, ExtendedStatistics: ['p50', 'p100'] }) as { Datapoints: Array<Record<string, any>> };
  const [first, second] = out.Datapoints.map((d) => d['ExtendedStatistics']);
  assert.ok(Math.abs(first.p50 - 2) <= 0.02, String(first.p50));
  assert.equal(first.p100, 4);
  assert.deepEqual(second, {});
  assert.throws(() => getMetricStatistics(f.recorder, { Namespace: 'App', MetricName: 'L', StartTime: new Date(NOW - MIN), EndTime: new Date(NOW), Period: 60, Statistics: ['Sum'], ExtendedStatistics: ['p50'] }), awsError('InvalidParameterCombinationException', /mutually exclusive/));
  assert.throws(() => getMetricStatistics(f.recorder, { Namespace: 'App', MetricName: 'L', StartTime: new Date(NOW - MIN), EndTime: new Date(NOW), Period: 60, ExtendedStatistics: ['p50.123456789012'] }), awsError('InvalidParameterValueException', /not a valid percentile/));
});

test('GetMetricStatistics: after 16 days the minute data answers at 5-minute periods only', () => {
  const f = fixture();
  putMetricData(f.recorder, { Namespace: 'App', MetricData: [{ MetricName: 'C', Timestamp: new Date(NOW - 2 * MIN), Value: 3, Unit: 'Count' }] });
  f.set(NOW + 16 * DAY);
  f.recorder.rollup();
  const q = (period: number) => (getMetricStatistics(f.recorder, { Namespace: 'App', MetricName: 'C', StartTime: new Date(NOW - 10 * MIN), EndTime: new Date(NOW), Period: period, Statistics: ['Sum'] }) as { Datapoints: Array<Record<string, any>> }).Datapoints;
  assert.deepEqual(q(60), []);
  assert.deepEqual(q(300).map((d) => [d['Timestamp'].getTime() - NOW, d['Sum']]), [[-5 * MIN, 3]]);
});

test('ListMetrics: 500 per page with a NextToken, one entry per metric whatever its units; a bad token is InvalidNextToken', () => {
  const f = fixture();
  const data = Array.from({ length: 501 }, (_, i) => ({ MetricName: `m${String(i).padStart(3, '0')}`, Value: 1 }));
  putMetricData(f.recorder, { Namespace: 'Many', MetricData: data.slice(0, 1000) });
  putMetricData(f.recorder, { Namespace: 'Many', MetricData: [{ MetricName: 'm000', Value: 1, Unit: 'Seconds' }] });
  const p1 = listMetrics(f.recorder, { Namespace: 'Many' }) as { Metrics: Array<{ MetricName: string }>; NextToken?: string };
  assert.equal(p1.Metrics.length, 500);
  assert.equal(p1.Metrics[0]!.MetricName, 'm000');
  const p2 = listMetrics(f.recorder, { Namespace: 'Many', NextToken: p1.NextToken }) as { Metrics: Array<{ MetricName: string }>; NextToken?: string };
  assert.deepEqual(p2.Metrics.map((m) => m.MetricName), ['m500']);
  assert.equal(p2.NextToken, undefined);
  assert.throws(() => listMetrics(f.recorder, { NextToken: '!!' }), (e: unknown) => e instanceof AwsError && e.type === 'InvalidNextToken');
  // Metrics without data for two weeks are no longer listed.
  f.set(NOW + 15 * DAY);
  assert.deepEqual((listMetrics(f.recorder, { Namespace: 'Many' }) as { Metrics: unknown[] }).Metrics, []);
});
