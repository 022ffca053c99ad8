import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { IAMClient, AttachRolePolicyCommand } from '@aws-sdk/client-iam';
import { SQSClient, SendMessageCommand, CreateQueueCommand, SendMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { createLambdaRole } from '../helpers/iam.js';
import { makeZip } from '../helpers/zip.js';
import { until } from '../helpers/until.js';

/**
 * End to end on Flint's own SQS-compatible queues: the AWS CLI v2 and SDK v3 send, the mapping's
 * pollers receive and invoke a real function, which appends each event it gets to a file.
 */
let h: Harness;
let sqs: SQSClient;
let role: string;
let outDir: string;
const ACCOUNT = '000000000000';
const arn = (name: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

const HANDLER = `
const fs = require('fs');
exports.handler = async (event) => {
  fs.appendFileSync(process.env.OUT, JSON.stringify(event) + '\\n');
  const batchItemFailures = [];
  for (const r of event.Records) {
    let b = {};
    try { b = JSON.parse(r.body); } catch {}
    if (b.throw) throw new Error('always fails');
    if (b.fail) batchItemFailures.push({ itemIdentifier: r.messageId });
  }
  return { batchItemFailures };
};`;

interface SqsRecord { messageId: string; body: string; attributes: Record<string, string>; messageAttributes: Record<string, unknown>; md5OfBody: string; md5OfMessageAttributes: string | null; eventSource: string; eventSourceARN: string; awsRegion: string; receiptHandle: string }

function events(fn: string): Array<{ Records: SqsRecord[] }> {
  const f = join(outDir, `${fn}.jsonl`);
  return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}
const records = (fn: string) => events(fn).flatMap((e) => e.Records);

async function consumer(name: string): Promise<void> {
  await createFunction(h.client, name, { Role: role, Timeout: 1, Code: { ZipFile: await makeZip({ 'index.js': HANDLER }) }, Environment: { Variables: { OUT: join(outDir, `${name}.jsonl`) } } });
}

async function queue(name: string, attributes: Record<string, string> = {}): Promise<string> {
  return (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
}

async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
  const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
  return { visible: Number(a['ApproximateNumberOfMessages']), inFlight: Number(a['ApproximateNumberOfMessagesNotVisible']) };
}

async function map(queueName: string, fn: string, extra: Record<string, unknown> = {}): Promise<string> {
  const m = await h.client.send(new CreateEventSourceMappingCommand({ EventSourceArn: arn(queueName), FunctionName: fn, ...extra }));
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: m.UUID }))).State === 'Enabled');
  return m.UUID!;
}

