import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { startHarness, TEST_ROLE, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';

let h: Harness;
let sqs: SQSClient;
const QUEUE_ARN = (name: string) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

before(async () => {
  h = await startHarness({ asyncRetryScale: 0.01, sandbox: 'process' });
  sqs = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  for (const q of ['ok-records', 'failed-records', 'dead-letters']) await sqs.send(new CreateQueueCommand({ QueueName: q }));
  const zip = await makeZip({ 'index.js': "exports.handler = async (e) => { if (e.fail) throw new Error('boom: ' + e.n); return { done: e.n }; };" });
  await h.client.send(new CreateFunctionCommand({
    FunctionName: 'to-queues', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip },
    DeadLetterConfig: { TargetArn: QUEUE_ARN('dead-letters') },
  }));
  for (let i = 0; i < 100 && (await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'to-queues' }))).State !== 'Active'; i++) await sleep(20);
  await h.client.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: 'to-queues', MaximumRetryAttempts: 0,
    DestinationConfig: { OnSuccess: { Destination: QUEUE_ARN('ok-records') }, OnFailure: { Destination: QUEUE_ARN('failed-records') } },
  }));
});
after(async () => {
  sqs.destroy();
  await h?.stop();
});

async function one(queue: string): Promise<Message> {
  const QueueUrl = `${h.endpoint}/000000000000/${queue}`;
  const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20, MessageAttributeNames: ['All'] }));
  assert.equal(r.Messages?.length, 1, `a message on ${queue}`);
  return r.Messages![0]!;
}

test('destinations: success and failure records go to SQS queues; the DLQ gets the event with RequestID/ErrorCode/ErrorMessage', async () => {
  const ok = await h.client.send(new InvokeCommand({ FunctionName: 'to-queues', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n: 1 })) }));
  assert.equal(ok.StatusCode, 202);
  const success = JSON.parse((await one('ok-records')).Body!);
  assert.equal(success.requestContext.condition, 'Success');
  assert.equal(success.requestContext.functionArn, 'arn:aws:lambda:us-east-1:000000000000:function:to-queues:$LATEST');
  assert.deepEqual(success.requestPayload, { n: 1 });
  assert.deepEqual(success.responsePayload, { done: 1 });

  await h.client.send(new InvokeCommand({ FunctionName: 'to-queues', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n: 2, fail: true })) }));
  const failure = JSON.parse((await one('failed-records')).Body!);
  assert.equal(failure.requestContext.condition, 'RetriesExhausted');
  assert.equal(failure.responseContext.functionError, 'Unhandled');
  const dead = await one('dead-letters');
  assert.deepEqual(JSON.parse(dead.Body!), { n: 2, fail: true });
  assert.equal(dead.MessageAttributes?.['RequestID']?.StringValue, failure.requestContext.requestId);
  assert.equal(dead.MessageAttributes?.['ErrorCode']?.DataType, 'Number');
  assert.equal(dead.MessageAttributes?.['ErrorCode']?.StringValue, '200');
  assert.equal(dead.MessageAttributes?.['ErrorMessage']?.StringValue, 'boom: 2');
});
