import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Principal } from '../../src/domain/principal.js';
import { RequestResolver } from '../../src/iam/authorization/request-resolver.js';

const ACCT = '123456789012';
const resolver = new RequestResolver({ partition: 'aws', region: 'us-east-1', accountId: ACCT, paths: { user: () => '/', role: () => '/', group: () => '/' } });
const alice: Principal = { type: 'User', arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT, userId: 'AIDAALICE', userName: 'alice' };
const resolve = (operation: string, input: Record<string, unknown>) =>
  resolver.actions('sqs', operation)!.actions.map((a) => [a.action, [...resolver.resources(a, input, alice)]]);

test('sqs authorization: QueueUrl, QueueName and QueueOwnerAWSAccountId name the queue ARN', () => {
  const arn = `arn:aws:sqs:us-east-1:${ACCT}:orders`;
  assert.deepEqual(resolve('SendMessage', { QueueUrl: `http://127.0.0.1:9000/${ACCT}/orders` }), [['sqs:SendMessage', [arn]]]);
  assert.deepEqual(resolve('SendMessageBatch', { QueueUrl: `https://flint.example/${ACCT}/orders` }), [['sqs:SendMessage', [arn]]]);
  assert.deepEqual(resolve('DeleteMessageBatch', { QueueUrl: `http://h/${ACCT}/orders` }), [['sqs:DeleteMessage', [arn]]]);
  assert.deepEqual(resolve('CreateQueue', { QueueName: 'orders' }), [['sqs:CreateQueue', [arn]]]);
  assert.deepEqual(resolve('GetQueueUrl', { QueueName: 'orders', QueueOwnerAWSAccountId: '999999999999' }), [['sqs:GetQueueUrl', ['arn:aws:sqs:us-east-1:999999999999:orders']]]);
  assert.deepEqual(resolve('ListQueues', {}), [['sqs:ListQueues', ['*']]]);
});
