import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, DeleteLogGroupCommand, DeleteLogStreamCommand, DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand, ListTagsForResourceCommand, ListTagsLogGroupCommand,
  PutLogEventsCommand, PutRetentionPolicyCommand, TagLogGroupCommand, TagResourceCommand, UntagLogGroupCommand, UntagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { expectError } from '../helpers/expect-error.js';
import { makeZip } from '../helpers/zip.js';
import { waitSettled } from '../helpers/functions.js';

let h: Harness;
let logs: CloudWatchLogsClient;
const DAY = 86_400_000;

before(async () => {
  h = await startHarness();
  logs = new CloudWatchLogsClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
after(async () => {
  logs.destroy();
  await h.stop();
});

async function fn(name: string, code: string) {
  await h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: await makeZip({ 'index.js': code }) }, Timeout: 10 }));
  await waitSettled(h.client, name);
}

test("logs API: a function's lines land in /aws/lambda/<fn>, one Lambda-named stream per environment, START…REPORT in order", async () => {
  await fn('talker', "exports.handler = async (e) => { console.log('hello ' + e.n); return e.n; };");
  const r = await h.client.send(new InvokeCommand({ FunctionName: 'talker', Payload: Buffer.from('{"n":1}') }));
  const id = r.$metadata.requestId!;
  const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/talker' }));
  assert.equal(groups.logGroups?.length, 1);
  assert.equal(groups.logGroups![0]!.arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/talker:*');
  assert.equal(groups.logGroups![0]!.logGroupArn, 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/talker');
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/aws/lambda/talker' }));
  assert.equal(streams.logStreams?.length, 1);
  const s = streams.logStreams![0]!;
  assert.match(s.logStreamName!, /^\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}$/);
  assert.ok(s.firstEventTimestamp! <= s.lastEventTimestamp! && s.lastIngestionTime! >= s.lastEventTimestamp!);
  const ev = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/talker', logStreamName: s.logStreamName!, startFromHead: true }));
  const msgs = ev.events!.map((e) => e.message!);
  assert.match(msgs[0]!, /^INIT_START/);
  assert.equal(msgs[1], `START RequestId: ${id} Version: $LATEST`);
  assert.match(msgs[2]!, new RegExp(`\\t${id}\\tINFO\\thello 1$`));
  assert.equal(msgs[3], `END RequestId: ${id}`);
  assert.match(msgs[4]!, new RegExp(`^REPORT RequestId: ${id}\\tDuration: `));
  const reports = await logs.send(new FilterLogEventsCommand({ logGroupName: '/aws/lambda/talker', filterPattern: 'REPORT' }));
  assert.equal(reports.events?.length, 1);
  assert.equal(reports.events![0]!.logStreamName, s.logStreamName);
  assert.match(reports.events![0]!.eventId!, /^\d{56}$/);
  assert.deepEqual(reports.searchedLogStreams, []);
});

test('logs API: create and delete groups and streams, with AWS errors', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'app/one', tags: { team: 'a' } }));
  await expectError(logs.send(new CreateLogGroupCommand({ logGroupName: 'app/one' })), 'ResourceAlreadyExistsException', 400, 'The specified log group already exists');
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'app/one', logStreamName: 'web/1' }));
  await expectError(logs.send(new CreateLogStreamCommand({ logGroupName: 'app/one', logStreamName: 'web/1' })), 'ResourceAlreadyExistsException', 400, 'The specified log stream already exists');
  await expectError(logs.send(new CreateLogStreamCommand({ logGroupName: 'app/none', logStreamName: 's' })), 'ResourceNotFoundException', 400, 'The specified log group does not exist.');
  await expectError(logs.send(new DeleteLogStreamCommand({ logGroupName: 'app/one', logStreamName: 'nope' })), 'ResourceNotFoundException', 400, 'The specified log stream does not exist.');
  await logs.send(new DeleteLogStreamCommand({ logGroupName: 'app/one', logStreamName: 'web/1' }));
  await logs.send(new DeleteLogGroupCommand({ logGroupName: 'app/one' }));
  // Model validation answers InvalidParameterException in CloudWatch Logs (not ValidationException).
  await expectError(logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name!' })), 'InvalidParameterException', 400, /^1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: /);
  await expectError(logs.send(new CreateLogGroupCommand({ logGroupName: 'aws/mine' })), 'InvalidParameterException', 400, 'Log groups starting with AWS/ are reserved for AWS.');
  await expectError(logs.send(new DeleteLogGroupCommand({ logGroupName: 'app/one' })), 'ResourceNotFoundException', 400, 'The specified log group does not exist.');
});

