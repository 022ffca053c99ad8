import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { TooManyRequestsException, ResourceNotFoundException, InvalidRequestContentException } from '../../src/domain/errors.js';
import type { LeasedEvent } from '../../src/ports/event-queue.js';
import { arns, createFixture, ok, unhandled, type Fixture } from './helpers/async-fixture.js';

let fx: Fixture;
beforeEach(() => { fx = createFixture({ manualClock: true }); });
afterEach(() => { fx.close(); });

const MINUTE = 60_000;

async function leaseOne(): Promise<LeasedEvent> {
  const leases = await fx.queue.lease({ max: 1, visibilityMs: 30_000 });
  assert.equal(leases.length, 1, 'expected one event to be due');
  return leases[0]!;
}

async function dueIds(): Promise<string[]> {
  const leases = await fx.queue.lease({ max: 100, visibilityMs: 1 });
  return leases.map((l) => `${l.event.functionName}:${l.event.origin}`);
}

test('async handler: a failing event runs 3 times (1 min, then 2 min apart) and its RetriesExhausted record goes to the OnFailure function', async () => {
  fx.addFunction('fails');
  fx.addFunction('on-failure');
  fx.putEventInvokeConfig('fails', '$LATEST', { OnFailure: arns.function('on-failure') });
  fx.invoker.behaviours.set('fails', (req) => unhandled(req));
  const { handler, asyncInvoker } = fx.stepper();
  const t0 = fx.clock.now();
  const { requestId } = await asyncInvoker.enqueue({ functionName: 'fails', payload: Buffer.from('{"message":"m-1"}') });

  assert.equal(await handler.handle(await leaseOne()), 'retried');
  fx.advance(MINUTE - 1);
  assert.deepEqual(await fx.queue.lease({ max: 1, visibilityMs: 1 }), [], 'not before one minute');
  fx.advance(1);
  assert.equal(await handler.handle(await leaseOne()), 'retried');
  fx.advance(2 * MINUTE);
  assert.equal(await handler.handle(await leaseOne()), 'dropped');

  const calls = fx.invoker.callsTo('fails');
  assert.equal(calls.length, 3);
  for (const c of calls) {
    assert.equal(c.requestId, requestId, 'every attempt runs with the request id of the 202');
    assert.equal(c.async, true);
  }
  const dest = await leaseOne();
  assert.equal(dest.event.functionName, 'on-failure');
  assert.equal(dest.event.qualifier, '$LATEST');
  assert.notEqual(dest.event.requestId, requestId);
  const record = JSON.parse(dest.event.payload.toString());
  assert.deepEqual(record, {
    version: '1.0',
    timestamp: new Date(t0 + 3 * MINUTE).toISOString(),
    requestContext: {
      requestId,
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fails:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    requestPayload: { message: 'm-1' },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorMessage: 'intentional failure', errorType: 'Error', requestId, stackTrace: [] },
  });
  assert.deepEqual(Object.keys(record), ['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
});

test('async handler: a success sends the Success record (no functionError) to the OnSuccess function', async () => {
  fx.addFunction('works', { versions: ['1'], aliases: { live: '1' } });
  fx.addFunction('on-success');
  fx.putEventInvokeConfig('works', 'live', { OnSuccess: arns.function('on-success') });
  fx.invoker.behaviours.set('works', (req) => ok({ ...req, qualifier: '1' }, '{"hello":"world"}'));
  const { handler, asyncInvoker } = fx.stepper();
  const { requestId } = await asyncInvoker.enqueue({ functionName: 'works', qualifier: 'live', payload: Buffer.from('{}') });
  assert.equal(await handler.handle(await leaseOne()), 'succeeded');
  const dest = await leaseOne();
  assert.equal(dest.event.functionName, 'on-success');
  const record = JSON.parse(dest.event.payload.toString());
  assert.deepEqual(record.requestContext, { requestId, functionArn: arns.function('works', 'live'), condition: 'Success', approximateInvokeCount: 1 });
  assert.deepEqual(record.requestPayload, {});
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '1' });
  assert.deepEqual(record.responsePayload, { hello: 'world' });
});

