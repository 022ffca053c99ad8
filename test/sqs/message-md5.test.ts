import { test } from 'node:test';
import assert from 'node:assert/strict';
import { md5OfAttributes } from '../../src/queues/message-md5.js';

// Known answers: the SQS developer guide's example (SellerName) and a value an SDK-based
// implementation checks against real SQS (ordinal + category).
test('MD5OfMessageAttributes: SQS known answers', () => {
  assert.equal(md5OfAttributes({ SellerName: { DataType: 'String', StringValue: 'Example Store' } }), 'cd28f3b68aeee4b2eac9c66f2f694b58');
  assert.equal(md5OfAttributes({
    ordinal: { DataType: 'Number', StringValue: '1' },
    category: { DataType: 'String', StringValue: 'test' },
  }), 'd21ae90c49061e927f57df5f5d72be1f');
});