test('logs API: DescribeLogGroups filters by prefix or pattern (not both) and pages with limit/nextToken', async () => {
  for (const n of ['pg/a', 'pg/b', 'pg/c', 'other/PG-x']) await logs.send(new CreateLogGroupCommand({ logGroupName: n }));
  const p1 = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'pg/', limit: 2 }));
  assert.deepEqual(p1.logGroups!.map((g) => g.logGroupName), ['pg/a', 'pg/b']);
  const p2 = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'pg/', limit: 2, nextToken: p1.nextToken }));
  assert.deepEqual(p2.logGroups!.map((g) => g.logGroupName), ['pg/c']);
  assert.equal(p2.nextToken, undefined);
  const byPattern = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'pg' }));
  assert.deepEqual(byPattern.logGroups!.map((g) => g.logGroupName), ['other/PG-x', 'pg/a', 'pg/b', 'pg/c'], 'case-insensitive substring');
  await expectError(logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'pg', logGroupNamePattern: 'pg' })), 'InvalidParameterException', 400, 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
});

test('logs API: DescribeLogStreams by name or last event time, descending, paged; no prefix with LastEventTime', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'streams' }));
  const now = Date.now();
  for (const [name, t] of [['b', now - 3000], ['a', now - 1000], ['c', now - 2000]] as const) {
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: name }));
    await logs.send(new PutLogEventsCommand({ logGroupName: 'streams', logStreamName: name, logEvents: [{ timestamp: t, message: name }] }));
  }
  const byName = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', limit: 2 }));
  assert.deepEqual(byName.logStreams!.map((s) => s.logStreamName), ['a', 'b']);
  const rest = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', limit: 2, nextToken: byName.nextToken }));
  assert.deepEqual(rest.logStreams!.map((s) => s.logStreamName), ['c']);
  const byTime = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', orderBy: 'LastEventTime', descending: true }));
  assert.deepEqual(byTime.logStreams!.map((s) => s.logStreamName), ['a', 'c', 'b']);
  assert.equal(byTime.logStreams![0]!.lastEventTimestamp, now - 1000);
  assert.equal(byTime.logStreams![0]!.arn, 'arn:aws:logs:us-east-1:000000000000:log-group:streams:log-stream:a');
  await expectError(logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', orderBy: 'LastEventTime', logStreamNamePrefix: 'a' })), 'InvalidParameterException', 400, 'Cannot order by LastEventTime with a logStreamNamePrefix.');
  await expectError(logs.send(new DescribeLogStreamsCommand({ logGroupName: 'nope' })), 'ResourceNotFoundException', 400, 'The specified log group does not exist.');
  const byArn = await logs.send(new DescribeLogStreamsCommand({ logGroupIdentifier: 'arn:aws:logs:us-east-1:000000000000:log-group:streams', logStreamNamePrefix: 'c' }));
  assert.deepEqual(byArn.logStreams!.map((s) => s.logStreamName), ['c']);
});

test("logs API: PutLogEvents follows AWS's batch rules and reports rejected events by index", async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'put' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'put', logStreamName: 's' }));
  const now = Date.now();
  await expectError(logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }] })), 'InvalidParameterException', 400, 'Log events in a single PutLogEvents request must be in chronological order.');
  await expectError(logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now - 2 * DAY, message: 'a' }, { timestamp: now, message: 'b' }] })), 'InvalidParameterException', 400, 'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
  // Over 1 MB the front door refuses the body before the batch is counted, as AWS's does.
  await assert.rejects(logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now, message: 'x'.repeat(600_000) }, { timestamp: now, message: 'y'.repeat(600_000) }] })), { name: 'RequestEntityTooLargeException' });
  await expectError(logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 'none', logEvents: [{ timestamp: now, message: 'a' }] })), 'ResourceNotFoundException', 400, 'The specified log stream does not exist.');
  const tooOld = now - 15 * DAY;
  const r1 = await logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: tooOld, message: 'old' }, { timestamp: tooOld + 1, message: 'old2' }] }));
  assert.deepEqual(r1.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 2 });
  const r2 = await logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', sequenceToken: 'ignored-as-aws-does', logEvents: [{ timestamp: now - 1000, message: 'kept' }, { timestamp: now + 3 * 3_600_000, message: 'future' }] }));
  assert.deepEqual(r2.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 1 });
  assert.ok(r2.nextSequenceToken);
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'put', retentionInDays: 1 }));
  const r3 = await logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now - 1.2 * DAY, message: 'expired' }, { timestamp: now - DAY / 2, message: 'fresh' }] }));
  assert.deepEqual(r3.rejectedLogEventsInfo, { expiredLogEventEndIndex: 1 });
  const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'put', logStreamName: 's', startFromHead: true }));
  assert.deepEqual(got.events!.map((e) => e.message), ['fresh', 'kept'], 'in timestamp order');
});

