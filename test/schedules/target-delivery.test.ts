import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetDelivery } from '../../src/schedules/target-delivery.js';
import { AwsError } from '../../src/domain/errors.js';
import type { MessageQueues } from '../../src/ports/message-queues.js';

const FN = 'arn:aws:lambda:us-east-1:000000000000:function:f';
const DLQ = 'arn:aws:sqs:us-east-1:000000000000:dlq';
const SCHEDULE = 'arn:aws:scheduler:us-east-1:000000000000:schedule/default/s';

function rig(opts: { failures: number; queues?: boolean }) {
  const clock = { t: 0, now() { return this.t; }, monotonic: () => 0 };
  const sent: { queue: string; body: string; attrs: Record<string, { StringValue?: string }> }[] = [];
  const queues = {
    exists: (arn: string) => arn === DLQ,
    send: (queue: string, body: string, o?: { messageAttributes?: Record<string, { DataType: string; StringValue?: string }> }) => { sent.push({ queue, body, attrs: o?.messageAttributes ?? {} }); return Promise.resolve('id'); },
  } as unknown as MessageQueues;
  let calls = 0;
  const invoker = {
    enqueue: async () => {
      calls++;
      if (calls <= opts.failures) throw new AwsError('TooManyRequestsException', 'Rate Exceeded.');
      return { requestId: `r${calls}` };
    },
  };
  const log: string[] = [];
  const d = new TargetDelivery({ invoker, clock, log: (l) => log.push(l), ...(opts.queues === false ? {} : { queues }) });
  return { d, clock, sent, log, calls: () => calls };
}

const delivery = (over: Record<string, unknown> = {}) => ({ functionArn: FN, payload: '{"a":1}', denial: () => undefined, maximumRetryAttempts: 3, maximumEventAgeMs: 86_400_000, deadLetterArn: DLQ, sourceArn: SCHEDULE, ...over });

test('a refused hand-off is retried with backoff (1 s, 2 s, 4 s …) and succeeds', async () => {
  const r = rig({ failures: 2 });
  assert.equal(await r.d.deliver(delivery()), undefined);
  assert.equal(r.d.pendingRetries, 1);
  r.clock.t = 999;
  await r.d.retryDue();
  assert.equal(r.calls(), 1, 'not before the first backoff');
  r.clock.t = 1_000;
  await r.d.retryDue();
  assert.equal(r.calls(), 2);
  r.clock.t = 3_000;
  await r.d.retryDue();
  assert.equal(r.calls(), 3);
  assert.equal(r.d.pendingRetries, 0);
  assert.equal(r.d.failures.length, 0);
  assert.equal(r.sent.length, 0);
});

test('retries exhausted → the dead-letter queue gets the payload with Scheduler\'s message attributes', async () => {
  const r = rig({ failures: 100 });
  await r.d.deliver(delivery({ maximumRetryAttempts: 2 }));
  for (let t = 0; t <= 10_000; t += 500) {
    r.clock.t = t;
    await r.d.retryDue();
  }
  assert.equal(r.calls(), 3, 'the first attempt and two retries');
  assert.equal(r.sent.length, 1);
  assert.equal(r.sent[0]!.queue, DLQ);
  assert.equal(r.sent[0]!.body, '{"a":1}');
  const attrs = Object.fromEntries(Object.entries(r.sent[0]!.attrs).map(([k, v]) => [k, v.StringValue]));
  assert.deepEqual(attrs, { ERROR_CODE: 'TooManyRequestsException', ERROR_MESSAGE: 'Rate Exceeded.', EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttemptsExhausted', RETRY_ATTEMPTS: '2', SCHEDULE_ARN: SCHEDULE, TARGET_ARN: FN });
  assert.equal(r.d.failures.at(-1)!.deadLettered, true);
});

test('event age exceeded → dead-lettered with MaximumEventAgeExceeded', async () => {
  const r = rig({ failures: 100 });
  await r.d.deliver(delivery({ maximumRetryAttempts: 185, maximumEventAgeMs: 60_000 }));
  for (let t = 0; t <= 200_000; t += 1_000) {
    r.clock.t = t;
    await r.d.retryDue();
  }
  assert.equal(r.sent.length, 1);
  assert.equal(r.sent[0]!.attrs['EXHAUSTED_RETRY_CONDITION']!.StringValue, 'MaximumEventAgeExceeded');
  assert.equal(r.d.pendingRetries, 0);
});

test('a permission denial is not retried; without a queue service the dead-lettered event is logged as lost', async () => {
  const r = rig({ failures: 0, queues: false });
  await r.d.deliver(delivery({ denial: () => 'no permission' }));
  assert.equal(r.calls(), 0);
  assert.equal(r.d.pendingRetries, 0);
  assert.deepEqual(r.d.failures.map((f) => [f.code, f.message, f.deadLettered]), [['AccessDeniedException', 'no permission', false]]);
  assert.ok(r.log.some((l) => l.includes('dead-letter queue') && l.includes('no queue service')));
});

test('a dead-letter ARN naming no queue: the event is logged as lost', async () => {
  const r = rig({ failures: 100 });
  await r.d.deliver(delivery({ maximumRetryAttempts: 0, deadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:missing' }));
  assert.equal(r.sent.length, 0);
  assert.ok(r.log.some((l) => l.includes('no such queue')));
});
