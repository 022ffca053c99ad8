import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CloudTrailClient, LookupEventsCommand, paginateLookupEvents, type Event, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { LambdaClient, CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

const run = promisify(execFile);
const AWS_CLI = '/usr/bin/aws';
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

let h: Harness;
let home: string;
let trail: CloudTrailClient;
let iam: IAMClient;
let narrow: { accessKeyId: string; secretAccessKey: string };
let narrowSecret = '';

function cli(args: string[], creds: { accessKeyId: string; secretAccessKey: string } = TEST_CREDENTIALS) {
  return run(AWS_CLI, [...args, '--endpoint-url', h.endpoint, '--output', 'json'], {
    env: { PATH: process.env['PATH'], HOME: home, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_DEFAULT_REGION: REGION, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' },
  });
}

const parsed = (e: Event) => JSON.parse(e.CloudTrailEvent!) as Record<string, any>;

before(async () => {
  h = await startHarness();
  home = mkdtempSync(join(tmpdir(), 'flint-trail-'));
  trail = new CloudTrailClient({ endpoint: h.endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  iam = new IAMClient({ endpoint: h.endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await createFunction(h.client, 'trail-fn', { Environment: { Variables: { DB_PASSWORD: 'pw-not-in-trail-7781' } } });
  await iam.send(new CreateUserCommand({ UserName: 'narrow' }));
  await iam.send(new PutUserPolicyCommand({ UserName: 'narrow', PolicyName: 'invoke-only', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] }) }));
  const key = await iam.send(new CreateAccessKeyCommand({ UserName: 'narrow' }));
  narrow = { accessKeyId: key.AccessKey!.AccessKeyId!, secretAccessKey: key.AccessKey!.SecretAccessKey! };
  narrowSecret = narrow.secretAccessKey;
});
after(async () => {
  trail.destroy();
  iam.destroy();
  await h.stop();
  rmSync(home, { recursive: true, force: true });
});

test('aws cloudtrail lookup-events (CLI 2.9) finds the CreateFunction with its identity, source, resources and redacted parameters', async () => {
  const { stdout } = await cli(['cloudtrail', 'lookup-events', '--lookup-attributes', 'AttributeKey=EventName,AttributeValue=CreateFunction']);
  const events = (JSON.parse(stdout) as { Events: Event[] }).Events;
  const created = events.find((e) => e.Resources?.some((r) => r.ResourceName === 'trail-fn'));
  assert.ok(created, stdout);
  assert.equal(created.EventName, 'CreateFunction');
  assert.equal(created.EventSource, 'lambda.amazonaws.com');
  assert.equal(created.ReadOnly, 'false');
  assert.equal(created.Username, 'root');
  assert.equal(created.AccessKeyId, TEST_CREDENTIALS.accessKeyId);
  assert.deepEqual(created.Resources, [{ ResourceType: 'AWS::Lambda::Function', ResourceName: 'trail-fn' }]);
  const record = parsed(created);
  assert.equal(record['eventVersion'], '1.09');
  assert.equal(record['eventID'], created.EventId);
  assert.deepEqual(record['userIdentity'], { type: 'Root', principalId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT, accessKeyId: TEST_CREDENTIALS.accessKeyId });
  assert.equal(record['sourceIPAddress'], '127.0.0.1');
  assert.match(record['userAgent'], /aws-sdk-js/);
  assert.equal(record['eventType'], 'AwsApiCall');
  assert.equal(record['eventCategory'], 'Management');
  assert.equal(record['managementEvent'], true);
  assert.equal(record['recipientAccountId'], ACCOUNT);
  assert.equal(record['awsRegion'], REGION);
  assert.match(record['requestID'], /^[0-9a-f-]{36}$/);
  assert.deepEqual(record['resources'], [{ accountId: ACCOUNT, type: 'AWS::Lambda::Function', ARN: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:trail-fn` }]);
  assert.equal(record['requestParameters']['Code'], '(redacted)');
  assert.equal(record['requestParameters']['Environment'], '(redacted)');
  assert.equal(record['responseElements']['FunctionName'], 'trail-fn');
  assert.equal(record['responseElements']['Environment'], '(redacted)');
  assert.ok(!stdout.includes('pw-not-in-trail-7781'));
});

test('a call denied to an IAM user with a narrow policy is found by Username with errorCode AccessDeniedException, its key and message', async () => {
  const lambda = new LambdaClient({ endpoint: h.endpoint, region: REGION, credentials: narrow, maxAttempts: 1 });
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => 1;' });
  await assert.rejects(lambda.send(new CreateFunctionCommand({ FunctionName: 'not-allowed', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip } })), (e: Error) => e.name === 'AccessDeniedException');
  lambda.destroy();
  const { stdout } = await cli(['cloudtrail', 'lookup-events', '--lookup-attributes', 'AttributeKey=Username,AttributeValue=narrow']);
  const events = (JSON.parse(stdout) as { Events: Event[] }).Events;
  assert.equal(events.length, 1, stdout);
  const record = parsed(events[0]!);
  assert.equal(record['eventName'], 'CreateFunction');
  assert.equal(record['errorCode'], 'AccessDeniedException');
  assert.match(record['errorMessage'], /User: arn:aws:iam::000000000000:user\/narrow is not authorized to perform: lambda:CreateFunction/);
  assert.equal(record['userIdentity']['type'], 'IAMUser');
  assert.equal(record['userIdentity']['userName'], 'narrow');
  assert.match(record['userIdentity']['principalId'], /^AIDA/);
  assert.equal(record['userIdentity']['accessKeyId'], narrow.accessKeyId);
  assert.equal(record['responseElements'], null);
  const byKey = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: narrow.accessKeyId }] }));
  assert.deepEqual(byKey.Events?.map((e) => e.EventId), [events[0]!.EventId]);
});

test('IAM responses: the new secret access key is redacted from responseElements; no record holds a secret', async () => {
  const found = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateAccessKey' }] }));
  const record = parsed(found.Events![0]!);
  assert.equal(record['eventSource'], 'iam.amazonaws.com');
  assert.equal(record['responseElements']['AccessKey']['SecretAccessKey'], '(redacted)');
  assert.equal(record['responseElements']['AccessKey']['AccessKeyId'], narrow.accessKeyId);
  assert.deepEqual(found.Events![0]!.Resources, [{ ResourceType: 'AWS::IAM::User', ResourceName: 'narrow' }]);
  const everything: Event[] = [];
  for await (const page of paginateLookupEvents({ client: trail }, {})) everything.push(...(page.Events ?? []));
  const text = JSON.stringify(everything);
  assert.ok(!text.includes(narrowSecret) && !text.includes(TEST_CREDENTIALS.secretAccessKey) && !text.includes('pw-not-in-trail-7781'));
});

test('LookupEvents (SDK v3): pages of MaxResults newest first, with a NextToken until the last; time range and attributes filter', async () => {
  for (let i = 0; i < 5; i++) await iam.send(new CreateUserCommand({ UserName: `paged-${i}` }));
  const pages: Event[][] = [];
  for await (const page of paginateLookupEvents({ client: trail, pageSize: 2 }, { LookupAttributes: [{ AttributeKey: 'ResourceType', AttributeValue: 'AWS::IAM::User' }] })) pages.push(page.Events ?? []);
  const names = pages.flat().filter((e) => e.EventName === 'CreateUser').map((e) => e.Resources![0]!.ResourceName);
  assert.deepEqual(names, ['paged-4', 'paged-3', 'paged-2', 'paged-1', 'paged-0', 'narrow']);
  assert.ok(pages.slice(0, -1).every((p) => p.length === 2));
  const times = pages.flat().map((e) => e.EventTime!.getTime());
  assert.deepEqual(times, [...times].sort((a, b) => b - a));
  const future = await trail.send(new LookupEventsCommand({ StartTime: new Date(Date.now() + 3_600_000) }));
  assert.deepEqual(future.Events, []);
  const byName = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ResourceName', AttributeValue: `arn:aws:iam::${ACCOUNT}:user/paged-2` }] }));
  assert.deepEqual(byName.Events?.map((e) => e.EventName), ['CreateUser']);
  const reads = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'true' }] }));
  // KMS's uses of the function's key on Lambda's behalf are service events, always recorded.
  assert.deepEqual(reads.Events?.filter((e) => parsed(e)['eventType'] === 'AwsApiCall'), [], 'API reads are not recorded by default');
  assert.ok(reads.Events!.some((e) => e.EventName === 'Decrypt' && e.Username === 'lambda.amazonaws.com' && parsed(e)['eventType'] === 'AwsServiceEvent'));
  const insight = await trail.send(new LookupEventsCommand({ EventCategory: 'insight' }));
  assert.deepEqual(insight.Events, [], 'Flint records no Insights events');
});

test('LookupEvents validation: one attribute only, a known key, MaxResults 1–50, start before end, a token only with its own query', async () => {
  const fails = async (input: LookupEventsCommandInput, name: string, message: RegExp) =>
    assert.rejects(trail.send(new LookupEventsCommand(input)), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, name);
      assert.equal(e.$metadata.httpStatusCode, 400);
      assert.match(e.message, message);
      return true;
    });
  await fails({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateUser' }, { AttributeKey: 'Username', AttributeValue: 'root' }] }, 'InvalidLookupAttributesException', /more than one lookup attribute/);
  await fails({ LookupAttributes: [{ AttributeKey: 'Colour' as never, AttributeValue: 'x' }] }, 'InvalidLookupAttributesException', /key 'Colour' is not valid/);
  await fails({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'maybe' }] }, 'InvalidLookupAttributesException', /true or false/);
  await fails({ MaxResults: 51 }, 'InvalidMaxResultsException', /between 1 and 50/);
  await fails({ MaxResults: 0 }, 'InvalidMaxResultsException', /between 1 and 50/);
  await fails({ StartTime: new Date('2026-02-01'), EndTime: new Date('2026-01-01') }, 'InvalidTimeRangeException', /start time must be before the end time/);
  await fails({ NextToken: 'garbage' }, 'InvalidNextTokenException', /NextToken/);
  const first = await trail.send(new LookupEventsCommand({ MaxResults: 1 }));
  assert.ok(first.NextToken);
  await fails({ MaxResults: 1, NextToken: first.NextToken, LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'CreateUser' }] }, 'InvalidNextTokenException', /NextToken/);
  await fails({ EventCategory: 'anomaly' as never }, 'InvalidEventCategoryException', /not valid/);
});

test('the event selector: by default reads and Invoke are not recorded; all,data records them (Invoke as a Data event)', async () => {
  await h.client.send(new InvokeCommand({ FunctionName: 'trail-fn', Payload: Buffer.from('{}') }));
  const none = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Invoke' }] }));
  assert.deepEqual(none.Events, []);
  const h2 = await startHarness({ auditEvents: 'all,data' });
  try {
    await createFunction(h2.client, 'data-fn');
    await h2.client.send(new InvokeCommand({ FunctionName: 'data-fn', Payload: Buffer.from('{"k":"payload-not-in-trail"}') }));
    const t2 = new CloudTrailClient({ endpoint: h2.endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const invoked = await t2.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'Invoke' }] }));
    const record = parsed(invoked.Events![0]!);
    assert.equal(record['eventCategory'], 'Data');
    assert.equal(record['managementEvent'], false);
    assert.equal(record['requestParameters']['Payload'], '(redacted)');
    assert.equal(record['responseElements']['Payload'], '(redacted)');
    const reads = await t2.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'ReadOnly', AttributeValue: 'true' }] }));
    assert.ok(reads.Events!.some((e) => e.EventName === 'GetFunctionConfiguration'));
    assert.ok(reads.Events!.every((e) => parsed(e)['responseElements'] === null), 'read-only events carry no responseElements');
    t2.destroy();
  } finally {
    await h2.stop();
  }
});

test('flint audit list: the records through LookupEvents, root-signed, one line each with the outcome', async () => {
  const env = { ...process.env, FLINT_ENDPOINT: h.endpoint, FLINT_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, FLINT_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey };
  const main = join(process.cwd(), 'src/cli/main.ts');
  const denied = await run(process.execPath, ['--import', 'tsx', main, 'audit', 'list', '--attribute', 'Username=narrow', '--since', '1h', '--data-dir', h.dataDir], { env });
  assert.match(denied.stdout, /^\d{4}-\d\d-\d\dT\S+Z  lambda  CreateFunction  narrow  not-allowed  AccessDeniedException$/m);
  const two = await run(process.execPath, ['--import', 'tsx', main, 'audit', 'list', '--limit', '2', '--data-dir', h.dataDir], { env });
  assert.equal(two.stdout.trim().split('\n').length, 2);
  await assert.rejects(run(process.execPath, ['--import', 'tsx', main, 'audit', 'list', '--attribute', 'Colour=red', '--data-dir', h.dataDir], { env }), (e: { stderr: string }) => /InvalidLookupAttributesException/.test(e.stderr));
});