test('async handler: the async config of the qualifier that was invoked applies (unqualified means $LATEST)', async () => {
  fx.addFunction('fn', { versions: ['1'] });
  fx.addFunction('dest');
  fx.putEventInvokeConfig('fn', '1', { OnSuccess: arns.function('dest') });
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'fn', payload: Buffer.from('{}') });
  assert.equal(await handler.handle(await leaseOne()), 'succeeded');
  assert.deepEqual(await dueIds(), [], 'the config of version 1 does not apply to $LATEST');
  await asyncInvoker.enqueue({ functionName: 'fn:1', payload: Buffer.from('{}') });
  assert.equal(await handler.handle(await leaseOne()), 'succeeded');
  assert.deepEqual(await dueIds(), ['dest:destination']);
});

test('async handler: MaximumRetryAttempts 0 fails the event after its first error', async () => {
  fx.addFunction('fails');
  fx.addFunction('on-failure');
  fx.putEventInvokeConfig('fails', '$LATEST', { MaximumRetryAttempts: 0, OnFailure: arns.function('on-failure') });
  fx.invoker.behaviours.set('fails', (req) => unhandled(req));
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'fails', payload: Buffer.from('{"raise_error":1}') });
  assert.equal(await handler.handle(await leaseOne()), 'dropped');
  const record = JSON.parse((await leaseOne()).event.payload.toString());
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.deepEqual(record.requestPayload, { raise_error: 1 });
});

test('async handler: with MaximumEventAgeInSeconds 60 the one-minute retry finds the event expired (EventAgeExceeded, count 1)', async () => {
  fx.addFunction('fails');
  fx.addFunction('on-failure');
  fx.putEventInvokeConfig('fails', '$LATEST', { MaximumEventAgeInSeconds: 60, OnFailure: arns.function('on-failure') });
  fx.invoker.behaviours.set('fails', (req) => unhandled(req));
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'fails', payload: Buffer.from('{}') });
  assert.equal(await handler.handle(await leaseOne()), 'retried');
  fx.advance(MINUTE);
  assert.equal(await handler.handle(await leaseOne()), 'dropped');
  assert.equal(fx.invoker.callsTo('fails').length, 1, 'the expired event is not run again');
  const record = JSON.parse((await leaseOne()).event.payload.toString());
  assert.equal(record.requestContext.condition, 'EventAgeExceeded');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  // The last attempt's response is kept in the record, as AWS does.
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  assert.equal(record.responsePayload.errorMessage, 'intentional failure');
});

test('async handler: throttles are retried with growing delays and do not use up retry attempts', async () => {
  fx.addFunction('busy');
  fx.putEventInvokeConfig('busy', '$LATEST', { MaximumRetryAttempts: 0 });
  let throttles = 4;
  fx.invoker.behaviours.set('busy', (req) => {
    if (throttles-- > 0) throw new TooManyRequestsException('Rate Exceeded.', { fields: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' } });
    return ok(req, '"done"');
  });
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'busy', payload: Buffer.from('{}') });
  for (const delay of [1_000, 2_000, 4_000, 8_000]) {
    assert.equal(await handler.handle(await leaseOne()), 'retried');
    fx.advance(delay - 1);
    assert.deepEqual(await fx.queue.lease({ max: 1, visibilityMs: 1 }), [], `not before ${delay} ms`);
    fx.advance(1);
  }
  const last = await leaseOne();
  assert.equal(last.event.attempts, 0, 'throttles are not attempts');
  assert.equal(last.event.systemRetries, 4);
  assert.equal(await handler.handle(last), 'succeeded');
  assert.ok(fx.logs.some((l) => l.level === 'debug' && /TooManyRequestsException.*system retry 1/.test(l.message)));
});

