import { test } from 'node:test';
import assert from 'node:assert/strict';
import { invokeHandlers, type EventInvoker } from '../../src/api/handlers/invoke-handlers.js';
import type { InvokeService } from '../../src/invoke/invoke-service.js';
import type { RequestContext } from '../../src/api/api-server.js';

const ctx = { requestId: 'api-request-id' } as RequestContext;

function setup() {
  const queued: Array<Parameters<EventInvoker['enqueue']>[0]> = [];
  const events: EventInvoker = { enqueue: async (req) => { queued.push(req); return { requestId: 'queued-id' }; } };
  const invoked: unknown[] = [];
  const invoke = {
    invoke: async (req: unknown) => { invoked.push(req); return { requestId: 'x', statusCode: 200, payload: Buffer.from('"ok"'), executedVersion: '$LATEST', functionArn: 'arn' }; },
    dryRun: () => undefined,
  } as unknown as InvokeService;
  return { handlers: invokeHandlers({ invoke, events }), queued, invoked };
}

test('invoke handler: Event hands the request to the async queue and answers 202 with an empty body', async () => {
  const { handlers, queued, invoked } = setup();
  const out = await handlers.Invoke!({ FunctionName: 'fn', Qualifier: 'live', InvocationType: 'Event', ClientContext: 'e30=', LogType: 'Tail', Payload: Buffer.from('{"a":1}') }, ctx);
  assert.deepEqual(out, { StatusCode: 202, Payload: Buffer.alloc(0) });
  // The event keeps the API request's id, so x-amzn-RequestId names the invocation.
  assert.deepEqual(queued, [{ functionName: 'fn', qualifier: 'live', payload: Buffer.from('{"a":1}'), clientContext: 'e30=', requestId: 'api-request-id' }]);
  assert.equal(invoked.length, 0);
});

test('invoke handler: an Event payload that is not JSON is refused before it is queued', async () => {
  const { handlers, queued } = setup();
  await assert.rejects(Promise.resolve(handlers.Invoke!({ FunctionName: 'fn', InvocationType: 'Event', Payload: Buffer.from('{') }, ctx)), (err: any) => err.name === 'InvalidRequestContentException');
  assert.equal(queued.length, 0);
});

test('invoke handler: the legacy InvokeAsync queues the event and answers Status 202', async () => {
  const { handlers, queued } = setup();
  assert.deepEqual(await handlers.InvokeAsync!({ FunctionName: 'fn', InvokeArgs: Buffer.from('{}') }, ctx), { Status: 202 });
  assert.deepEqual(queued, [{ functionName: 'fn', payload: Buffer.from('{}'), requestId: 'api-request-id' }]);
});

test('invoke handler: RequestResponse runs with the API request id and maps the result to Invoke output members', async () => {
  const { handlers, invoked } = setup();
  const out = await handlers.Invoke!({ FunctionName: 'fn', LogType: 'Tail', Payload: Buffer.from('[]') }, ctx);
  assert.deepEqual(out, { StatusCode: 200, Payload: Buffer.from('"ok"'), ExecutedVersion: '$LATEST' });
  assert.deepEqual(invoked, [{ functionName: 'fn', payload: Buffer.from('[]'), logType: 'Tail', requestId: 'api-request-id' }]);
});

test('invoke handler: without an async queue wired, Event is UnsupportedOperationException', async () => {
  const handlers = invokeHandlers({ invoke: {} as InvokeService });
  await assert.rejects(Promise.resolve(handlers.Invoke!({ FunctionName: 'fn', InvocationType: 'Event' }, ctx)), (err: any) => err.name === 'UnsupportedOperationException');
});
