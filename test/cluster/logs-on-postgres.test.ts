import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { postgresSkipReason } from '../helpers/postgres.js';
import type { FlintApp } from '../../src/app/flint-app.js';
import { loadRootCredentials } from '../../src/app/secrets.js';
import { createFunction, waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { until } from './helpers/pools.js';
import { InProcessCluster } from './helpers/in-process-cluster.js';

/**
 * Function logs in a cluster (docs/cluster.md): an api node and a worker node, in process, on one
 * PostgreSQL. A function invoked through the api node runs on the worker; its output and its
 * START/END/REPORT lines are then read through the api node's CloudWatch Logs API — GetLogEvents,
 * FilterLogEvents, DescribeLogGroups/Streams — and by `aws logs tail`, as on a single node; and its
 * AWS/Lambda metrics are counted by the api node's GetMetricData and GetMetricStatistics.
 */
const skip = postgresSkipReason;
const AWS_CLI = '/usr/bin/aws';
let cluster: InProcessCluster;
let creds: { accessKeyId: string; secretAccessKey: string };
let lambda: LambdaClient;
let logs: CloudWatchLogsClient;
let cloudwatch: CloudWatchClient;
let api: FlintApp;
let worker: FlintApp;

before(async () => {
  if (skip) return;
  cluster = await InProcessCluster.start('flint-logs');
  creds = loadRootCredentials(cluster.clusterDir);
  api = await cluster.node('api');
  worker = await cluster.node('worker', { apiEndpoint: api.endpoint, workerCapacity: 4 });
  const client = { endpoint: api.endpoint, region: 'us-east-1', credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey }, maxAttempts: 1 };
  lambda = new LambdaClient(client);
  logs = new CloudWatchLogsClient(client);
  cloudwatch = new CloudWatchClient(client);
}, { timeout: 120_000 });

after(async () => {
  lambda?.destroy();
  logs?.destroy();
  cloudwatch?.destroy();
  await cluster?.stop();
});

test("cluster logs: a function run on a worker has its output and START/END/REPORT lines in the api node's CloudWatch Logs", { skip, timeout: 180_000 }, async () => {
  await until('the worker is a member', () => api.cluster!.membership.members().some((m) => m.id === worker.cluster!.nodeId && m.state === 'active'), 30_000);
  assert.throws(() => api.dataPlane, /runs no execution environments/, 'the api node runs no function itself');
  const zip = await makeZip({ 'index.js': "exports.handler = async (e) => { console.log('hello from the worker ' + e.n); return { pid: process.pid }; };" });
  await createFunction(lambda, 'logged', { Code: { ZipFile: zip } });
  await waitSettled(lambda, 'logged');
  const ids: string[] = [];
  for (const n of [1, 2]) {
    const r = await lambda.send(new InvokeCommand({ FunctionName: 'logged', Payload: Buffer.from(JSON.stringify({ n })) }));
    assert.equal(r.StatusCode, 200);
    assert.equal(r.FunctionError, undefined);
    ids.push(r.$metadata.requestId!);
  }
  assert.ok(worker.dataPlane.pool.all().some((e) => e.env.binding.functionName === 'logged'), 'it ran on the worker');

  // The worker sends its lines in the background (within 100 ms of the response): wait, bounded.
  const group = '/aws/lambda/logged';
  // Until the worker's first batch lands the group does not exist: ResourceNotFoundException, as
  // on AWS before Lambda's first log line arrives — "not yet", not a failure.
  const all = async () => {
    try {
      return (await logs.send(new FilterLogEventsCommand({ logGroupName: group }))).events ?? [];
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return [];
      throw err;
    }
  };
  await until('the REPORT lines reach the api node', async () => (await all()).filter((e) => e.message?.startsWith('REPORT RequestId: ')).length === 2, 30_000);
  const events = await all();
  for (const [i, id] of ids.entries()) {
    const mine = events.filter((e) => e.message?.includes(id) || e.message?.includes(`hello from the worker ${i + 1}`));
    const kind = (m: string) => /^(START|END|REPORT) RequestId: /.exec(m)?.[1] ?? 'output';
    assert.deepEqual(mine.map((e) => kind(e.message!)), ['START', 'output', 'END', 'REPORT'], JSON.stringify(mine));
    assert.match(mine[0]!.message!, new RegExp(`^START RequestId: ${id} Version: \\$LATEST`));
    assert.match(mine[1]!.message!, new RegExp(`\\t${id}\\tINFO\\thello from the worker ${i + 1}$`));
    assert.match(mine[3]!.message!, /Duration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB/);
  }
  assert.ok(events.every((e) => typeof e.eventId === 'string' && e.logStreamName?.includes('[$LATEST]')));

  const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '"hello from the worker 2"' }));
  assert.deepEqual(filtered.events?.map((e) => e.message?.split('\t').slice(3).join('\t')), ['hello from the worker 2']);

  const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }));
  assert.deepEqual(groups.logGroups?.map((g) => g.logGroupName), [group]);
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: group }));
  assert.equal(streams.logStreams?.length, 1, 'one environment, one stream');
  const stream = streams.logStreams![0]!.logStreamName!;
  const got = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }));
  assert.deepEqual(got.events?.map((e) => e.message), events.filter((e) => e.logStreamName === stream).map((e) => e.message), 'GetLogEvents reads the same stream in order');
  assert.ok(got.events!.some((e) => e.message?.startsWith('INIT_START') || e.message?.startsWith('START')));
});

test('cluster logs: `aws logs tail` through the api node prints the lines a worker wrote', { skip: skip ?? (!existsSync(AWS_CLI) && 'no /usr/bin/aws'), timeout: 60_000 }, async () => {
  const home = cluster.tmp('home');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
  const { stdout } = await promisify(execFile)(AWS_CLI, ['--endpoint-url', api.endpoint, 'logs', 'tail', '/aws/lambda/logged', '--since', '1h', '--format', 'short'], { env });
  assert.match(stdout, /hello from the worker 1/);
  assert.equal(stdout.match(/REPORT RequestId: /g)?.length, 2, stdout);
});

test("cluster metrics: the api node's GetMetricData and GetMetricStatistics count the invocations a worker ran", { skip, timeout: 120_000 }, async () => {
  const before = Date.now();
  for (let n = 3; n <= 5; n++) {
    const r = await lambda.send(new InvokeCommand({ FunctionName: 'logged', Payload: Buffer.from(JSON.stringify({ n })) }));
    assert.equal(r.StatusCode, 200);
  }
  // A worker writes its metrics once a minute and when it stops: stop it rather than wait.
  await worker.stop();
  const start = new Date(Math.floor(before / 3_600_000) * 3_600_000 - 3_600_000);
  const end = new Date(Date.now() + 3_600_000);
  const dims = [{ Name: 'FunctionName', Value: 'logged' }];
  const data = await cloudwatch.send(new GetMetricDataCommand({
    StartTime: start, EndTime: end,
    MetricDataQueries: [{ Id: 'inv', MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims }, Period: 3600 * 3, Stat: 'Sum' } }],
  }));
  const values = data.MetricDataResults?.[0]?.Values ?? [];
  assert.equal(values.reduce((a, v) => a + v, 0), 5, `5 invocations on the worker (2 earlier, 3 now): ${JSON.stringify(data.MetricDataResults)}`);
  const stats = await cloudwatch.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: dims, StartTime: start, EndTime: end, Period: 3600 * 3, Statistics: ['SampleCount', 'Sum'] }));
  assert.equal((stats.Datapoints ?? []).reduce((a, p) => a + (p.Sum ?? 0), 0), 5);
});
