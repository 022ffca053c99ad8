import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { SqliteMetricStore } from '../../src/store/sqlite-metric-store.js';
import { MetricRecorder } from '../../src/metrics/metric-recorder.js';
import { MetricAggregate, PERCENTILE_RELATIVE_ACCURACY } from '../../src/metrics/metric-aggregate.js';
import { periodStatistics, statisticValue } from '../../src/metrics/metric-statistics.js';
import type { Clock } from '../../src/ports/clock.js';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

function fixture(start = T0) {
  let now = start;
  const clock: Clock = { now: () => now, monotonic: () => now };
  const db = new Database(':memory:');
  const store = new SqliteMetricStore(db);
  const recorder = new MetricRecorder({ store, clock });
  return { db, store, recorder, clock, set: (t: number) => { now = t; } };
}
const series = (metricName = 'Latency', unit = 'Milliseconds') => ({ namespace: 'App', metricName, dimensions: [{ Name: 'Service', Value: 'api' }], unit });
const query = (start: number, end: number, period: number, unit?: string) => ({ namespace: 'App', metricName: 'Latency', dimensions: [{ Name: 'Service', Value: 'api' }], start, end, period, ...(unit ? { unit } : {}) });

test('aggregate: basic statistics are exact; percentiles are within the sketch\'s 1% relative accuracy', () => {
  const a = new MetricAggregate();
  for (let v = 1; v <= 1000; v++) a.add(v);
  assert.equal(statisticValue(a, 'SampleCount'), 1000);
  assert.equal(statisticValue(a, 'Sum'), 500500);
  assert.equal(statisticValue(a, 'Average'), 500.5);
  assert.equal(statisticValue(a, 'Minimum'), 1);
  assert.equal(statisticValue(a, 'Maximum'), 1000);
  for (const [p, exact] of [['p50', 500], ['p90', 900], ['p99', 990], ['p99.9', 999]] as const) {
    const v = statisticValue(a, p)!;
    assert.ok(Math.abs(v - exact) / exact <= PERCENTILE_RELATIVE_ACCURACY + 0.001, `${p}: ${v} vs ${exact}`);
  }
  assert.equal(statisticValue(a, 'p100'), 1000);
  assert.equal(statisticValue(a, 'p0'), 1);
});

test('aggregate: merging minutes equals aggregating their values; a serialized sketch merges like the original', () => {
  const a = new MetricAggregate();
  const b = new MetricAggregate();
  const all = new MetricAggregate();
  for (let v = 1; v <= 500; v++) { a.add(v); all.add(v); }
  for (let v = 501; v <= 1000; v++) { b.add(v, 2); all.add(v, 2); }
  const merged = MetricAggregate.decode({ count: a.count, sum: a.sum, min: a.min, max: a.max, sketch: a.encodeSketch() });
  merged.merge(MetricAggregate.decode({ count: b.count, sum: b.sum, min: b.min, max: b.max, sketch: b.encodeSketch() }));
  assert.equal(merged.count, all.count);
  assert.equal(merged.sum, all.sum);
  assert.ok(Math.abs(merged.percentile(90)! - all.percentile(90)!) < 1e-9);
});

test('aggregate: a StatisticSet with distinct min and max counts in every statistic but makes percentiles unavailable (CloudWatch)', () => {
  const a = new MetricAggregate();
  a.add(5);
  a.addSet({ sampleCount: 4, sum: 40, min: 2, max: 20 });
  assert.equal(a.count, 5);
  assert.equal(a.sum, 45);
  assert.equal(a.max, 20);
  assert.equal(a.percentile(50), undefined);
  const b = new MetricAggregate();
  b.addSet({ sampleCount: 3, sum: 21, min: 7, max: 7 });
  assert.equal(b.percentile(99), 7);
});

