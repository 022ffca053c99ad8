import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqsPoller } from '../../src/event-sources/sqs-poller.js';
import type { EventSourceMappingRecord } from '../../src/domain/event-source-mapping.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../../src/ports/invoker.js';
import { InMemoryQueues } from '../helpers/in-memory-queues.js';
import { until } from '../helpers/until.js';

/** The pollers alone, over the port's in-memory double and a scripted invoker. */
const QUEUE = 'arn:aws:sqs:us-east-1:000000000000:q';
const FIFO = 'arn:aws:sqs:us-east-1:000000000000:q.fifo';
const clock = { now: () => Date.now(), monotonic: () => performance.now() };

function mapping(extra: Partial<EventSourceMappingRecord> = {}): EventSourceMappingRecord {
  return {
    UUID: 'u1', EventSourceArn: QUEUE, EventSourceMappingArn: 'x', FunctionArn: 'f', BatchSize: 10, MaximumBatchingWindowInSeconds: 0,
    FunctionResponseTypes: [], LastModified: 0, State: 'Enabled', StateTransitionReason: 'USER_INITIATED',
    flint: { kind: 'sqs', functionName: 'f', enabled: true }, ...extra,
  };
}

class ScriptedInvoker implements Invoker {
  running = 0;
  maxRunning = 0;
  batches: Array<Array<{ messageId: string; body: string; attributes: Record<string, string> }>> = [];
  release: (() => void) | undefined;
  constructor(private readonly respond: (records: Array<{ messageId: string; body: string }>) => Promise<Partial<InvokeResult>>) {}
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const records = JSON.parse(req.payload.toString()).Records;
    this.batches.push(records);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      const r = await this.respond(records);
      return { requestId: 'r', statusCode: 200, payload: Buffer.from('null'), executedVersion: '$LATEST', functionArn: 'f', ...r };
    } finally {
      this.running--;
    }
  }
}

const deps = (queues: InMemoryQueues, invoker: Invoker, tuning = {}) => ({
  queues, invoker, clock, region: 'us-east-1', reservedConcurrency: () => undefined, result: () => {}, log: () => {},
  tuning: { waitMs: 30, throttleBackoffMs: 10, scaleUpPerMinute: Infinity, ...tuning },
});

test('pollers scale up with the backlog, never past MaximumConcurrency, and back down to one when idle', async () => {
  const queues = new InMemoryQueues();
  queues.create(QUEUE);
  for (let i = 0; i < 300; i++) queues.send(QUEUE, `m${i}`);
  let gate!: () => void;
  const opened = new Promise<void>((r) => (gate = r));
  const invoker = new ScriptedInvoker(async () => {
    await opened;
    return {};
  });
  const poller = new SqsPoller(mapping({ ScalingConfig: { MaximumConcurrency: 4 } }), deps(queues, invoker, { initialPollers: 2 }));
  poller.start();
  // Full batches are backlog: the pollers grow from 2 to the cap of 4 and no further.
  await until(() => invoker.running === 4);
  assert.equal(poller.pollers, 4);
  gate();
  await until(() => queues.size(QUEUE) === 0);
  assert.equal(invoker.maxRunning, 4);
  // Idle long polls retire pollers down to one.
  await until(() => poller.pollers === 1);
  await poller.stop();
  assert.equal(invoker.batches.flat().length, 300);
});

test("the function's reserved concurrency caps the pollers too", async () => {
  const queues = new InMemoryQueues();
  queues.create(QUEUE);
  for (let i = 0; i < 100; i++) queues.send(QUEUE, `m${i}`);
  const invoker = new ScriptedInvoker(async () => { await new Promise((r) => setTimeout(r, 5)); return {}; });
  const poller = new SqsPoller(mapping(), { ...deps(queues, invoker), reservedConcurrency: () => 2 });
  poller.start();
  await until(() => queues.size(QUEUE) === 0);
  await poller.stop();
  assert.ok(invoker.maxRunning <= 2, `at most 2 concurrent invocations, saw ${invoker.maxRunning}`);
});