test('logs API: GetLogEvents pages forward and backward; at the end the same token comes back', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'get' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'get', logStreamName: 's' }));
  const t0 = Date.now() - 60_000;
  await logs.send(new PutLogEventsCommand({ logGroupName: 'get', logStreamName: 's', logEvents: Array.from({ length: 5 }, (_, i) => ({ timestamp: t0 + i * 1000, message: `e${i}` })) }));
  const tail = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', limit: 2 }));
  assert.deepEqual(tail.events!.map((e) => e.message), ['e3', 'e4'], 'from the tail by default');
  const back = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', limit: 2, nextToken: tail.nextBackwardToken }));
  assert.deepEqual(back.events!.map((e) => e.message), ['e1', 'e2']);
  const head = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', limit: 2, startFromHead: true }));
  assert.deepEqual(head.events!.map((e) => e.message), ['e0', 'e1']);
  assert.match(head.nextForwardToken!, /^f\/\d{56}$/);
  assert.match(head.nextBackwardToken!, /^b\/\d{56}$/);
  const fwd = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', nextToken: head.nextForwardToken }));
  assert.deepEqual(fwd.events!.map((e) => e.message), ['e2', 'e3', 'e4']);
  const end = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', nextToken: fwd.nextForwardToken }));
  assert.deepEqual(end.events, []);
  assert.equal(end.nextForwardToken, fwd.nextForwardToken);
  await logs.send(new PutLogEventsCommand({ logGroupName: 'get', logStreamName: 's', logEvents: [{ timestamp: t0 + 10_000, message: 'e5' }] }));
  const more = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', nextToken: end.nextForwardToken }));
  assert.deepEqual(more.events!.map((e) => e.message), ['e5'], 'a forward token picks up events written later');
  const window = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', startTime: t0 + 1000, endTime: t0 + 3000, startFromHead: true }));
  assert.deepEqual(window.events!.map((e) => e.message), ['e1', 'e2'], 'startTime inclusive, endTime exclusive');
  await expectError(logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', nextToken: 'garbage' })), 'InvalidParameterException', 400, 'The specified nextToken is invalid.');
});

test('logs API: FilterLogEvents interleaves streams by time, by names or prefix, time range, pattern and pages', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'filter' }));
  const t0 = Date.now() - 60_000;
  for (const s of ['web-1', 'web-2', 'job-1']) await logs.send(new CreateLogStreamCommand({ logGroupName: 'filter', logStreamName: s }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'filter', logStreamName: 'web-1', logEvents: [{ timestamp: t0, message: '{"level":"ERROR","ms":5}' }, { timestamp: t0 + 20, message: 'INFO ok' }] }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'filter', logStreamName: 'web-2', logEvents: [{ timestamp: t0 + 10, message: '{"level":"INFO","ms":500}' }] }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'filter', logStreamName: 'job-1', logEvents: [{ timestamp: t0 + 5, message: 'ERROR job failed' }] }));
  const all = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter' }));
  assert.deepEqual(all.events!.map((e) => `${e.logStreamName}:${e.timestamp! - t0}`), ['web-1:0', 'job-1:5', 'web-2:10', 'web-1:20']);
  const web = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', logStreamNamePrefix: 'web-' }));
  assert.equal(web.events!.length, 3);
  const named = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', logStreamNames: ['job-1', 'web-2'] }));
  assert.deepEqual(named.events!.map((e) => e.logStreamName), ['job-1', 'web-2']);
  const ranged = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', startTime: t0 + 5, endTime: t0 + 10 }));
  assert.deepEqual(ranged.events!.map((e) => e.logStreamName), ['job-1', 'web-2'], 'both ends inclusive');
  const json = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: '{ $.level = "ERROR" || $.ms > 100 }' }));
  assert.deepEqual(json.events!.map((e) => e.logStreamName), ['web-1', 'web-2']);
  const terms = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: '?ERROR ?ok -job' }));
  assert.deepEqual(terms.events!.map((e) => e.message), ['{"level":"ERROR","ms":5}', 'INFO ok']);
  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', limit: 3, nextToken }));
    seen.push(...page.events!.map((e) => e.eventId!));
    nextToken = page.nextToken;
  } while (nextToken);
  assert.deepEqual(seen, all.events!.map((e) => e.eventId));
  await expectError(logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', logStreamNames: ['a'], logStreamNamePrefix: 'a' })), 'InvalidParameterException', 400);
  await expectError(logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: '{ $.level = ' })), 'InvalidParameterException', 400);
  await expectError(logs.send(new FilterLogEventsCommand({ logGroupName: 'missing' })), 'ResourceNotFoundException', 400, 'The specified log group does not exist.');
});

