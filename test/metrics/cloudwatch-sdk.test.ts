import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand, ListMetricsCommand, PutMetricDataCommand, type ListMetricsCommandOutput } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

const run = promisify(execFile);
const MIN = 60_000;

function cloudWatch(h: Harness): CloudWatchClient {
  return new CloudWatchClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
}

test('SDK v3: PutMetricData, then GetMetricData with MetricStat, metric math, ReturnData, ScanBy, labels, paging and MultipleUnits', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const cw = cloudWatch(h);
  const m0 = Math.floor(Date.now() / MIN) * MIN - 10 * MIN;
  const at = (i: number) => new Date(m0 + i * MIN + 5_000);
  await cw.send(new PutMetricDataCommand({
    Namespace: 'Calc',
    MetricData: [
      { MetricName: 'A', Timestamp: at(0), Value: 10, Unit: 'Count' },
      { MetricName: 'A', Timestamp: at(1), Values: [5, 15], Counts: [1, 1], Unit: 'Count' },
      { MetricName: 'A', Timestamp: at(3), StatisticValues: { SampleCount: 1, Sum: 40, Minimum: 40, Maximum: 40 }, Unit: 'Count' },
      { MetricName: 'B', Timestamp: at(0), Value: 1, Unit: 'Count' },
      { MetricName: 'B', Timestamp: at(1), Value: 2, Unit: 'Count' },
      { MetricName: 'B', Timestamp: at(2), Value: 3, Unit: 'Count' },
      { MetricName: 'Mixed', Timestamp: at(0), Value: 1, Unit: 'Seconds' },
      { MetricName: 'Mixed', Timestamp: at(0), Value: 500, Unit: 'Milliseconds' },
    ],
  }));
  const stat = (name: string) => ({ Metric: { Namespace: 'Calc', MetricName: name }, Period: 60, Stat: 'Sum' });
  const out = await cw.send(new GetMetricDataCommand({
    StartTime: new Date(m0), EndTime: new Date(m0 + 4 * MIN), ScanBy: 'TimestampAscending',
    MetricDataQueries: [
      { Id: 'a', MetricStat: stat('A'), ReturnData: false },
      { Id: 'b', MetricStat: stat('B'), Label: 'bees' },
      { Id: 'plus', Expression: 'a + b' },
      { Id: 'total', Expression: 'SUM([a, b])', Label: 'all' },
      { Id: 'filled', Expression: 'FILL(a, 0) * 2' },
      { Id: 'share', Expression: '100 * a / SUM(a)' },
      { Id: 'mixed', MetricStat: stat('Mixed') },
    ],
  }));
  const r = Object.fromEntries(out.MetricDataResults!.map((x) => [x.Id, x]));
  const offsets = (id: string) => r[id]!.Timestamps!.map((d: Date) => (d.getTime() - m0) / MIN);
  assert.deepEqual(Object.keys(r), ['b', 'plus', 'total', 'filled', 'share', 'mixed']);
  assert.ok(out.MetricDataResults!.every((x) => x.StatusCode === 'Complete'));
  assert.equal(r['b']!.Label, 'bees');
  assert.deepEqual(r['b']!.Values, [1, 2, 3]);
  assert.deepEqual([offsets('plus'), r['plus']!.Values], [[0, 1], [11, 22]]);
  assert.deepEqual([r['total']!.Label, offsets('total'), r['total']!.Values], ['all', [0, 1, 2, 3], [11, 22, 3, 40]]);
  assert.deepEqual([offsets('filled'), r['filled']!.Values], [[0, 1, 2, 3], [20, 40, 0, 80]]);
  assert.deepEqual(r['share']!.Values, [1000 / 70, 2000 / 70, 4000 / 70]);
  assert.deepEqual(r['mixed']!.Messages, [{ Code: 'MultipleUnits', Value: "Multiple units returned: '[Milliseconds, Seconds]'" }]);

  // Descending by default; MaxDatapoints pages across the results.
  const page1 = await cw.send(new GetMetricDataCommand({ StartTime: new Date(m0), EndTime: new Date(m0 + 4 * MIN), MaxDatapoints: 3, MetricDataQueries: [{ Id: 'a', MetricStat: stat('A') }, { Id: 'b', MetricStat: stat('B') }] }));
  assert.deepEqual(page1.MetricDataResults!.map((x) => x.Values), [[40, 20, 10], []]);
  assert.ok(page1.NextToken);
  const page2 = await cw.send(new GetMetricDataCommand({ StartTime: new Date(m0), EndTime: new Date(m0 + 4 * MIN), MaxDatapoints: 3, NextToken: page1.NextToken, MetricDataQueries: [{ Id: 'a', MetricStat: stat('A') }, { Id: 'b', MetricStat: stat('B') }] }));
  assert.deepEqual(page2.MetricDataResults!.map((x) => x.Values), [[], [3, 2, 1]]);
  assert.equal(page2.NextToken, undefined);

  await assert.rejects(cw.send(new GetMetricDataCommand({ StartTime: new Date(m0), EndTime: new Date(m0 + MIN), MetricDataQueries: [{ Id: 'e', Expression: 'RATE(x)' }] })), /Unsupported function RATE/);
  await assert.rejects(cw.send(new GetMetricDataCommand({ StartTime: new Date(m0), EndTime: new Date(m0 + MIN), MetricDataQueries: [{ Id: 'e', Expression: 'nothere * 2' }] })), /Unrecognized identifier nothere/);
  await assert.rejects(cw.send(new GetMetricDataCommand({ StartTime: new Date(m0), EndTime: new Date(m0 + MIN), MetricDataQueries: [{ Id: 'Upper', MetricStat: stat('A') }] })), /Id is invalid/);
  await assert.rejects(cw.send(new GetMetricDataCommand({ StartTime: new Date(m0), EndTime: new Date(m0 + MIN), NextToken: 'garbage!', MetricDataQueries: [{ Id: 'a', MetricStat: stat('A') }] })), (e: Error) => e.name === 'InvalidNextToken');
  await assert.rejects(cw.send(new PutMetricDataCommand({ Namespace: 'AWS/EC2', MetricData: [{ MetricName: 'x', Value: 1 }] })), (e: Error) => e.name === 'InvalidParameterValueException' && /The value AWS\/EC2 for parameter Namespace is invalid\./.test(e.message));

  const listed = await cw.send(new ListMetricsCommand({ Namespace: 'Calc' }));
  assert.deepEqual(listed.Metrics!.map((m) => m.MetricName), ['A', 'B', 'Mixed']);
  const recent = await cw.send(new ListMetricsCommand({ Namespace: 'Calc', RecentlyActive: 'PT3H', MetricName: 'B' }));
  assert.deepEqual(recent.Metrics, [{ Namespace: 'Calc', MetricName: 'B', Dimensions: [] }]);
});