test('a throttled invocation backs off and retries the same batch; nothing is deleted before success', async () => {
  const queues = new InMemoryQueues();
  queues.create(QUEUE);
  queues.send(QUEUE, 'only');
  let calls = 0;
  const invoker: Invoker = {
    async invoke() {
      calls++;
      if (calls < 3) throw Object.assign(new Error('Rate Exceeded.'), { type: 'TooManyRequestsException' });
      assert.equal(queues.size(QUEUE), 1, 'still in the queue while the batch runs');
      return { requestId: 'r', statusCode: 200, payload: Buffer.from('{}'), executedVersion: '$LATEST', functionArn: 'f' };
    },
  };
  const poller = new SqsPoller(mapping(), deps(queues, invoker, { initialPollers: 1 }));
  poller.start();
  await until(() => queues.size(QUEUE) === 0);
  await poller.stop();
  assert.equal(calls, 3);
});

test('FIFO: order within each message group is kept; after a reported failure the rest of its group stays too', async () => {
  const queues = new InMemoryQueues();
  queues.create(FIFO, { visibility: 1 });
  for (let i = 0; i < 6; i++) queues.send(FIFO, `a${i}`, { messageGroupId: 'A' });
  for (let i = 0; i < 6; i++) queues.send(FIFO, `b${i}`, { messageGroupId: 'B' });
  let failedOnce = false;
  const invoker = new ScriptedInvoker(async (records) => {
    // The first time a1 arrives, report it failed (a2 after it in the same batch must stay as well).
    const a1 = records.find((r) => r.body === 'a1');
    if (a1 && !failedOnce) {
      assert.ok(records.some((r) => r.body === 'a2'), 'a1 and a2 share a batch');
      failedOnce = true;
      return { payload: Buffer.from(JSON.stringify({ batchItemFailures: [{ itemIdentifier: a1.messageId }] })) };
    }
    return { payload: Buffer.from('{}') };
  });
  const poller = new SqsPoller(mapping({ EventSourceArn: FIFO, BatchSize: 3, FunctionResponseTypes: ['ReportBatchItemFailures'] }), deps(queues, invoker, { initialPollers: 3 }));
  poller.start();
  await until(() => queues.size(FIFO) === 0, 15_000);
  await poller.stop();
  // Each group's last (successful) deliveries are in order: a1 and a2 are delivered again before a3.
  const seen = invoker.batches.flat().map((r) => r.body);
  const firstDone = (b: string) => seen.lastIndexOf(b);
  for (const g of ['a', 'b']) {
    const order = [0, 1, 2, 3, 4, 5].map((i) => firstDone(`${g}${i}`));
    assert.deepEqual([...order].sort((x, y) => x - y), order, `group ${g} processed in order`);
  }
  assert.deepEqual(['a0', 'a1', 'a2', 'a3'].map((b) => seen.filter((x) => x === b).length), [1, 2, 2, 1], 'a1 and a2 after it came back; a0 and a3 ran once');
});

test('batching window: receives repeat until BatchSize (above the 10 a receive returns) within MaximumBatchingWindowInSeconds', async () => {
  const queues = new InMemoryQueues();
  queues.create(QUEUE);
  for (let i = 0; i < 25; i++) queues.send(QUEUE, `m${i}`);
  const invoker = new ScriptedInvoker(async () => ({}));
  const poller = new SqsPoller(mapping({ BatchSize: 25, MaximumBatchingWindowInSeconds: 2 }), deps(queues, invoker, { initialPollers: 1 }));
  poller.start();
  await until(() => queues.size(QUEUE) === 0);
  await poller.stop();
  assert.deepEqual(invoker.batches.map((b) => b.length), [25]);
});

test('FilterCriteria in the poller: rejected messages are deleted without an invocation', async () => {
  const queues = new InMemoryQueues();
  queues.create(QUEUE);
  queues.send(QUEUE, '{"kind":"skip"}');
  queues.send(QUEUE, 'plain text');
  const invoker = new ScriptedInvoker(async () => ({}));
  const poller = new SqsPoller(mapping({ FilterCriteria: { Filters: [{ Pattern: '{"body":{"kind":["keep"]}}' }] } }), deps(queues, invoker, { initialPollers: 1 }));
  poller.start();
  await until(() => queues.size(QUEUE) === 0);
  await poller.stop();
  assert.equal(invoker.batches.length, 0);
});
