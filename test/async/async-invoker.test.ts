import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncInvoker } from '../../src/invoke/async/async-invoker.js';
import { AwsError } from '../../src/domain/errors.js';
import type { EventQueue } from '../../src/ports/event-queue.js';
import type { InvocationTargets } from '../../src/invoke/invoke-service.js';

/** The Event half of Invoke when its queue fails: the failure reaches the caller, never a 202. */
function invokerOver(enqueue: EventQueue['enqueue']): AsyncInvoker {
  const targets = {
    resolveInvocationTarget: () => ({ record: { config: { FunctionName: 'f', TracingConfig: { Mode: 'PassThrough' } } }, qualifier: undefined }),
  } as unknown as InvocationTargets;
  return new AsyncInvoker({ queue: { enqueue } as unknown as EventQueue, targets, clock: { now: () => 0, monotonic: () => 0 }, uuid: () => 'id-1' });
}

test('async invoker: a queue that fails (a database that does not answer) fails the enqueue with that error — no 202; the front door answers it as its internal failure (500, cause logged, never sent)', async () => {
  const cause = new Error('Query read timeout');
  const invoker = invokerOver(() => Promise.reject(cause));
  await assert.rejects(invoker.enqueue({ functionName: 'f', payload: Buffer.from('{}') }), (err) => err === cause);
});

test('async invoker: the queue\'s own AWS errors pass unchanged; a commit is a request id', async () => {
  const own = new AwsError('TooManyRequestsException', 'slow down', { status: 429 });
  await assert.rejects(invokerOver(() => Promise.reject(own)).enqueue({ functionName: 'f', payload: Buffer.from('{}') }), (err) => err === own);
  assert.deepEqual(await invokerOver(async (e) => ({ requestId: e.requestId })).enqueue({ functionName: 'f', payload: Buffer.from('{}') }), { requestId: 'id-1' });
});
