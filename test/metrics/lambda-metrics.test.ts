import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CreateFunctionCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { SqliteMetricStore } from '../../src/store/sqlite-metric-store.js';
import { MetricRecorder } from '../../src/metrics/metric-recorder.js';
import { LambdaMetrics } from '../../src/metrics/lambda-metrics.js';
import { periodStatistics } from '../../src/metrics/metric-statistics.js';
import type { InvocationRecord } from '../../src/ports/metrics.js';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE } from '../helpers/flint-harness.js';
import { waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);

function fixture() {
  let now = T0;
  const clock = { now: () => now, monotonic: () => now };
  const recorder = new MetricRecorder({ store: new SqliteMetricStore(new Database(':memory:')), clock });
  const lambda = new LambdaMetrics({ recorder, clock });
  const read = (metricName: string, dimensions: Array<{ Name: string; Value: string }>) =>
    periodStatistics(recorder, { namespace: 'AWS/Lambda', metricName, dimensions, start: T0, end: T0 + 3600_000, period: 3600 }, true)[0];
  return { recorder, lambda, read, advance: (ms: number) => { now += ms; } };
}
const rec = (over: Partial<InvocationRecord> = {}): InvocationRecord => ({
  functionName: 'fn', version: '3', startType: 'warm', durationMs: 12, billedDurationMs: 12, memorySizeMb: 128, outcome: 'success', async: false, ...over,
});
const fn = { Name: 'FunctionName', Value: 'fn' };

test('AWS/Lambda: Lambda\'s dimension sets — account, FunctionName, + Resource when a qualifier was invoked, + ExecutedVersion for an alias', () => {
  assert.deepEqual(LambdaMetrics.dimensionSets('fn', undefined, '$LATEST'), [[], [fn]]);
  assert.deepEqual(LambdaMetrics.dimensionSets('fn', '3', '3'), [[], [fn], [fn, { Name: 'Resource', Value: 'fn:3' }]]);
  assert.deepEqual(LambdaMetrics.dimensionSets('fn', 'live', '3'), [[], [fn], [fn, { Name: 'Resource', Value: 'fn:live' }], [{ Name: 'ExecutedVersion', Value: '3' }, fn, { Name: 'Resource', Value: 'fn:live' }]]);
});

test('AWS/Lambda: Errors is 0 or 1 per invocation (Average = error rate), throttles count in Throttles only, Duration in Milliseconds', () => {
  const f = fixture();
  f.lambda.invocation(rec({ durationMs: 10 }));
  f.lambda.invocation(rec({ durationMs: 30, outcome: 'timeout' }));
  f.lambda.invocation(rec({ durationMs: 20, outcome: 'function-error', qualifier: 'live' }));
  f.lambda.throttle('fn', 'live');
  const inv = f.read('Invocations', [fn])!;
  assert.deepEqual([inv.agg.sum, inv.units], [3, ['Count']]);
  const errors = f.read('Errors', [fn])!;
  assert.deepEqual([errors.agg.sum, errors.agg.count], [2, 3]);
  assert.equal(f.read('Throttles', [fn])!.agg.sum, 1);
  assert.equal(f.read('Throttles', [fn, { Name: 'Resource', Value: 'fn:live' }])!.agg.sum, 1);
  assert.equal(f.read('Invocations', [fn, { Name: 'Resource', Value: 'fn:live' }])!.agg.sum, 1);
  const d = f.read('Duration', [])!;
  assert.deepEqual([d.units, d.agg.min, d.agg.max, d.agg.sum], [['Milliseconds'], 10, 30, 60]);
});

test('AWS/Lambda: concurrency samples give ConcurrentExecutions (account and function), UnreservedConcurrentExecutions and ProvisionedConcurrentExecutions and Utilization; provisioned and spillover invocations; idle samples publish nothing', () => {
  const f = fixture();
  f.lambda.sample({ unreserved: 0, byFunction: new Map(), provisioned: new Map() });
  assert.equal(f.read('ConcurrentExecutions', []), undefined);
  f.lambda.invocation(rec({ qualifier: 'live', provisionedAllocated: 4, onProvisioned: true }));
  f.lambda.invocation(rec({ qualifier: 'live', provisionedAllocated: 4, onProvisioned: false }));
  f.lambda.sample({ unreserved: 2, byFunction: new Map([['fn', 3], ['other', 1]]), provisioned: new Map([['fn\0live', 2]]) });
  f.advance(1000);
  f.lambda.sample({ unreserved: 1, byFunction: new Map([['fn', 1]]), provisioned: new Map() });
  assert.equal(f.read('ConcurrentExecutions', [])!.agg.max, 4);
  assert.equal(f.read('ConcurrentExecutions', [fn])!.agg.max, 3);
  assert.equal(f.read('UnreservedConcurrentExecutions', [])!.agg.max, 2);
  const live = [fn, { Name: 'Resource', Value: 'fn:live' }];
  assert.equal(f.read('ProvisionedConcurrentExecutions', live)!.agg.max, 2);
  assert.equal(f.read('ProvisionedConcurrencyUtilization', live)!.agg.max, 0.5);
  assert.equal(f.read('ProvisionedConcurrencyInvocations', live)!.agg.sum, 1);
  assert.equal(f.read('ProvisionedConcurrencySpilloverInvocations', live)!.agg.sum, 1);
});

test('AWS/Lambda async metrics end to end: AsyncEventsReceived, AsyncEventAge, AsyncEventsDropped, DestinationDeliveryFailures and DeadLetterErrors', async (t) => {
  const h = await startHarness({ asyncRetryScale: 0.01 });
  t.after(() => h.stop());
  await h.client.send(new CreateFunctionCommand({
    FunctionName: 'async-cw', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler',
    Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => { throw new Error("always"); };' }) },
    // Flint delivers only to functions: an SNS dead-letter target and an SQS destination cannot be reached.
    DeadLetterConfig: { TargetArn: 'arn:aws:sns:us-east-1:000000000000:dlq' },
  }));
  await waitSettled(h.client, 'async-cw');
  await h.client.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: 'async-cw', MaximumRetryAttempts: 0,
    DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:failures' } },
  }));
  const start = Date.now() - 60_000;
  for (let i = 0; i < 2; i++) await h.client.send(new InvokeCommand({ FunctionName: 'async-cw', InvocationType: 'Event', Payload: Buffer.from('{}') }));
  const cw = new CloudWatchClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  const sumOf = async (metric: string, stat: 'Sum' | 'SampleCount' = 'Sum') => {
    const out = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: [{ Name: 'FunctionName', Value: 'async-cw' }], StartTime: new Date(start), EndTime: new Date(Date.now() + 60_000), Period: 3600, Statistics: [stat] }));
    return out.Datapoints!.reduce((s, d) => s + (d[stat] ?? 0), 0);
  };
  for (let i = 0; i < 100 && (await sumOf('AsyncEventsDropped')) < 2; i++) await sleep(100);
  assert.equal(await sumOf('AsyncEventsReceived'), 2);
  assert.equal(await sumOf('AsyncEventsDropped'), 2);
  assert.equal(await sumOf('AsyncEventAge', 'SampleCount'), 2);
  assert.equal(await sumOf('DestinationDeliveryFailures'), 2);
  assert.equal(await sumOf('DeadLetterErrors'), 2);
  assert.equal(await sumOf('Errors'), 2);
});
