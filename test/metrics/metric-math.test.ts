import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateMetricMath, MetricMathError, parseMetricMath, referencedIds, type MathValue, type Series } from '../../src/metrics/metric-math.js';

const s = (label: string, pts: Array<[number, number]>): Series => ({ label, points: new Map(pts) });
const m1 = s('m1', [[0, 1], [60, 2], [120, 3]]);
const m2 = s('m2', [[0, 10], [120, 30], [180, 40]]);
const env = {
  lookup: (id: string): MathValue | undefined => (id === 'm1' ? { kind: 'series', series: m1 } : id === 'm2' ? { kind: 'series', series: m2 } : undefined),
  metrics: () => [m1, m2],
  grid: [0, 60, 120, 180],
};
const run = (expr: string) => evaluateMetricMath(parseMetricMath(expr), env);
const points = (v: MathValue) => {
  assert.equal(v.kind, 'series');
  return [...(v as { series: Series }).series.points.entries()].sort((a, b) => a[0] - b[0]);
};

test('metric math: precedence, unary minus, power and parentheses on scalars', () => {
  assert.deepEqual(run('1 + 2 * 3'), { kind: 'scalar', value: 7 });
  assert.deepEqual(run('(1 + 2) * 3'), { kind: 'scalar', value: 9 });
  assert.deepEqual(run('-2 ^ 2'), { kind: 'scalar', value: -4 });
  assert.deepEqual(run('2 ^ 3 ^ 2'), { kind: 'scalar', value: 512 });
  assert.deepEqual(run('10 / 4 - 1.5e0'), { kind: 'scalar', value: 1 });
});

test('metric math: series with scalars apply per point; two series combine at the timestamps both have', () => {
  assert.deepEqual(points(run('m1 * 100')), [[0, 100], [60, 200], [120, 300]]);
  assert.deepEqual(points(run('m2 - m1')), [[0, 9], [120, 27]]);
  assert.deepEqual(points(run('100 * m1 / m2')), [[0, 10], [120, 10]]);
});

test('metric math: SUM/AVG/MIN/MAX of an array is a series per timestamp; of one series, a scalar', () => {
  assert.deepEqual(points(run('SUM([m1, m2])')), [[0, 11], [60, 2], [120, 33], [180, 40]]);
  assert.deepEqual(points(run('MAX(METRICS())')), [[0, 10], [60, 2], [120, 30], [180, 40]]);
  assert.deepEqual(points(run('AVG([m1, m2])')), [[0, 5.5], [60, 2], [120, 16.5], [180, 40]]);
  assert.deepEqual(points(run("MIN(METRICS('m2'))")), [[0, 10], [120, 30], [180, 40]]);
  assert.deepEqual(run('SUM(m1)'), { kind: 'scalar', value: 6 });
  assert.deepEqual(run('AVG(m2)'), { kind: 'scalar', value: 80 / 3 });
  assert.deepEqual(points(run('m1 / SUM(m1)')), [[0, 1 / 6], [60, 2 / 6], [120, 3 / 6]]);
  assert.deepEqual(points(run('ABS(m1 - 2)')), [[0, 1], [60, 0], [120, 1]]);
});

test('metric math: FILL with a value, REPEAT and LINEAR over the request\'s periods', () => {
  assert.deepEqual(points(run('FILL(m2, 0)')), [[0, 10], [60, 0], [120, 30], [180, 40]]);
  assert.deepEqual(points(run('FILL(m1, REPEAT)')), [[0, 1], [60, 2], [120, 3], [180, 3]]);
  assert.deepEqual(points(run('FILL(m2, LINEAR)')), [[0, 10], [60, 20], [120, 30], [180, 40]]);
  assert.deepEqual(points(run('FILL(m2, 0) + FILL(m1, 0)')), [[0, 11], [60, 2], [120, 33], [180, 40]]);
});

test('metric math: syntax errors and unknown functions or ids are reported', () => {
  assert.throws(() => parseMetricMath('m1 +'), MetricMathError);
  assert.throws(() => parseMetricMath('(m1'), /Expected '\)'/);
  assert.throws(() => parseMetricMath('RATE(m1)'), /Unsupported function RATE/);
  assert.throws(() => parseMetricMath('m1 $ 2'), /Unexpected character '\$'/);
  assert.throws(() => run('m9 + 1'), /Unrecognized identifier m9/);
  assert.throws(() => run('FILL(m1)'), /FILL takes 2 arguments/);
  assert.deepEqual(referencedIds(parseMetricMath('SUM([a, b]) / FILL(c, REPEAT)')), ['a', 'b', 'c']);
});
