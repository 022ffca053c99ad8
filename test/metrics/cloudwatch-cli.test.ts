import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvokeCommand, PutFunctionConcurrencyCommand, DeleteFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createAlias, createFunction, publishVersion } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';

function awsWith(h: Harness, home: string) {
  const env = { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' };
  return {
    json: async (args: string[]): Promise<any> => {
      const { stdout } = await run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', 'cloudwatch', ...args], { env });
      return stdout.trim() === '' ? {} : JSON.parse(stdout);
    },
    error: (args: string[]): Promise<string> => run(AWS_CLI, ['--endpoint-url', h.endpoint, '--output', 'json', 'cloudwatch', ...args], { env }).then(() => '', (e: { stderr: string }) => e.stderr),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const sum = (dps: Array<{ Sum: number }>) => dps.reduce((s, d) => s + d.Sum, 0);

test('AWS CLI (query protocol): AWS/Lambda Invocations, Errors, Throttles and Duration percentiles after real invocations', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async (t) => {
  const h = await startHarness();
  const home = mkdtempSync(join(tmpdir(), 'flint-aws-home-'));
  t.after(async () => { await h.stop(); rmSync(home, { recursive: true, force: true }); });
  const cw = awsWith(h, home);
  await createFunction(h.client, 'cw-fn', {
    Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async (e) => { if (e.fail) throw new Error("boom"); return e; };' }) },
  });
  const v1 = await publishVersion(h.client, 'cw-fn');
  await createAlias(h.client, 'cw-fn', 'live', v1);
  const start = Date.now() - 120_000;
  const invoke = (payload: unknown, qualifier?: string) => h.client.send(new InvokeCommand({ FunctionName: 'cw-fn', Payload: Buffer.from(JSON.stringify(payload)), ...(qualifier ? { Qualifier: qualifier } : {}) }));
  for (let i = 0; i < 5; i++) await invoke({ i });
  for (let i = 0; i < 2; i++) await invoke({ fail: true });
  for (let i = 0; i < 3; i++) await invoke({ i }, 'live');
  // Reserved concurrency 0: every invoke is throttled (429), which is neither an invocation nor an error.
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'cw-fn', ReservedConcurrentExecutions: 0 }));
  await assert.rejects(invoke({}), /Rate Exceeded|TooManyRequests/);
  await h.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'cw-fn' }));
  const end = Date.now() + 60_000;

  const stats = (metric: string, dims: string[], extra: string[] = ['--statistics', 'Sum']) =>
    cw.json(['get-metric-statistics', '--namespace', 'AWS/Lambda', '--metric-name', metric, '--dimensions', ...dims, '--start-time', iso(start), '--end-time', iso(end), '--period', '60', ...extra]);
  const byFn = ['Name=FunctionName,Value=cw-fn'];
  const inv = await stats('Invocations', byFn);
  assert.equal(inv.Label, 'Invocations');
  assert.equal(sum(inv.Datapoints), 10);
  assert.ok(inv.Datapoints.every((d: any) => d.Unit === 'Count' && !Number.isNaN(Date.parse(d.Timestamp))));
  assert.equal(sum((await stats('Errors', byFn)).Datapoints), 2);
  assert.equal(sum((await stats('Throttles', byFn)).Datapoints), 1);
  // Through the alias: FunctionName + Resource, and FunctionName + Resource + ExecutedVersion.
  const resource = `Name=Resource,Value=cw-fn:live`;
  assert.equal(sum((await stats('Invocations', [...byFn, resource])).Datapoints), 3);
  assert.equal(sum((await stats('Invocations', [resource, ...byFn, `Name=ExecutedVersion,Value=${v1}`])).Datapoints), 3);
  // Account level: no dimensions.
  const account = await cw.json(['get-metric-statistics', '--namespace', 'AWS/Lambda', '--metric-name', 'Invocations', '--start-time', iso(start), '--end-time', iso(end), '--period', '3600', '--statistics', 'Sum', 'SampleCount']);
  assert.equal(account.Datapoints.length, 1);
  assert.equal(account.Datapoints[0].Sum, 10);

  const duration = await stats('Duration', byFn, ['--period', '3600', '--statistics', 'Maximum', 'Minimum', 'SampleCount']);
  const d = duration.Datapoints[0];
  assert.equal(d.SampleCount, 10);
  assert.equal(d.Unit, 'Milliseconds');
  const pct = await stats('Duration', byFn, ['--period', '3600', '--extended-statistics', 'p50', 'p99', 'p99.9']);
  const ext = pct.Datapoints[0].ExtendedStatistics;
  assert.deepEqual(Object.keys(ext).sort(), ['p50', 'p99', 'p99.9']);
  assert.ok(ext.p50 >= d.Minimum && ext.p50 <= ext.p99 && ext.p99 <= d.Maximum, JSON.stringify({ ext, d }));

  const listed = await cw.json(['list-metrics', '--namespace', 'AWS/Lambda', '--dimensions', 'Name=FunctionName,Value=cw-fn']);
  const names = new Set(listed.Metrics.map((m: any) => m.MetricName));
  for (const n of ['Invocations', 'Errors', 'Throttles', 'Duration']) assert.ok(names.has(n), n);
  assert.ok(listed.Metrics.every((m: any) => m.Dimensions.some((x: any) => x.Name === 'FunctionName' && x.Value === 'cw-fn')));
});

