import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageCommand,
  GetQueueAttributesCommand, ChangeMessageVisibilityCommand, GetQueueUrlCommand, ListQueuesCommand,
  DeleteQueueCommand, SetQueueAttributesCommand, TagQueueCommand, UntagQueueCommand, ListQueueTagsCommand,
  PurgeQueueCommand, SendMessageBatchCommand, DeleteMessageBatchCommand, ChangeMessageVisibilityBatchCommand,
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

async function rejects(p: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: any) => {
    assert.equal(err.name, name, `${err.name}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

test('sqs (SDK v3, json): create, send, receive, delete; URL form; MD5s the SDK verifies', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'basic', Attributes: { VisibilityTimeout: '5' }, tags: { team: 'a' } }));
  assert.equal(QueueUrl, `${h.endpoint}/000000000000/basic`);
  // Idempotent with the same attributes; QueueNameExists with another value.
  assert.equal((await sqs.send(new CreateQueueCommand({ QueueName: 'basic', Attributes: { VisibilityTimeout: '5' } }))).QueueUrl, QueueUrl);
  await rejects(sqs.send(new CreateQueueCommand({ QueueName: 'basic', Attributes: { VisibilityTimeout: '6' } })), 'QueueNameExists',
    /^A queue already exists with the same name and a different value for attribute VisibilityTimeout$/);
  assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: 'basic' }))).QueueUrl, QueueUrl);
  await rejects(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' })), 'QueueDoesNotExist', /The specified queue does not exist/);

  const sent = await sqs.send(new SendMessageCommand({
    QueueUrl, MessageBody: 'héllo',
    MessageAttributes: { color: { DataType: 'String', StringValue: 'blue' }, n: { DataType: 'Number', StringValue: '42' }, bin: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) }, 'app.trace': { DataType: 'String.custom', StringValue: 't' } },
  }));
  // The MD5 of "héllo" in UTF-8 and of the attributes by SQS's algorithm (the SDK checks both too).
  assert.equal(sent.MD5OfMessageBody, (await import('node:crypto')).createHash('md5').update('héllo').digest('hex'));
  assert.match(sent.MD5OfMessageAttributes ?? '', /^[0-9a-f]{32}$/);

  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }));
  assert.equal(got.Messages?.length, 1);
  const m = got.Messages![0]!;
  assert.equal(m.Body, 'héllo');
  assert.equal(m.MessageId, sent.MessageId);
  assert.equal(m.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
  assert.equal(m.MessageAttributes?.['color']?.StringValue, 'blue');
  assert.deepEqual([...(m.MessageAttributes?.['bin']?.BinaryValue ?? [])], [1, 2, 3]);
  assert.equal(m.Attributes?.ApproximateReceiveCount, '1');
  assert.equal(m.Attributes?.SenderId, '000000000000');
  // In flight: not received again; counted as not visible.
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
  const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }))).Attributes!;
  assert.equal(attrs['ApproximateNumberOfMessagesNotVisible'], '1');
  assert.equal(attrs['QueueArn'], 'arn:aws:sqs:us-east-1:000000000000:basic');
  assert.equal(attrs['VisibilityTimeout'], '5');
  // Visibility 0 makes it receivable again, with a new receipt handle and count 2.
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }));
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'], MessageAttributeNames: ['app.*', 'color'] }));
  assert.equal(again.Messages?.[0]?.Attributes?.ApproximateReceiveCount, '2');
  assert.deepEqual(Object.keys(again.Messages?.[0]?.MessageAttributes ?? {}).sort(), ['app.trace', 'color']);
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages![0]!.ReceiptHandle }));
  const after = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
  assert.deepEqual(after, { ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  await rejects(sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'garbage' })), 'ReceiptHandleIsInvalid', /The input receipt handle "garbage" is not a valid receipt handle/);
  await rejects(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 10 })), 'InvalidParameterValue');
});

test('sqs (SDK v3): list, tags, set attributes, purge, delete queue', async () => {
  for (const n of ['ls-a', 'ls-b', 'ls-c', 'other']) await sqs.send(new CreateQueueCommand({ QueueName: n }));
  const page1 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'ls-', MaxResults: 2 }));
  assert.deepEqual(page1.QueueUrls?.map((u) => u.split('/').pop()), ['ls-a', 'ls-b']);
  const page2 = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'ls-', MaxResults: 2, NextToken: page1.NextToken }));
  assert.deepEqual(page2.QueueUrls?.map((u) => u.split('/').pop()), ['ls-c']);
  assert.equal(page2.NextToken, undefined);
  const url = `${h.endpoint}/000000000000/ls-a`;
  await sqs.send(new TagQueueCommand({ QueueUrl: url, Tags: { a: '1', b: '2' } }));
  await sqs.send(new UntagQueueCommand({ QueueUrl: url, TagKeys: ['a'] }));
  assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags, { b: '2' });
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { DelaySeconds: '0', MaximumMessageSize: '2048' } }));
  await rejects(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '50000' } })), 'InvalidAttributeValue');
  await rejects(sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Bogus: '1' } as Record<string, string> })), 'InvalidAttributeName');
  await rejects(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x'.repeat(2049) })), 'InvalidParameterValue', /Message must be shorter than 2048 bytes/);
  await rejects(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'bad\u0001' })), 'InvalidMessageContents', /#x1/);
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
  await sqs.send(new PurgeQueueCommand({ QueueUrl: url }));
  await rejects(sqs.send(new PurgeQueueCommand({ QueueUrl: url })), 'PurgeQueueInProgress');
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages, undefined);
  await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  await rejects(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' })), 'QueueDoesNotExist');
});

test('sqs (SDK v3): batches — partial failures, ids not distinct, too many entries, too long', async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'batch' }));
  const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [
    { Id: 'a', MessageBody: 'one' }, { Id: 'b', MessageBody: '' }, { Id: 'c', MessageBody: 'three', DelaySeconds: 1000 },
  ] }));
  assert.deepEqual(r.Successful?.map((s) => s.Id), ['a']);
  assert.deepEqual(r.Failed?.map((f) => [f.Id, f.SenderFault]), [['b', true], ['c', true]]);
  await rejects(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'x', MessageBody: '1' }, { Id: 'x', MessageBody: '2' }] })), 'BatchEntryIdsNotDistinct');
  await rejects(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: 'x' })) })), 'TooManyEntriesInBatchRequest');
  await rejects(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'p', MessageBody: 'x'.repeat(200_000) }, { Id: 'q', MessageBody: 'x'.repeat(100_000) }] })), 'BatchRequestTooLong');
  await rejects(sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'bad id!', MessageBody: 'x' }] })), 'InvalidBatchEntryId');
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
  assert.equal(got.Messages?.length, 1);
  const handle = got.Messages![0]!.ReceiptHandle!;
  const vis = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl, Entries: [{ Id: 'ok', ReceiptHandle: handle, VisibilityTimeout: 60 }, { Id: 'bad', ReceiptHandle: 'zzz', VisibilityTimeout: 1 }] }));
  assert.deepEqual(vis.Successful?.map((s) => s.Id), ['ok']);
  assert.equal(vis.Failed?.[0]?.Code, 'ReceiptHandleIsInvalid');
  const del = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'ok', ReceiptHandle: handle }] }));
  assert.deepEqual(del.Successful?.map((s) => s.Id), ['ok']);
  await rejects(sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 11 })), 'InvalidParameterValue', /Must be between 1 and 10/);
});