test('store: updates stay in memory until a flush; a read flushes first and groups by period and unit', () => {
  const f = fixture();
  const buf = f.recorder.buffer(series());
  buf.add(T0 + 1000, 10);
  buf.add(T0 + 2000, 30);
  buf.add(T0 + MIN + 5, 20);
  assert.equal((f.db.prepare('SELECT COUNT(*) AS n FROM metric_points').get() as { n: number }).n, 0);
  f.recorder.buffer(series('Latency', 'Seconds')).add(T0 + 3000, 1);
  const byUnit = periodStatistics(f.recorder, query(T0, T0 + 5 * MIN, 60), true);
  assert.deepEqual(byUnit.map((p) => [p.timestamp - T0, p.units, p.agg.count, p.agg.sum]), [[0, ['Milliseconds'], 2, 40], [0, ['Seconds'], 1, 1], [MIN, ['Milliseconds'], 1, 20]]);
  const merged = periodStatistics(f.recorder, query(T0, T0 + 5 * MIN, 300), false);
  assert.deepEqual(merged.map((p) => [p.units.sort(), p.agg.count, p.agg.sum]), [[['Milliseconds', 'Seconds'], 4, 61]]);
  const ms = periodStatistics(f.recorder, query(T0, T0 + 5 * MIN, 300, 'Milliseconds'), true);
  assert.equal(ms[0]!.agg.sum, 60);
  // Another write to a flushed minute adds a row; reads merge them.
  buf.add(T0 + 4000, 40);
  assert.equal(periodStatistics(f.recorder, query(T0, T0 + MIN, 60, 'Milliseconds'), true)[0]!.agg.sum, 80);
});

test('store: series are identified by their sorted dimensions; ListMetrics filters by name, dimension and activity', () => {
  const f = fixture();
  f.recorder.buffer({ namespace: 'App', metricName: 'Hits', dimensions: [{ Name: 'A', Value: '1' }, { Name: 'B', Value: '2' }], unit: 'Count' }).add(T0, 1);
  f.recorder.buffer({ namespace: 'App', metricName: 'Hits', dimensions: [], unit: 'Count' }).add(T0, 1);
  f.recorder.buffer({ namespace: 'Other', metricName: 'Hits', dimensions: [{ Name: 'A', Value: '9' }], unit: 'Count' }).add(T0 - 5 * 3600_000, 1);
  f.recorder.flush();
  assert.equal(f.store.listSeries({ namespace: 'App' }).length, 2);
  assert.deepEqual(f.store.listSeries({ dimensions: [{ Name: 'A' }] }).map((s) => s.namespace), ['App', 'Other']);
  assert.deepEqual(f.store.listSeries({ dimensions: [{ Name: 'A', Value: '9' }] }).map((s) => s.namespace), ['Other']);
  assert.deepEqual(f.store.listSeries({ activeSince: T0 - 3 * 3600_000 }).map((s) => s.namespace), ['App', 'App']);
  // Reopening the database finds the series again.
  const again = new SqliteMetricStore(f.db);
  assert.equal(again.read({ namespace: 'App', metricName: 'Hits', dimensions: [{ Name: 'A', Value: '1' }, { Name: 'B', Value: '2' }], from: T0 - MIN, to: T0 + MIN }).length, 1);
});

test('retention: 1-second data rolls into minutes after 3 h, minutes into 5 minutes after 15 days, 5 minutes into hours after 63 days, hours expire after 455 days', () => {
  const f = fixture();
  const hi = f.recorder.buffer(series(), 1);
  hi.add(T0 + 1000, 1);
  hi.add(T0 + 2000, 3);
  const minute = f.recorder.buffer(series());
  for (let i = 0; i < 10; i++) minute.add(T0 + i * MIN, i + 1);
  f.recorder.flush();
  const rows = () => f.db.prepare('SELECT resolution, COUNT(*) AS n, SUM(count) AS c, SUM(sum) AS s FROM metric_points GROUP BY resolution ORDER BY resolution').all();
  assert.deepEqual(rows(), [{ resolution: 1, n: 2, c: 2, s: 4 }, { resolution: 60, n: 10, c: 10, s: 55 }]);
  f.set(T0 + 4 * 3600_000);
  f.recorder.rollup();
  // The rolled-up second is a row of its own beside the minute already written (reads merge them).
  assert.deepEqual(rows(), [{ resolution: 60, n: 11, c: 12, s: 59 }]);
  f.set(T0 + 16 * DAY);
  f.recorder.rollup();
  assert.deepEqual(rows(), [{ resolution: 300, n: 2, c: 12, s: 59 }]);
  // The 5-minute rows still answer percentiles: their sketches were merged, not dropped.
  const p = periodStatistics(f.recorder, query(T0, T0 + 3600_000, 3600), false);
  assert.equal(p[0]!.agg.count, 12);
  assert.equal(p[0]!.agg.max, 10);
  assert.ok(p[0]!.agg.percentile(50)! > 0);
  f.set(T0 + 64 * DAY);
  f.recorder.rollup();
  assert.deepEqual(rows(), [{ resolution: 3600, n: 1, c: 12, s: 59 }]);
  f.set(T0 + 456 * DAY);
  f.recorder.rollup();
  assert.deepEqual(rows(), []);
});