test("logs API: retention takes AWS's day values, hides and removes older events; DeleteRetentionPolicy clears it", async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'ret' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'ret', logStreamName: 's' }));
  const now = Date.now();
  await logs.send(new PutLogEventsCommand({ logGroupName: 'ret', logStreamName: 's', logEvents: [{ timestamp: now - 5 * DAY, message: 'old' }] }));
  await logs.send(new PutLogEventsCommand({ logGroupName: 'ret', logStreamName: 's', logEvents: [{ timestamp: now, message: 'new' }] }));
  await expectError(logs.send(new PutRetentionPolicyCommand({ logGroupName: 'ret', retentionInDays: 2 })), 'InvalidParameterException', 400, /Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: \[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653\]/);
  await expectError(logs.send(new PutRetentionPolicyCommand({ logGroupName: 'nope', retentionInDays: 3 })), 'ResourceNotFoundException', 400, 'The specified log group does not exist.');
  await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'ret', retentionInDays: 3 }));
  assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'ret' }))).logGroups![0]!.retentionInDays, 3);
  await h.app.dataPlane.logs.sync();
  const all = await logs.send(new FilterLogEventsCommand({ logGroupName: 'ret' }));
  assert.deepEqual(all.events!.map((e) => e.message), ['new']);
  const stored = await h.app.dataPlane.logs.read('ret', 's');
  assert.deepEqual(stored.map((e) => e.message), ['new'], 'the old event is gone from storage, not only hidden');
  await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: 'ret' }));
  assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'ret' }))).logGroups![0]!.retentionInDays, undefined);
});

test('logs API: tags through TagLogGroup & co. and TagResource & co. on the log group ARN', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'tagged', tags: { a: '1' } }));
  await logs.send(new TagLogGroupCommand({ logGroupName: 'tagged', tags: { b: '2' } }));
  assert.deepEqual((await logs.send(new ListTagsLogGroupCommand({ logGroupName: 'tagged' }))).tags, { a: '1', b: '2' });
  await logs.send(new UntagLogGroupCommand({ logGroupName: 'tagged', tags: ['a'] }));
  const arn = 'arn:aws:logs:us-east-1:000000000000:log-group:tagged';
  await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { c: '3' } }));
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { b: '2', c: '3' });
  await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['b', 'c'] }));
  assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, {});
  await expectError(logs.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:logs:us-east-1:000000000000:log-group:none' })), 'ResourceNotFoundException', 400, 'The specified log group does not exist.');
  await expectError(logs.send(new TagResourceCommand({ resourceArn: 'arn:aws:logs:us-east-1:000000000000:destination:x', tags: { a: 'b' } })), 'InvalidParameterException', 400);
});

test("logs API: a function whose role has AWSLambdaBasicExecutionRole writes its own group with PutLogEvents (the runtime's SDK)", async () => {
  await fn('writer', `const { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } = require('@aws-sdk/client-cloudwatch-logs');
exports.handler = async () => {
  const c = new CloudWatchLogsClient({});
  const g = process.env.AWS_LAMBDA_LOG_GROUP_NAME || '/aws/lambda/writer';
  await c.send(new CreateLogStreamCommand({ logGroupName: g, logStreamName: 'custom' }));
  await c.send(new PutLogEventsCommand({ logGroupName: g, logStreamName: 'custom', logEvents: [{ timestamp: Date.now(), message: 'written by the function' }] }));
  return 'ok';
};`);
  const r = await h.client.send(new InvokeCommand({ FunctionName: 'writer' }));
  assert.equal(Buffer.from(r.Payload!).toString(), '"ok"', Buffer.from(r.Payload!).toString());
  const got = await logs.send(new GetLogEventsCommand({ logGroupName: '/aws/lambda/writer', logStreamName: 'custom' }));
  assert.deepEqual(got.events!.map((e) => e.message), ['written by the function']);
});

test('logs API: an Embedded Metric Format record sent with PutLogEvents becomes a custom metric (the log event feed)', async () => {
  const { CloudWatchClient, ListMetricsCommand } = await import('@aws-sdk/client-cloudwatch');
  await logs.send(new CreateLogGroupCommand({ logGroupName: 'emf' }));
  await logs.send(new CreateLogStreamCommand({ logGroupName: 'emf', logStreamName: 's' }));
  const now = Date.now();
  const emf = { _aws: { Timestamp: now, CloudWatchMetrics: [{ Namespace: 'LogsApiTest', Dimensions: [['Service']], Metrics: [{ Name: 'Orders', Unit: 'Count' }] }] }, Service: 'shop', Orders: 3 };
  await logs.send(new PutLogEventsCommand({ logGroupName: 'emf', logStreamName: 's', logEvents: [{ timestamp: now, message: JSON.stringify(emf) }] }));
  const cw = new CloudWatchClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'LogsApiTest' }));
    assert.deepEqual(listed.Metrics?.map((m) => m.MetricName), ['Orders']);
  } finally {
    cw.destroy();
  }
});