test('async handler: an event throttled until its max age is dropped with EventAgeExceeded and 0 invocations', async () => {
  fx.addFunction('busy');
  fx.addFunction('on-failure');
  fx.putEventInvokeConfig('busy', '$LATEST', { MaximumEventAgeInSeconds: 60, OnFailure: arns.function('on-failure') });
  fx.invoker.behaviours.set('busy', () => { throw new TooManyRequestsException('Rate Exceeded.'); });
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'busy', payload: Buffer.from('{"k":1}') });
  let outcome;
  for (let i = 0; i < 20; i++) {
    outcome = await handler.handle(await leaseOne());
    if (outcome === 'dropped') break;
    fx.advance(Math.max(0, ((await fx.queue.nextVisibleAt()) ?? 0) - fx.clock.now()));
  }
  assert.equal(outcome, 'dropped');
  const record = JSON.parse((await leaseOne()).event.payload.toString());
  assert.equal(record.requestContext.condition, 'EventAgeExceeded');
  assert.equal(record.requestContext.approximateInvokeCount, 0);
  assert.deepEqual(record.responseContext, { statusCode: 429 });
  assert.deepEqual(record.responsePayload, { errorType: 'TooManyRequestsException', errorMessage: 'Rate Exceeded.' });
});

test('async handler: a failed event goes to the function named by DeadLetterConfig with its original payload', async () => {
  fx.addFunction('fails', { deadLetterArn: arns.function('dlq-fn') });
  fx.addFunction('dlq-fn');
  fx.putEventInvokeConfig('fails', '$LATEST', { MaximumRetryAttempts: 0 });
  fx.invoker.behaviours.set('fails', (req) => unhandled(req));
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'fails', payload: Buffer.from('{"raise_error":1}') });
  assert.equal(await handler.handle(await leaseOne()), 'dropped');
  const dlq = await leaseOne();
  assert.equal(dlq.event.functionName, 'dlq-fn');
  assert.equal(dlq.event.origin, 'dead-letter');
  assert.equal(dlq.event.payload.toString(), '{"raise_error":1}');
});

test('async handler: destinations Flint cannot reach (SQS, missing function) are logged as errors and the event is finished', async () => {
  fx.addFunction('fails', { deadLetterArn: 'arn:aws:sns:us-east-1:000000000000:topic' });
  fx.putEventInvokeConfig('fails', '$LATEST', { MaximumRetryAttempts: 0, OnFailure: 'arn:aws:sqs:us-east-1:000000000000:queue', OnSuccess: arns.function('gone') });
  fx.invoker.behaviours.set('fails', (req) => unhandled(req));
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'fails', payload: Buffer.from('{}') });
  assert.equal(await handler.handle(await leaseOne()), 'dropped');
  assert.deepEqual(await dueIds(), []);
  const errors = fx.logs.filter((l) => l.level === 'error').map((l) => l.message);
  assert.ok(errors.some((m) => m.includes('arn:aws:sqs:us-east-1:000000000000:queue') && m.includes('not to sqs')), errors.join('\n'));
  assert.ok(errors.some((m) => m.includes('dead-letter target arn:aws:sns') && m.includes('not to sns')), errors.join('\n'));
  fx.invoker.behaviours.set('fails', (req) => ok(req, '{}'));
  await asyncInvoker.enqueue({ functionName: 'fails', payload: Buffer.from('{}') });
  assert.equal(await handler.handle(await leaseOne()), 'succeeded');
  assert.ok(fx.logs.some((l) => l.level === 'error' && l.message.includes('function:gone') && l.message.includes('does not exist')));
});

test('async handler: an event whose function was deleted meanwhile is discarded without destinations', async () => {
  fx.addFunction('doomed');
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'doomed', payload: Buffer.from('{}') });
  fx.invoker.behaviours.set('doomed', () => { throw new ResourceNotFoundException('Function not found: ' + arns.function('doomed')); });
  assert.equal(await handler.handle(await leaseOne()), 'discarded');
  assert.deepEqual(await fx.queue.stats(), { ready: 0, delayed: 0, inFlight: 0 });
  assert.ok(fx.logs.some((l) => l.level === 'warn' && l.message.includes('no longer exists')));
});