before(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'flint-esm-out-'));
  h = await startHarness();
  sqs = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  role = await createLambdaRole(h.endpoint, 'sqs-consumer');
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  await iam.send(new AttachRolePolicyCommand({ RoleName: 'sqs-consumer', PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole' }));
  iam.destroy();
});

let restartedDir: string | undefined;

after(async () => {
  sqs.destroy();
  await h.stop();
  if (restartedDir) rmSync(restartedDir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

test('aws sqs send-message → the mapped function runs with the SQS record format; the message is deleted after success', async () => {
  await consumer('fmt');
  const url = await queue('fmt-queue');
  await map('fmt-queue', 'fmt');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
  const sent = JSON.parse((await promisify(execFile)('/usr/bin/aws', ['--endpoint-url', h.endpoint, '--output', 'json', 'sqs', 'send-message', '--queue-url', url,
    '--message-body', '{"foo":"bar"}'], { env })).stdout);
  await until(() => records('fmt').length === 1, 20_000);
  const r = records('fmt')[0]!;
  assert.deepEqual(Object.keys(r), ['messageId', 'receiptHandle', 'body', 'attributes', 'messageAttributes', 'md5OfMessageAttributes', 'md5OfBody', 'eventSource', 'eventSourceARN', 'awsRegion']);
  assert.equal(r.messageId, sent.MessageId);
  assert.equal(r.body, '{"foo":"bar"}');
  assert.equal(r.md5OfBody, createHash('md5').update('{"foo":"bar"}').digest('hex'));
  // As recorded from AWS: no attributes → {} and md5OfMessageAttributes null.
  assert.deepEqual(r.messageAttributes, {});
  assert.equal(r.md5OfMessageAttributes, null);
  assert.deepEqual(Object.keys(r.attributes), ['ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp']);
  assert.equal(r.attributes['ApproximateReceiveCount'], '1');
  assert.equal(r.eventSource, 'aws:sqs');
  assert.equal(r.eventSourceARN, arn('fmt-queue'));
  assert.equal(r.awsRegion, 'us-east-1');

  // Message attributes (sent with SDK v3): Lambda's lower-camel members, md5OfMessageAttributes as SQS computed it.
  const withAttrs = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'hello', MessageAttributes: {
    Author: { DataType: 'String', StringValue: 'John Grisham' }, WeeksOn: { DataType: 'Number', StringValue: '6' }, Blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
  } }));
  await until(() => records('fmt').length === 2, 20_000);
  const r2 = records('fmt')[1]!;
  assert.equal(r2.md5OfMessageAttributes, withAttrs.MD5OfMessageAttributes);
  assert.deepEqual(r2.messageAttributes, {
    Author: { stringValue: 'John Grisham', stringListValues: [], binaryListValues: [], dataType: 'String' },
    WeeksOn: { stringValue: '6', stringListValues: [], binaryListValues: [], dataType: 'Number' },
    Blob: { binaryValue: 'aGk=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
  });

  // The same through the AWS CLI (query protocol).
  const viaCli = JSON.parse((await promisify(execFile)('/usr/bin/aws', ['--endpoint-url', h.endpoint, '--output', 'json', 'sqs', 'send-message', '--queue-url', url,
    '--message-body', 'from the cli', '--message-attributes', JSON.stringify({ Title: { DataType: 'String', StringValue: 'The Whistler' } })], { env })).stdout);
  await until(() => records('fmt').length === 3, 20_000);
  const r3 = records('fmt')[2]!;
  assert.equal(r3.md5OfMessageAttributes, viaCli.MD5OfMessageAttributes);
  assert.deepEqual(r3.messageAttributes, { Title: { stringValue: 'The Whistler', stringListValues: [], binaryListValues: [], dataType: 'String' } });
  await until(async () => { const c = await counts(url); return c.visible === 0 && c.inFlight === 0; }, 10_000);
});

test('ReportBatchItemFailures: only the reported message returns to the queue (and is redriven after maxReceiveCount)', async () => {
  await consumer('partial');
  const dlqUrl = await queue('partial-dlq');
  const url = await queue('partial-queue', { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('partial-dlq'), maxReceiveCount: 2 }) });
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [
    { Id: 'a', MessageBody: '{"n":1}' }, { Id: 'b', MessageBody: '{"n":2,"fail":true}' }, { Id: 'c', MessageBody: '{"n":3}' },
  ] }));
  const uuid = await map('partial-queue', 'partial', { FunctionResponseTypes: ['ReportBatchItemFailures'], BatchSize: 10, MaximumBatchingWindowInSeconds: 1 });
  // The failed message comes back (receive count 2), then moves to the dead-letter queue.
  await until(async () => (await counts(dlqUrl)).visible === 1, 30_000);
  await h.client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  const seen = records('partial');
  const byBody = (b: string) => seen.filter((r) => r.body === b).length;
  assert.equal(byBody('{"n":1}'), 1, 'a succeeded message is delivered once');
  assert.equal(byBody('{"n":3}'), 1, 'a succeeded message is delivered once');
  assert.equal(byBody('{"n":2,"fail":true}'), 2, 'the failed message is delivered until maxReceiveCount');
  assert.deepEqual(await counts(url), { visible: 0, inFlight: 0 });
  const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
  assert.deepEqual(dead.Messages?.map((m) => m.Body), ['{"n":2,"fail":true}']);
});

test('a function that always fails: every message is retried after the visibility timeout, then redriven to the DLQ', async () => {
  await consumer('failing');
  const dlqUrl = await queue('failing-dlq');
  const url = await queue('failing-queue', { VisibilityTimeout: '1', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn('failing-dlq'), maxReceiveCount: 3 }) });
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'a', MessageBody: '{"throw":true,"n":1}' }, { Id: 'b', MessageBody: '{"throw":true,"n":2}' }] }));
  const uuid = await map('failing-queue', 'failing');
  await until(async () => (await counts(dlqUrl)).visible === 2, 40_000);
  await h.client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  assert.deepEqual(await counts(url), { visible: 0, inFlight: 0 });
  const receiveCounts = records('failing').map((r) => Number(r.attributes['ApproximateReceiveCount']));
  assert.equal(Math.max(...receiveCounts), 3);
  assert.match((await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult ?? '', /PROBLEM/);
});

test('FilterCriteria: only matching messages reach the function; the others are deleted', async () => {
  await consumer('filtered');
  const url = await queue('filtered-queue');
  await map('filtered-queue', 'filtered', { FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { kind: ['order'], total: [{ numeric: ['>', 10] }] } }) }] } });
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [
    { Id: 'a', MessageBody: '{"kind":"order","total":12}' }, { Id: 'b', MessageBody: '{"kind":"order","total":3}' },
    { Id: 'c', MessageBody: '{"kind":"refund","total":50}' }, { Id: 'd', MessageBody: 'not json at all' },
  ] }));
  await until(async () => { const c = await counts(url); return c.visible === 0 && c.inFlight === 0; }, 20_000);
  assert.deepEqual(records('filtered').map((r) => r.body), ['{"kind":"order","total":12}']);
});

test('mappings survive a restart: their pollers start with the server', async () => {
  await consumer('durable');
  const url = await queue('durable-queue');
  const uuid = await map('durable-queue', 'durable');
  // Stop the server, keep its data directory, start again on it.
  restartedDir = h.dataDir;
  h.client.destroy();
  sqs.destroy();
  await h.app.stop();
  h = await startHarness({}, { dataDir: restartedDir });
  sqs = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await until(async () => (await h.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Enabled');
  const newUrl = url.replace(/^https?:\/\/[^/]+/, h.endpoint);
  await sqs.send(new SendMessageCommand({ QueueUrl: newUrl, MessageBody: 'after restart' }));
  await until(() => records('durable').some((r) => r.body === 'after restart'), 20_000);
});
