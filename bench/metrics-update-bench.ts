/**
 * The warm-path cost of CloudWatch metrics: ns per invocation record through the Prometheus metrics
 * alone and through Prometheus + AWS/Lambda (LambdaMetrics, in-memory aggregates), medians of 9
 * alternating runs; and the time of one flush. Run: node --import tsx bench/metrics-update-bench.ts
 */
import Database from 'better-sqlite3';
import { PrometheusMetrics } from '../src/observe/prometheus-metrics.js';
import { SqliteMetricStore } from '../src/store/sqlite-metric-store.js';
import { MetricRecorder } from '../src/metrics/metric-recorder.js';
import { LambdaMetrics } from '../src/metrics/lambda-metrics.js';
const clock = { now: () => Date.now(), monotonic: () => performance.now() };
const prom = new PrometheusMetrics({ processMetrics: false });
const recorder = new MetricRecorder({ store: new SqliteMetricStore(new Database(':memory:')), clock });
const lambda = new LambdaMetrics({ recorder, clock });
const both = lambda.wrap(prom);
const rec = (i: number) => ({ functionName: 'fn', version: '$LATEST', startType: 'warm' as const, durationMs: 1 + (i % 100) * 0.37, billedDurationMs: 2, memorySizeMb: 128, outcome: 'success', async: false });
const N = 200_000;
function time(f: (r: any) => void): number { const t = process.hrtime.bigint(); for (let i = 0; i < N; i++) f(rec(i)); return Number(process.hrtime.bigint() - t) / N; }
const a: number[] = [], b: number[] = [], c: number[] = [];
for (let k = 0; k < 9; k++) { a.push(time((r) => prom.invocation(r))); b.push(time((r) => both.invocation(r))); c.push(time((r) => lambda.invocation(r))); }
const med = (x: number[]) => x.sort((p, q) => p - q)[4]!;
const t0 = process.hrtime.bigint(); recorder.flush(); const flushMs = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(`prometheus only: ${med(a).toFixed(0)} ns/invocation; prometheus + AWS/Lambda: ${med(b).toFixed(0)} ns/invocation; AWS/Lambda alone: ${med(c).toFixed(0)} ns/invocation; flush of the 3 account + 3 function series written above: ${flushMs.toFixed(2)} ms`);
// A steady-state flush: 1,000 functions × 12 series each, one minute of updates.
for (let f = 0; f < 1000; f++) for (let i = 0; i < 10; i++) lambda.invocation({ ...rec(i), functionName: `fn${f}` });
const t1 = process.hrtime.bigint(); recorder.flush(); const bigFlushMs = Number(process.hrtime.bigint() - t1) / 1e6;
console.log(`first flush of 1,000 functions (3,003 new series: Invocations, Errors, Duration per function + account): ${bigFlushMs.toFixed(1)} ms`);
// The next minute: the same series, already known to the store.
for (let f = 0; f < 1000; f++) for (let i = 0; i < 10; i++) lambda.invocation({ ...rec(i), functionName: `fn${f}` });
const t2 = process.hrtime.bigint(); recorder.flush(); console.log(`steady-state flush of the same 1,000 functions: ${(Number(process.hrtime.bigint() - t2) / 1e6).toFixed(1)} ms`);
