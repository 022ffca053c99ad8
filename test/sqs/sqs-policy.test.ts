import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { IAMClient, CreateUserCommand, CreateAccessKeyCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, SetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

let h: Harness;
let iam: IAMClient;
const clients: SQSClient[] = [];

before(async () => {
  h = await startHarness();
  iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
after(async () => {
  for (const c of clients) c.destroy();
  iam.destroy();
  await h.stop();
});

async function userClient(name: string, policy?: object): Promise<SQSClient> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  if (policy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: 'p', PolicyDocument: JSON.stringify(policy) }));
  const k = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  const c = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! }, maxAttempts: 1 });
  clients.push(c);
  return c;
}

test('queue policy: a user without identity permissions may send when the queue policy allows them; others are denied', async () => {
  const root = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  clients.push(root);
  const { QueueUrl } = await root.send(new CreateQueueCommand({ QueueName: 'shared' }));
  const producer = await userClient('producer');
  const stranger = await userClient('stranger');
  const reader = await userClient('reader', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: 'arn:aws:sqs:us-east-1:000000000000:shared' }] });

  // Without a queue policy and without identity permissions: denied, with AWS's message naming the queue.
  await assert.rejects(producer.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })), (e: Error) =>
    e.name === 'AccessDeniedException' || e.name === 'AccessDenied' ? /sqs:SendMessage/.test(e.message) && /arn:aws:sqs:us-east-1:000000000000:shared/.test(e.message) : false);

  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:user/producer' }, Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:000000000000:shared' }] };
  await root.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy: JSON.stringify(policy) } }));
  const sent = await producer.send(new SendMessageCommand({ QueueUrl, MessageBody: 'allowed by the queue policy' }));
  assert.ok(sent.MessageId);
  // SendMessageBatch is authorized as sqs:SendMessage.
  const batch = await producer.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'a', MessageBody: 'b' }] }));
  assert.equal(batch.Successful?.length, 1);
  await assert.rejects(stranger.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })), (e: Error) => /AccessDenied/.test(e.name));
  // The policy grants only SendMessage: the producer cannot receive; the reader's identity policy lets it.
  await assert.rejects(producer.send(new ReceiveMessageCommand({ QueueUrl })), (e: Error) => /AccessDenied/.test(e.name));
  const got = await reader.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['SenderId'] }));
  assert.equal(got.Messages?.length, 2);
  assert.match(got.Messages![0]!.Attributes!.SenderId!, /^AIDA/);
});