/** The files of `node_modules/<pkg>` for each package, under `node_modules/` in the zip. */
function packageFiles(pkgs: string[]): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (const pkg of pkgs) {
    const root = join('node_modules', pkg);
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (!p.endsWith('.d.ts') && !p.endsWith('.map')) files[join('node_modules', pkg, relative(root, p))] = readFileSync(p);
      }
    };
    walk(root);
  }
  return files;
}

test('EMF: @aws-lambda-powertools/metrics inside a function publishes a custom metric (ListMetrics, GetMetricStatistics); an invalid EMF line is ignored', async (t) => {
  const h = await startHarness();
  t.after(() => h.stop());
  const cw = cloudWatch(h);
  const code = `
const { Metrics, MetricUnit } = require('@aws-lambda-powertools/metrics');
const metrics = new Metrics({ namespace: 'PowertoolsShop', serviceName: 'orders' });
exports.handler = async (event) => {
  metrics.addDimension('environment', 'test');
  metrics.addMetric('OrdersPlaced', MetricUnit ? MetricUnit.Count : 'Count', event.n);
  metrics.addMetric('CartValue', 'None', event.value);
  metrics.publishStoredMetrics();
  // Not EMF (a dimension member is missing): CloudWatch keeps it as a log line and extracts nothing.
  console.log(JSON.stringify({ _aws: { Timestamp: Date.now(), CloudWatchMetrics: [{ Namespace: 'PowertoolsShop', Dimensions: [['absent']], Metrics: [{ Name: 'Bogus' }] }] }, Bogus: 1 }));
  return 'ok';
};`;
  await createFunction(h.client, 'emf-fn', {
    Code: { ZipFile: await makeZip({ 'index.js': code, ...packageFiles(['@aws-lambda-powertools/metrics', '@aws-lambda-powertools/commons', '@aws/lambda-invoke-store']) }) },
    Timeout: 30,
  });
  const start = Date.now() - MIN;
  for (const [n, value] of [[2, 10], [3, 30]]) {
    const r = await h.client.send(new InvokeCommand({ FunctionName: 'emf-fn', Payload: Buffer.from(JSON.stringify({ n, value })), LogType: 'Tail' }));
    assert.equal(r.FunctionError, undefined, Buffer.from(r.LogResult ?? '', 'base64').toString());
  }
  const dims = [{ Name: 'environment', Value: 'test' }, { Name: 'service', Value: 'orders' }];
  let listed: ListMetricsCommandOutput | undefined;
  for (let i = 0; i < 50; i++) {
    listed = await cw.send(new ListMetricsCommand({ Namespace: 'PowertoolsShop' }));
    if ((listed.Metrics ?? []).length >= 2) break;
    await sleep(100);
  }
  assert.deepEqual(listed!.Metrics, [
    { Namespace: 'PowertoolsShop', MetricName: 'CartValue', Dimensions: dims },
    { Namespace: 'PowertoolsShop', MetricName: 'OrdersPlaced', Dimensions: dims },
  ]);
  const stats = await cw.send(new GetMetricStatisticsCommand({
    Namespace: 'PowertoolsShop', MetricName: 'OrdersPlaced', Dimensions: [{ Name: 'service', Value: 'orders' }, { Name: 'environment', Value: 'test' }],
    StartTime: new Date(start), EndTime: new Date(Date.now() + MIN), Period: 3600, Statistics: ['Sum', 'SampleCount'],
  }));
  assert.deepEqual(stats.Datapoints!.map((d) => [d.Sum, d.SampleCount, d.Unit]), [[5, 2, 'Count']]);
});

