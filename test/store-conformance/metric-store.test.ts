import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricPoint, MetricSeries, MetricStore } from '../../src/ports/metric-store.js';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteMetricStore } from '../../src/store/sqlite-metric-store.js';
import { PgMetricStore } from '../../src/store/pg/pg-metric-store.js';
import { MetricAggregate } from '../../src/metrics/metric-aggregate.js';
import { MetricRecorder } from '../../src/metrics/metric-recorder.js';
import { periodStatistics } from '../../src/metrics/metric-statistics.js';
import type { Clock } from '../../src/ports/clock.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/** One suite for every MetricStore driver (SQLite, PostgreSQL): what the CloudWatch metrics service relies on. */
let server: TestPostgres | undefined;
before(async () => { if (!postgresSkipReason) server = await startPostgres({ fsync: false }); });
after(async () => { await server?.stop(); });

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const MIN = 60_000;
const DAY = 24 * 60 * MIN;

const drivers: Array<{ name: string; skip: string | undefined; open(): Promise<{ store: MetricStore; done(): void }> }> = [
  {
    name: 'sqlite',
    skip: undefined,
    async open() {
      const meta = new SqliteMetadataStore(':memory:');
      return { store: new SqliteMetricStore(meta.db), done: () => meta.close() };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    async open() {
      const store = new PgMetricStore(await server!.createDatabase());
      return { store, done: () => store.close() };
    },
  },
];

const lambda = (fn: string, metricName = 'Invocations', unit = 'Count'): MetricSeries => ({ namespace: 'AWS/Lambda', metricName, dimensions: [{ Name: 'FunctionName', Value: fn }], unit });
function pointOf(series: MetricSeries, timestamp: number, values: number[], resolution = 60): MetricPoint {
  const a = new MetricAggregate();
  for (const v of values) a.add(v);
  return { series, timestamp, resolution, count: a.count, sum: a.sum, min: a.min, max: a.max, sketch: a.encodeSketch() };
}
const readOf = (store: MetricStore, s: MetricSeries, from: number, to: number, unit?: string) =>
  store.read({ namespace: s.namespace, metricName: s.metricName, dimensions: s.dimensions, ...(unit ? { unit } : {}), from, to });

for (const d of drivers) {
  describe(`metric store (${d.name})`, { skip: d.skip }, () => {
    let store: MetricStore;
    let done: () => void;
    before(async () => ({ store, done } = await d.open()));
    after(() => done());

    test('append and read: the points of exactly one series in [from, to), in time order, with their sketch and row', () => {
      const f = lambda('read-fn');
      store.append([pointOf(f, T0 + MIN, [1, 2, 3]), pointOf(f, T0, [10]), pointOf(lambda('other-fn'), T0, [5]), pointOf({ ...f, dimensions: [] }, T0, [7])]);
      store.append([pointOf(f, T0, [20]), pointOf(f, T0 + 2 * MIN, [1])]);
      const points = readOf(store, f, T0, T0 + 2 * MIN);
      assert.deepEqual(points.map((p) => [p.timestamp - T0, p.count, p.sum, p.min, p.max, p.resolution]).sort((a, b) => a[0]! - b[0]! || a[2]! - b[2]!), [[0, 1, 10, 10, 10, 60], [0, 1, 20, 20, 20, 60], [MIN, 3, 6, 1, 3, 60]]);
      assert.ok(points.every((p, i) => i === 0 || p.timestamp >= points[i - 1]!.timestamp), 'time order');
      assert.ok(points.every((p) => typeof p.rowId === 'number'));
      assert.deepEqual(points[0]!.series, f);
      const minute = points.find((p) => p.timestamp === T0 + MIN)!;
      assert.equal(MetricAggregate.decode(minute).percentile(100), 3, 'the sketch comes back whole');
      assert.equal(readOf(store, { ...f, dimensions: [] }, T0, T0 + MIN).length, 1, 'no dimensions is a series of its own');
    });

    test('read: every unit of the series unless one is named; a series is its sorted dimensions', () => {
      const ms = { namespace: 'App', metricName: 'Latency', dimensions: [{ Name: 'A', Value: '1' }, { Name: 'B', Value: '2' }], unit: 'Milliseconds' };
      store.append([pointOf(ms, T0, [100]), pointOf({ ...ms, unit: 'Seconds' }, T0, [1])]);
      assert.equal(readOf(store, ms, T0, T0 + MIN).length, 2);
      assert.deepEqual(readOf(store, ms, T0, T0 + MIN, 'Seconds').map((p) => p.series.unit), ['Seconds']);
      assert.equal(readOf(store, { ...ms, dimensions: [{ Name: 'A', Value: '1' }] }, T0, T0 + MIN).length, 0);
    });

    test('listSeries: by namespace, name, dimension (with or without value) and activity; ordered', () => {
      store.append([
        pointOf({ namespace: 'L', metricName: 'Hits', dimensions: [{ Name: 'A', Value: '1' }, { Name: 'B', Value: '2' }], unit: 'Count' }, T0, [1]),
        pointOf({ namespace: 'L', metricName: 'Hits', dimensions: [], unit: 'Count' }, T0, [1]),
        pointOf({ namespace: 'L', metricName: 'Errors', dimensions: [], unit: 'Count' }, T0, [1]),
        pointOf({ namespace: 'L2', metricName: 'Hits', dimensions: [{ Name: 'A', Value: '9' }], unit: 'Count' }, T0 - 5 * 3600_000, [1]),
      ]);
      assert.deepEqual(store.listSeries({ namespace: 'L' }).map((s) => [s.metricName, s.dimensions.length]), [['Errors', 0], ['Hits', 0], ['Hits', 2]]);
      assert.deepEqual(store.listSeries({ namespace: 'L', metricName: 'Hits' }).length, 2);
      assert.deepEqual(store.listSeries({ dimensions: [{ Name: 'A' }] }).filter((s) => s.namespace.startsWith('L')).map((s) => s.namespace), ['L', 'L2']);
      assert.deepEqual(store.listSeries({ dimensions: [{ Name: 'A', Value: '9' }] }).map((s) => s.namespace), ['L2']);
      assert.deepEqual(store.listSeries({ activeSince: T0 - 3 * 3600_000 }).filter((s) => s.namespace.startsWith('L')).map((s) => s.namespace), ['L', 'L', 'L']);
    });

    test('readOlder, replace and expire: the rollup primitives', () => {
      const s = lambda('rollup-fn', 'Duration', 'Milliseconds');
      store.append([pointOf(s, T0 - 10 * DAY, [1], 1), pointOf(s, T0 - 10 * DAY + 1000, [3], 1), pointOf(s, T0, [5], 1)]);
      const old = store.readOlder(1, T0 - DAY, 10).filter((p) => p.series.metricName === 'Duration');
      assert.deepEqual(old.map((p) => p.sum), [1, 3]);
      assert.equal(store.readOlder(1, T0 - DAY, 1).length, 1, 'limited');
      store.replace(old, [pointOf(s, T0 - 10 * DAY, [1, 3], 60)]);
      assert.deepEqual(readOf(store, s, T0 - 11 * DAY, T0 + MIN).map((p) => [p.resolution, p.count, p.sum]), [[60, 2, 4], [1, 1, 5]]);
      assert.equal(store.readOlder(1, T0 - DAY, 10).filter((p) => p.series.metricName === 'Duration').length, 0);
      assert.equal(store.expire(60, T0 - 5 * DAY) >= 1, true);
      assert.deepEqual(readOf(store, s, T0 - 11 * DAY, T0 + MIN).map((p) => p.resolution), [1]);
    });

    test('through the recorder: flushed minutes answer statistics; an hourly rollup keeps the counts', () => {
      let now = T0;
      const clock: Clock = { now: () => now, monotonic: () => now };
      const recorder = new MetricRecorder({ store, clock });
      const b = recorder.buffer({ namespace: 'Rec', metricName: 'Latency', dimensions: [], unit: 'Milliseconds' }, 1);
      for (let i = 0; i < 10; i++) b.add(T0 + i * 1000, i + 1);
      const q = { namespace: 'Rec', metricName: 'Latency', dimensions: [], start: T0, end: T0 + MIN, period: 60 };
      assert.deepEqual(periodStatistics(recorder, q, false).map((p) => [p.agg.count, p.agg.sum]), [[10, 55]]);
      now = T0 + 4 * 3600_000;
      recorder.rollup();
      assert.deepEqual(periodStatistics(recorder, q, false).map((p) => [p.agg.count, p.agg.sum]), [[10, 55]]);
      assert.equal(readOf(store, { namespace: 'Rec', metricName: 'Latency', dimensions: [], unit: 'Milliseconds' }, T0, T0 + MIN).every((p) => p.resolution === 60), true);
    });
  });
}

describe('metric store (postgres): several nodes on one database', { skip: postgresSkipReason }, () => {
  test('one node reads what another appended; rollups run by two nodes at once count each point once', async () => {
    const url = await server!.createDatabase();
    const a = new PgMetricStore(url);
    const b = new PgMetricStore(url);
    try {
      const s = lambda('shared-fn');
      a.append([pointOf(s, T0, [1, 1])]);
      b.append([pointOf(s, T0, [1])]);
      assert.deepEqual(readOf(b, s, T0, T0 + MIN).map((p) => p.count).sort(), [1, 2], "each node's points, read on either");
      assert.deepEqual(a.listSeries({ namespace: 'AWS/Lambda' }), [s], 'one series, whichever node wrote first');
      // Both read the same rows for rollup; the second replace finds them gone and changes nothing.
      const oldA = a.readOlder(60, T0 + MIN, 100);
      const oldB = b.readOlder(60, T0 + MIN, 100);
      a.replace(oldA, [pointOf(s, T0, [1, 1, 1], 300)]);
      b.replace(oldB, [pointOf(s, T0, [1, 1, 1], 300)]);
      assert.deepEqual(readOf(a, s, T0, T0 + MIN).map((p) => [p.resolution, p.count]), [[300, 3]]);
    } finally {
      a.close();
      b.close();
    }
  });
});
