import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand,
  GetQueueAttributesCommand, SendMessageBatchCommand, ListDeadLetterSourceQueuesCommand, ChangeMessageVisibilityCommand,
} from '@aws-sdk/client-sqs';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

let h: Harness;
let sqs: SQSClient;

before(async () => {
  h = await startHarness();
  sqs = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
after(async () => {
  sqs.destroy();
  await h.stop();
});

const create = async (QueueName: string, Attributes: Record<string, string> = {}) => (await sqs.send(new CreateQueueCommand({ QueueName, Attributes }))).QueueUrl!;
const receive = async (QueueUrl: string, extra: Record<string, unknown> = {}) => (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], ...extra }))).Messages ?? [];

test('FIFO: MessageGroupId required, order within a group, one in-flight batch per group, SequenceNumber', async () => {
  await assert.rejects(create('plain-name', { FifoQueue: 'true' }), (e: Error) => e.name === 'InvalidParameterValue');
  const url = await create('orders.fifo', { FifoQueue: 'true' });
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })), (e: Error) => e.name === 'MissingParameter');
  await assert.rejects(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageGroupId: 'g' })), (e: Error) => e.name === 'InvalidParameterValue');
  const seqs: string[] = [];
  for (const [g, b] of [['a', 'a1'], ['b', 'b1'], ['a', 'a2'], ['a', 'a3'], ['b', 'b2']]) {
    const r = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: b, MessageGroupId: g, MessageDeduplicationId: b }));
    seqs.push(r.SequenceNumber!);
  }
  assert.deepEqual([...seqs].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1)), seqs, 'sequence numbers increase');
  const first = await receive(url, { MaxNumberOfMessages: 2 });
  assert.deepEqual(first.map((m) => m.Body), ['a1', 'b1']);
  // Both groups have a message in flight: nothing else is delivered until they are deleted.
  assert.deepEqual(await receive(url), []);
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first[0]!.ReceiptHandle }));
  const next = await receive(url);
  assert.deepEqual(next.map((m) => m.Body), ['a2', 'a3']);
  assert.equal(next[0]!.Attributes?.MessageGroupId, 'a');
  assert.equal(next[0]!.Attributes?.SequenceNumber, seqs[2]);
});

test('FIFO deduplication: explicit ids and content-based, within 5 minutes', async () => {
  const url = await create('dedup.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true' });
  const a = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
  const b = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'same', MessageGroupId: 'g' }));
  assert.equal(b.MessageId, a.MessageId, 'the duplicate answers the first message id');
  const c = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'other body', MessageGroupId: 'g', MessageDeduplicationId: 'x' }));
  const d = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'third body', MessageGroupId: 'g', MessageDeduplicationId: 'x' }));
  assert.equal(d.MessageId, c.MessageId);
  const got = await receive(url);
  assert.deepEqual(got.map((m) => m.Body), ['same', 'other body']);
  assert.equal(got[1]!.Attributes?.MessageDeduplicationId, 'x');
});

test('redrive: a message received maxReceiveCount times moves to the dead-letter queue', async () => {
  const dlqUrl = await create('dead');
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!['QueueArn']!;
  await assert.rejects(create('src-bad', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn.replace('dead', 'nope'), maxReceiveCount: 2 }) }), (e: Error) => e.name === 'InvalidParameterValue');
  const url = await create('src', { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }) });
  const sent = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));
  for (let i = 1; i <= 2; i++) {
    const [m] = await receive(url);
    assert.equal(m?.Attributes?.ApproximateReceiveCount, String(i));
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 0 }));
  }
  assert.deepEqual(await receive(url), [], 'the third receive moves it instead of delivering it');
  const [dead] = await receive(dlqUrl);
  assert.equal(dead?.MessageId, sent.MessageId);
  assert.equal(dead?.Body, 'poison');
  assert.equal(dead?.Attributes?.DeadLetterQueueSourceArn, 'arn:aws:sqs:us-east-1:000000000000:src');
  assert.deepEqual((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))).queueUrls, [url]);
});

test('delay queues and per-message delay: delayed messages are counted and arrive later', async () => {
  const url = await create('delayed', { DelaySeconds: '1' });
  await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: 'q', MessageBody: 'queue-delay' }, { Id: 'z', MessageBody: 'no-delay', DelaySeconds: 0 }] }));
  const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessages'] }))).Attributes!;
  assert.deepEqual(attrs, { ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesDelayed: '1' });
  assert.deepEqual((await receive(url)).map((m) => m.Body), ['no-delay']);
  // Long polling wakes when the delayed message becomes visible.
  assert.deepEqual((await receive(url, { WaitTimeSeconds: 5 })).map((m) => m.Body), ['queue-delay']);
});

test('visibility timeout: an undeleted message comes back after the timeout, with a higher receive count', async () => {
  const url = await create('vis', { VisibilityTimeout: '1' });
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
  const [first] = await receive(url);
  assert.equal(first?.Attributes?.ApproximateReceiveCount, '1');
  const [second] = await receive(url, { WaitTimeSeconds: 5 });
  assert.equal(second?.Body, 'again');
  assert.equal(second?.Attributes?.ApproximateReceiveCount, '2');
  assert.notEqual(second?.ReceiptHandle, first?.ReceiptHandle);
});

test('long polling: a waiting receive returns the message sent while it waits', async () => {
  const url = await create('longpoll');
  const waiting = receive(url, { WaitTimeSeconds: 20 });
  await new Promise((r) => setTimeout(r, 200));
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'wake up' }));
  assert.deepEqual((await waiting).map((m) => m.Body), ['wake up']);
  await assert.rejects(receive(url, { WaitTimeSeconds: 21 }), (e: Error) => e.name === 'InvalidParameterValue' && /Must be >= 0 and <= 20/.test(e.message));
});
