import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteQueueStore } from '../../src/store/sqlite-queue-store.js';
import { createSqsQueues } from '../../src/queues/sqs-queues.js';

/** The MessageQueues port as event source mappings and destinations use it, on a movable clock. */
let dir: string;
let meta: SqliteMetadataStore;
let store: SqliteQueueStore;
let now = 1_700_000_000_000;
const clock = { now: () => now, monotonic: () => now };
const ARN = (n: string) => `arn:aws:sqs:us-east-1:000000000000:${n}`;

function open() {
  return createSqsQueues({ store, clock, region: 'us-east-1', accountId: '000000000000' });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flint-sqs-port-'));
  meta = new SqliteMetadataStore(join(dir, 'flint.db'));
  store = new SqliteQueueStore(join(dir, 'flint.db'));
});
after(() => {
  store.close();
  meta.close();
  rmSync(dir, { recursive: true, force: true });
});

test('MessageQueues port: exists, visibility timeout, send → receive → change visibility → delete', async () => {
  const { queues, port } = open();
  queues.create('port-q', { VisibilityTimeout: '45' });
  assert.equal(port.exists(ARN('port-q')), true);
  assert.equal(port.exists(ARN('missing')), false);
  assert.equal(port.visibilityTimeoutSeconds(ARN('port-q')), 45);
  const id = await port.send(ARN('port-q'), '{"a":1}', { messageAttributes: { k: { DataType: 'String', StringValue: 'v' } } });
  const [m] = await port.receive(ARN('port-q'), { max: 10, waitMs: 0 });
  assert.equal(m?.messageId, id);
  assert.equal(m?.body, '{"a":1}');
  assert.equal(m?.attributes['ApproximateReceiveCount'], '1');
  assert.equal(m?.attributes['SenderId'], '000000000000');
  assert.equal(m?.messageAttributes['k']?.StringValue, 'v');
  assert.match(m?.md5OfMessageAttributes ?? '', /^[0-9a-f]{32}$/);
  // Invisible for the queue's 45 s; visible again after.
  assert.deepEqual(await port.receive(ARN('port-q'), { max: 10, waitMs: 0 }), []);
  now += 46_000;
  const [again] = await port.receive(ARN('port-q'), { max: 10, waitMs: 0, visibilityTimeoutSeconds: 5 });
  assert.equal(again?.attributes['ApproximateReceiveCount'], '2');
  await port.changeVisibility(ARN('port-q'), again!.receiptHandle, 0);
  const [third] = await port.receive(ARN('port-q'), { max: 1, waitMs: 0 });
  await port.delete(ARN('port-q'), [third!.receiptHandle, 'not-a-handle']);
  now += 100_000;
  assert.deepEqual(await port.receive(ARN('port-q'), { max: 10, waitMs: 0 }), []);
});

test('MessageQueues port: a waiting receive wakes on send and stops on abort', async () => {
  const { queues, port } = open();
  queues.create('wake-q');
  const waiting = port.receive(ARN('wake-q'), { max: 10, waitMs: 20_000 });
  setTimeout(() => port.send(ARN('wake-q'), 'hello'), 20);
  assert.deepEqual((await waiting).map((m) => m.body), ['hello']);
  const ac = new AbortController();
  const aborted = port.receive(ARN('wake-q'), { max: 10, waitMs: 20_000, signal: ac.signal });
  setTimeout(() => ac.abort(), 20);
  assert.deepEqual(await aborted, []);
});

test('restart: queues, messages, receive counts and FIFO deduplication come back from the store', async () => {
  const first = open();
  first.queues.create('keep.fifo', { FifoQueue: 'true' });
  const id = await first.port.send(ARN('keep.fifo'), 'once', { messageGroupId: 'g', messageDeduplicationId: 'd1' });
  const [r] = await first.port.receive(ARN('keep.fifo'), { max: 1, waitMs: 0, visibilityTimeoutSeconds: 0 });
  assert.equal(r?.messageId, id);
  const second = open();
  assert.equal(await second.port.send(ARN('keep.fifo'), 'once again', { messageGroupId: 'g', messageDeduplicationId: 'd1' }), id, 'deduplicated after restart');
  const [back] = await second.port.receive(ARN('keep.fifo'), { max: 10, waitMs: 0 });
  assert.equal(back?.body, 'once');
  assert.equal(back?.attributes['ApproximateReceiveCount'], '2');
  assert.equal(back?.attributes['MessageGroupId'], 'g');
});

test('QueueDeletedRecently: a name is reusable 60 seconds after its queue is deleted', () => {
  const { queues } = open();
  const q = queues.create('reuse');
  queues.delete(q);
  assert.throws(() => queues.create('reuse'), (e: Error) => e.name === 'QueueDeletedRecently');
  now += 61_000;
  assert.equal(queues.create('reuse').name, 'reuse');
});
