import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchItemFailures, sqsEventRecord } from '../../src/event-sources/sqs-event.js';

test('SQS event record: the member order and shape recorded from AWS (md5OfMessageAttributes null without attributes)', () => {
  const r = sqsEventRecord({
    messageId: 'm1', receiptHandle: 'h1', body: '{"foo":"bar"}', md5OfBody: 'abc',
    attributes: { SenderId: 'S', ApproximateFirstReceiveTimestamp: '3', SentTimestamp: '2', ApproximateReceiveCount: '1' },
    messageAttributes: {},
  }, 'arn:aws:sqs:us-east-1:000000000000:q', 'us-east-1');
  assert.deepEqual(Object.keys(r), ['messageId', 'receiptHandle', 'body', 'attributes', 'messageAttributes', 'md5OfMessageAttributes', 'md5OfBody', 'eventSource', 'eventSourceARN', 'awsRegion']);
  assert.deepEqual(Object.keys(r.attributes), ['ApproximateReceiveCount', 'SentTimestamp', 'SenderId', 'ApproximateFirstReceiveTimestamp']);
  assert.equal(r.md5OfMessageAttributes, null);
  assert.equal(r.eventSource, 'aws:sqs');
});

test('SQS event record: message attributes as Lambda passes them (stringValue, list members, dataType; binary as base64)', () => {
  const r = sqsEventRecord({
    messageId: 'm1', receiptHandle: 'h1', body: 'x', md5OfBody: 'abc', md5OfMessageAttributes: 'd25a',
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: { Author: { DataType: 'String', StringValue: 'John' }, Blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') } },
  }, 'arn:aws:sqs:us-east-1:000000000000:q', 'us-east-1');
  assert.deepEqual(r.messageAttributes['Author'], { stringValue: 'John', stringListValues: [], binaryListValues: [], dataType: 'String' });
  assert.deepEqual(r.messageAttributes['Blob'], { binaryValue: 'aGk=', stringListValues: [], binaryListValues: [], dataType: 'Binary' });
  assert.equal(r.md5OfMessageAttributes, 'd25a');
});

test('ReportBatchItemFailures: empty answers succeed, listed ids fail, malformed answers fail the whole batch', () => {
  const ids = new Set(['a', 'b']);
  for (const ok of ['', 'null', '{}', '{"batchItemFailures": []}', '{"batchItemFailures": null}']) assert.deepEqual(batchItemFailures(Buffer.from(ok), ids), new Set(), ok);
  assert.deepEqual(batchItemFailures(Buffer.from('{"batchItemFailures":[{"itemIdentifier":"b"}]}'), ids), new Set(['b']));
  for (const bad of ['not json', '"x"', '[1]', '{"batchItemFailures": {}}', '{"batchItemFailures":[{"itemIdentifier":""}]}', '{"batchItemFailures":[{"itemIdentifier":"zzz"}]}', '{"batchItemFailures":[{}]}']) {
    assert.equal(batchItemFailures(Buffer.from(bad), ids), 'all', bad);
  }
});