test('AWS CLI: put-metric-data and its validation errors; get-metric-statistics limits, in AWS\'s codes and words', { skip: !existsSync(AWS_CLI) && 'no /usr/bin/aws' }, async (t) => {
  const h = await startHarness();
  const home = mkdtempSync(join(tmpdir(), 'flint-aws-home-'));
  t.after(async () => { await h.stop(); rmSync(home, { recursive: true, force: true }); });
  const cw = awsWith(h, home);
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
  await cw.json(['put-metric-data', '--namespace', 'Shop', '--metric-data', JSON.stringify([
    { MetricName: 'Orders', Dimensions: [{ Name: 'Store', Value: 'north' }], Timestamp: iso(minute + 1000), Values: [1, 2, 10], Counts: [2, 3, 1], Unit: 'Count' },
    { MetricName: 'Orders', Dimensions: [{ Name: 'Store', Value: 'north' }], Timestamp: iso(minute + 2000), Value: 4, Unit: 'Count' },
    { MetricName: 'Orders', Dimensions: [{ Name: 'Store', Value: 'north' }], Timestamp: iso(minute + 61_000), StatisticValues: { SampleCount: 2, Sum: 7, Minimum: 3, Maximum: 4 }, Unit: 'Count' },
  ])]);
  const out = await cw.json(['get-metric-statistics', '--namespace', 'Shop', '--metric-name', 'Orders', '--dimensions', 'Name=Store,Value=north',
    '--start-time', iso(minute), '--end-time', iso(minute + 120_000), '--period', '60', '--statistics', 'Sum', 'SampleCount', 'Maximum', 'Minimum', 'Average']);
  const dps = out.Datapoints.sort((a: any, b: any) => Date.parse(a.Timestamp) - Date.parse(b.Timestamp));
  assert.deepEqual(dps.map((x: any) => [Date.parse(x.Timestamp) - minute, x.SampleCount, x.Sum, x.Minimum, x.Maximum, x.Unit]), [[0, 7, 22, 1, 10, 'Count'], [60_000, 2, 7, 3, 4, 'Count']]);
  // GetMetricData over the query protocol: a MetricStat and an expression on it.
  const gmd = await cw.json(['get-metric-data', '--start-time', iso(minute), '--end-time', iso(minute + 120_000), '--scan-by', 'TimestampAscending', '--metric-data-queries', JSON.stringify([
    { Id: 'orders', MetricStat: { Metric: { Namespace: 'Shop', MetricName: 'Orders', Dimensions: [{ Name: 'Store', Value: 'north' }] }, Period: 60, Stat: 'Sum' } },
    { Id: 'doubled', Expression: 'FILL(orders, 0) * 2', Label: 'twice' },
  ])]);
  assert.deepEqual(gmd.MetricDataResults.map((r: any) => [r.Id, r.Label, r.StatusCode, r.Values, r.Timestamps.map((x: string) => Date.parse(x) - minute)]), [
    ['orders', 'Orders', 'Complete', [22, 7], [0, 60_000]],
    ['doubled', 'twice', 'Complete', [44, 14], [0, 60_000]],
  ]);
  // The unit filter: nothing was published in Seconds.
  const none = await cw.json(['get-metric-statistics', '--namespace', 'Shop', '--metric-name', 'Orders', '--dimensions', 'Name=Store,Value=north',
    '--start-time', iso(minute), '--end-time', iso(minute + 120_000), '--period', '60', '--statistics', 'Sum', '--unit', 'Seconds']);
  assert.deepEqual(none.Datapoints, []);

  const put = (data: unknown, ns = 'Shop') => cw.error(['put-metric-data', '--namespace', ns, '--metric-data', JSON.stringify(data)]);
  assert.match(await put([{ MetricName: 'x', Value: 1 }], 'AWS/Lambda'), /InvalidParameterValue.*The value AWS\/Lambda for parameter Namespace is invalid\./);
  assert.match(await put([{ MetricName: 'x', Value: 1, Values: [1] }]), /InvalidParameterCombination.*The parameters MetricData\.member\.1\.Value and MetricData\.member\.1\.Values are mutually exclusive and you have specified both\./);
  assert.match(await put([{ MetricName: 'x', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }]), /InvalidParameterCombination.*Value and MetricData\.member\.1\.StatisticValues are mutually exclusive/);
  assert.match(await put([{ MetricName: 'x', Values: [1, 2], Counts: [1] }]), /InvalidParameterValue.*The parameters MetricData\.member\.1\.Values and MetricData\.member\.1\.Counts must be of the same size\./);
  assert.match(await put([{ MetricName: 'x', Value: 1, StorageResolution: 5 }]), /InvalidParameterValue.*StorageResolution/);
  assert.match(await put([{ MetricName: 'x', Value: 1, Timestamp: iso(Date.now() - 15 * 24 * 3600_000) }]), /InvalidParameterValue.*Timestamp/);
  assert.match(await put([{ MetricName: 'x', Value: 1, Timestamp: iso(Date.now() + 3 * 3600_000) }]), /InvalidParameterValue.*Timestamp/);
  assert.match(await put([{ MetricName: 'x', Value: 1, Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' })) }]), /InvalidParameterValue.*Dimensions/);
  assert.match(await put([{ MetricName: 'x' }]), /InvalidParameterCombination/);

  const gms = (extra: string[]) => cw.error(['get-metric-statistics', '--namespace', 'Shop', '--metric-name', 'Orders', ...extra]);
  const now = Date.now();
  assert.match(await gms(['--start-time', iso(now), '--end-time', iso(now - 60_000), '--period', '60', '--statistics', 'Sum']), /InvalidParameterValue.*The parameter StartTime must be less than the parameter EndTime\./);
  assert.match(await gms(['--start-time', iso(now - 86_400_000), '--end-time', iso(now), '--period', '1', '--statistics', 'Sum']), /InvalidParameterCombination.*You have requested up to 86400 datapoints, which exceeds the limit of 1440\. You may reduce the datapoints requested by increasing Period, or decreasing the time range\./);
  assert.match(await gms(['--start-time', iso(now - 3600_000), '--end-time', iso(now), '--period', '45', '--statistics', 'Sum']), /InvalidParameterValue.*Period/);
  assert.match(await gms(['--start-time', iso(now - 3600_000), '--end-time', iso(now), '--period', '60', '--extended-statistics', 'p101']), /InvalidParameterValue.*p101/);
  assert.match(await gms(['--start-time', iso(now - 3600_000), '--end-time', iso(now), '--period', '60']), /MissingParameter/);
});