test('boto3 (smithy-rpc-v2-cbor where the newest boto3 speaks it): put_metric_data and get_metric_statistics', async (t) => {
  const python = '/root/.pyenv/shims/python3';
  const probe = await run(python, ['-c', 'import boto3'], { env: process.env }).catch(() => undefined);
  if (!probe) return t.skip(`${python} has no boto3`);
  const h = await startHarness();
  t.after(() => h.stop());
  const script = `
import boto3, datetime, json, sys
cw = boto3.client('cloudwatch', endpoint_url=sys.argv[1], region_name='us-east-1')
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0) - datetime.timedelta(minutes=5)
cw.put_metric_data(Namespace='Py', MetricData=[{'MetricName': 'Jobs', 'Timestamp': now, 'Values': [1.0, 3.0], 'Counts': [1.0, 2.0], 'Unit': 'Count'}])
out = cw.get_metric_statistics(Namespace='Py', MetricName='Jobs', StartTime=now, EndTime=now + datetime.timedelta(minutes=1), Period=60, Statistics=['Sum', 'Maximum'])
try:
  cw.put_metric_data(Namespace='AWS/Py', MetricData=[{'MetricName': 'x', 'Value': 1.0}])
  err = None
except cw.exceptions.InvalidParameterValueException as e:
  err = e.response['Error']['Code']
print(json.dumps({'protocol': cw.meta.service_model.protocol, 'points': [[d['Sum'], d['Maximum'], d['Unit'], d['Timestamp'] == now] for d in out['Datapoints']], 'error': err}))
`;
  const env = { ...process.env, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' };
  const { stdout } = await run(python, ['-c', script, h.endpoint], { env });
  const out = JSON.parse(stdout);
  assert.deepEqual(out.points, [[7, 3, 'Count', true]]);
  assert.equal(out.error, 'InvalidParameterValue');
  t.diagnostic(`boto3 protocol: ${out.protocol}`);
});