test('async handler: a request the function can never accept fails at once (RetriesExhausted, no retries)', async () => {
  fx.addFunction('strict');
  fx.addFunction('on-failure');
  fx.putEventInvokeConfig('strict', '$LATEST', { OnFailure: arns.function('on-failure') });
  fx.invoker.behaviours.set('strict', () => { throw new InvalidRequestContentException('Could not parse request body into json'); });
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'strict', payload: Buffer.from('{}') });
  assert.equal(await handler.handle(await leaseOne()), 'dropped');
  const record = JSON.parse((await leaseOne()).event.payload.toString());
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, 0);
  assert.deepEqual(record.responseContext, { statusCode: 400 });
});

test('async handler: an ack after the lease was lost changes nothing and the event is delivered again', async () => {
  fx.addFunction('slow');
  const { handler, asyncInvoker } = fx.stepper();
  await asyncInvoker.enqueue({ functionName: 'slow', payload: Buffer.from('{}') });
  const lease = await leaseOne();
  fx.advance(30_000); // the lease expired and another poller takes the event
  const stolen = await leaseOne();
  assert.equal(await handler.handle(lease), 'lease-lost');
  assert.equal(stolen.event.deliveries, 2);
  assert.equal(await handler.handle(stolen), 'succeeded');
});

test('async enqueue: missing functions, versions and aliases are ResourceNotFoundException with Invoke\'s texts; oversize payloads are rejected', async () => {
  fx.addFunction('exists', { versions: ['1'] });
  const { asyncInvoker } = fx.stepper();
  const cases: Array<[Parameters<typeof asyncInvoker.enqueue>[0], string, string]> = [
    [{ functionName: 'nope', payload: Buffer.from('{}') }, 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope:$LATEST'],
    [{ functionName: 'exists', qualifier: '7', payload: Buffer.from('{}') }, 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:exists:7'],
    [{ functionName: 'exists:nosuch', payload: Buffer.from('{}') }, 'ResourceNotFoundException', 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:exists:nosuch'],
    [{ functionName: 'exists', payload: Buffer.alloc(1_048_577, 0x20) }, 'RequestTooLargeException', 'Request must be smaller than 1048576 bytes for the InvokeFunction operation'],
  ];
  for (const [req, name, message] of cases) {
    await assert.rejects(asyncInvoker.enqueue(req), (err: Error) => {
      assert.equal(err.name, name);
      assert.equal(err.message, message);
      return true;
    });
  }
  // Exactly 1 MB is accepted.
  const { requestId } = await asyncInvoker.enqueue({ functionName: 'arn:aws:lambda:us-east-1:000000000000:function:exists:1', payload: Buffer.alloc(1_048_576, 0x20) });
  const l = await leaseOne();
  assert.equal(l.event.requestId, requestId);
  assert.equal(l.event.qualifier, '1');
  assert.match(requestId, /^[0-9a-f-]{36}$/);
});

test('async handler: onInvoked is told once, when the function has returned and before its outcome is written (success and retry alike)', async () => {
  fx.addFunction('ok');
  fx.addFunction('fails');
  fx.invoker.behaviours.set('ok', (req) => ok(req, req.payload));
  fx.invoker.behaviours.set('fails', (req) => unhandled(req));
  const { handler, asyncInvoker } = fx.stepper();
  for (const [fn, outcome] of [['ok', 'succeeded'], ['fails', 'retried']] as const) {
    await asyncInvoker.enqueue({ functionName: fn, payload: Buffer.from('{}') });
    const seen: Array<{ calls: number; queue: Promise<{ inFlight: number }> }> = [];
    const lease = await leaseOne();
    // The queue is read as the callback runs (the SQLite queue counts on the call).
    const settled = await handler.handle(lease, () => { seen.push({ calls: fx.invoker.callsTo(fn).length, queue: fx.queue.stats() }); });
    assert.equal(settled, outcome);
    assert.equal(seen.length, 1, `${fn}: told once`);
    assert.equal(seen[0]!.calls, 1, `${fn}: after the function ran`);
    assert.equal((await seen[0]!.queue).inFlight, 1, `${fn}: before the outcome was written`);
    assert.equal((await fx.queue.stats()).inFlight, 0);
  }
});
