import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, GetQueueAttributesCommand,
  ChangeMessageVisibilityCommand, ListQueuesCommand, SetQueueAttributesCommand, DeleteMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

let h: Harness;
let sqs: SQSClient;
let url: string;
let fifo: string;

before(async () => {
  h = await startHarness();
  sqs = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  url = (await sqs.send(new CreateQueueCommand({ QueueName: 'v' }))).QueueUrl!;
  fifo = (await sqs.send(new CreateQueueCommand({ QueueName: 'v.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
});
after(async () => {
  sqs.destroy();
  await h.stop();
});

const cases: Array<[string, () => Promise<unknown>, string, RegExp?]> = [
  ['queue name with a space', () => sqs.send(new CreateQueueCommand({ QueueName: 'bad name' })), 'InvalidParameterValue', /alphanumeric characters, hyphens, or underscores/],
  ['queue name of 81 characters', () => sqs.send(new CreateQueueCommand({ QueueName: 'a'.repeat(81) })), 'InvalidParameterValue'],
  ['.fifo name for a standard queue', () => sqs.send(new CreateQueueCommand({ QueueName: 'std.fifo' })), 'InvalidParameterValue'],
  ['FIFO-only attribute on a standard queue', () => sqs.send(new CreateQueueCommand({ QueueName: 'x', Attributes: { ContentBasedDeduplication: 'true' } })), 'InvalidAttributeName'],
  ['unknown DeduplicationScope', () => sqs.send(new CreateQueueCommand({ QueueName: 'y.fifo', Attributes: { FifoQueue: 'true', DeduplicationScope: 'all' } })), 'InvalidAttributeValue'],
  ['non-numeric DelaySeconds', () => sqs.send(new CreateQueueCommand({ QueueName: 'z', Attributes: { DelaySeconds: 'soon' } })), 'InvalidAttributeValue', /DelaySeconds/],
  ['RedrivePolicy not JSON', () => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: 'nope' } })), 'InvalidParameterValue', /RedrivePolicy/],
  ['maxReceiveCount 0', () => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { RedrivePolicy: '{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:v","maxReceiveCount":0}' } })), 'InvalidParameterValue'],
  ['Policy not JSON', () => sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { Policy: '{' } })), 'InvalidAttributeValue'],
  ['unknown attribute name in GetQueueAttributes', () => sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['Nope' as 'All'] })), 'InvalidAttributeName', /^Unknown Attribute Nope$/],
  ['FifoQueue=false on a standard queue', () => sqs.send(new CreateQueueCommand({ QueueName: 'std', Attributes: { FifoQueue: 'false' } })), 'InvalidAttributeName', /FifoQueue/],
  ['empty message body', () => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '' })), 'MissingParameter', /MessageBody/],
  ['message attribute with a reserved prefix', () => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { 'aws.x': { DataType: 'String', StringValue: 'v' } } })), 'InvalidParameterValue'],
  ['message attribute of an unknown type', () => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'Date', StringValue: 'v' } } })), 'InvalidParameterValue', /Binary, Number, String/],
  ['Number attribute that is not a number', () => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'Number', StringValue: 'ten' } } })), 'InvalidParameterValue', /to a number/],
  ['Binary attribute without a binary value', () => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'Binary', StringValue: 'v' } } })), 'InvalidParameterValue'],
  ['deduplication id on a standard queue', () => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x', MessageDeduplicationId: 'd' })), 'InvalidParameterValue'],
  ['per-message delay on a FIFO queue', () => sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'd', DelaySeconds: 5 })), 'InvalidParameterValue'],
  ['WaitTimeSeconds over 20', () => sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 21 })), 'InvalidParameterValue'],
  ['VisibilityTimeout over 43200 on receive', () => sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 43201 })), 'InvalidParameterValue'],
  ['ChangeMessageVisibility with a malformed handle', () => sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: '%%%', VisibilityTimeout: 1 })), 'ReceiptHandleIsInvalid'],
  ['ListQueues MaxResults 0', () => sqs.send(new ListQueuesCommand({ MaxResults: 0 })), 'InvalidParameterValue'],
  ['ListQueues NextToken without MaxResults', () => sqs.send(new ListQueuesCommand({ NextToken: 'abc' })), 'InvalidParameterValue', /MaxResults is a mandatory parameter/],
  ['a queue URL of another account', () => sqs.send(new SendMessageCommand({ QueueUrl: url.replace('000000000000', '111111111111'), MessageBody: 'x' })), 'QueueDoesNotExist'],
  ['a queue URL with a deeper path', () => sqs.send(new SendMessageCommand({ QueueUrl: `${h.endpoint}/a/b/c`, MessageBody: 'x' })), 'InvalidAddress'],
  ['an empty batch', () => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })), 'EmptyBatchRequest'],
];

for (const [name, call, type, message] of cases) {
  test(`sqs validation: ${name} → ${type}`, async () => {
    await assert.rejects(call(), (e: Error) => {
      assert.equal(e.name, type, `${e.name}: ${e.message}`);
      if (message) assert.match(e.message, message);
      return true;
    });
  });
}

test('sqs validation: MessageNotInflight for a visible message\'s handle', async () => {
  await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }));
  const [m] = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }))).Messages!;
  await assert.rejects(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: m!.ReceiptHandle, VisibilityTimeout: 5 })), (e: Error) => e.name === 'MessageNotInflight');
});
