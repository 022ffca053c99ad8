import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseEmf } from '../../src/metrics/emf-extractor.js';

const NOW = Date.UTC(2026, 0, 10, 12, 0, 0);
const record = (over: Record<string, unknown> = {}, aws: Record<string, unknown> = {}) => JSON.stringify({
  _aws: { Timestamp: NOW - 1000, CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [['service'], ['service', 'region']], Metrics: [{ Name: 'Orders', Unit: 'Count' }, { Name: 'Latency', Unit: 'Milliseconds', StorageResolution: 1 }] }], ...aws },
  service: 'cart', region: 'eu', Orders: 2, Latency: [10, 20, 30], note: 'ignored member', ...over,
});

test('EMF: each metric is published once per dimension set, arrays give one datapoint per element, units and resolution carry over', () => {
  const d = parseEmf(record(), NOW)!;
  assert.deepEqual(d.map((x) => [x.series.metricName, x.series.dimensions.map((k) => `${k.Name}=${k.Value}`).join(','), x.series.unit, x.resolution, x.values]), [
    ['Orders', 'service=cart', 'Count', 60, [[2, 1]]],
    ['Orders', 'region=eu,service=cart', 'Count', 60, [[2, 1]]],
    ['Latency', 'service=cart', 'Milliseconds', 1, [[10, 1], [20, 1], [30, 1]]],
    ['Latency', 'region=eu,service=cart', 'Milliseconds', 1, [[10, 1], [20, 1], [30, 1]]],
  ]);
  assert.equal(d[0]!.timestamp, NOW - 1000);
});

test('EMF: an empty dimension set publishes without dimensions; a metric without a value is skipped', () => {
  const d = parseEmf(record({ Latency: undefined }, { CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [[]], Metrics: [{ Name: 'Orders' }, { Name: 'Latency' }] }] }), NOW)!;
  assert.deepEqual(d.map((x) => [x.series.metricName, x.series.dimensions, x.series.unit]), [['Orders', [], 'None']]);
});

test('EMF: invalid records are ignored as a whole (CloudWatch keeps the line as a log event)', () => {
  const invalid: Array<[string, string]> = [
    ['not JSON', 'START RequestId: 1 "_aws"'],
    ['no _aws', JSON.stringify({ Orders: 1 })],
    ['Timestamp as text', record({}, { Timestamp: 'yesterday' })],
    ['too old', record({}, { Timestamp: NOW - 15 * 24 * 3600_000 })],
    ['too far ahead', record({}, { Timestamp: NOW + 3 * 3600_000 })],
    ['dimension value not a string', record({ region: 3 })],
    ['missing dimension member', record({ region: undefined })],
    ['value not a number', record({ Orders: 'two' })],
    ['unknown unit', record({}, { CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [[]], Metrics: [{ Name: 'Orders', Unit: 'Apples' }] }] })],
    ['StorageResolution 5', record({}, { CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [[]], Metrics: [{ Name: 'Orders', StorageResolution: 5 }] }] })],
    ['AWS namespace', record({}, { CloudWatchMetrics: [{ Namespace: 'AWS/Lambda', Dimensions: [[]], Metrics: [{ Name: 'Orders' }] }] })],
    ['31 dimensions', record({}, { CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [Array.from({ length: 31 }, () => 'service')], Metrics: [{ Name: 'Orders' }] }] })],
    ['101 values', record({ Orders: Array.from({ length: 101 }, () => 1) })],
  ];
  for (const [why, line] of invalid) assert.equal(parseEmf(line, NOW), undefined, why);
});
