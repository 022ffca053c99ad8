import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand, InvokeWithResponseStreamCommand, type InvokeWithResponseStreamResponseEvent } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { deployStreaming, Gate } from './stream-fixture.js';

/** InvokeWithResponseStream read by the AWS SDK v3 as its event stream arrives (process driver). */
let h: Harness;
let gate: Gate;

before(async () => {
  h = await startHarness({ streamLimits: { maxBytes: 1024 * 1024 } });
  gate = await new Gate().listen();
  await deployStreaming(h, 'streamer', { Timeout: 2 });
});
after(async () => {
  await gate.close();
  await h.stop();
});

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

async function stream(payload: unknown, extra: Record<string, unknown> = {}) {
  return h.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'streamer', Payload: Buffer.from(JSON.stringify(payload)), ...extra }));
}

async function drain(events: AsyncIterable<InvokeWithResponseStreamResponseEvent>) {
  let body = '';
  let complete: InvokeWithResponseStreamResponseEvent['InvokeComplete'];
  let chunks = 0;
  for await (const e of events) {
    if (e.PayloadChunk) {
      chunks++;
      body += text(e.PayloadChunk.Payload);
    }
    if (e.InvokeComplete) complete = e.InvokeComplete;
  }
  return { body, complete, chunks };
}

test('InvokeWithResponseStream: the first chunk reaches the SDK while the function still waits', async () => {
  const r = await stream({ mode: 'gated', gate: gate.url });
  assert.equal(r.StatusCode, 200);
  assert.equal(r.ExecutedVersion, '$LATEST');
  assert.equal(r.ResponseStreamContentType, 'application/vnd.amazon.eventstream');
  const it = r.EventStream![Symbol.asyncIterator]();
  const first = await it.next();
  // The function is blocked in its GET to the gate until the test opens it: this chunk came before its end.
  assert.equal(text(first.value?.PayloadChunk?.Payload), 'first;');
  await gate.reached;
  gate.open();
  const rest = await drain({ [Symbol.asyncIterator]: () => it });
  assert.equal(rest.body, 'second;');
  assert.deepEqual(rest.complete, {});
});

test('InvokeWithResponseStream: a mid-stream error ends with InvokeComplete ErrorCode and ErrorDetails; LogType Tail gives LogResult', async () => {
  const r = await stream({ mode: 'fail' }, { LogType: 'Tail' });
  const { body, complete } = await drain(r.EventStream!);
  assert.equal(body, 'partial;');
  assert.equal(complete?.ErrorCode, 'Error');
  assert.equal(complete?.ErrorDetails, 'boom mid-stream');
  const log = Buffer.from(complete!.LogResult!, 'base64').toString('utf8');
  assert.match(log, /Invoke Error/);
  assert.match(log, /REPORT RequestId: /);
});

test('InvokeWithResponseStream: a stream over the maximum size ends with Function.ResponseSizeTooLarge', async () => {
  const r = await stream({ mode: 'big', n: 40 });
  const { body, complete } = await drain(r.EventStream!);
  assert.equal(complete?.ErrorCode, 'Function.ResponseSizeTooLarge');
  assert.ok(body.length <= 1024 * 1024);
});

test('InvokeWithResponseStream: a timeout mid-stream ends with Sandbox.Timedout', async () => {
  const r = await stream({ mode: 'slow' });
  const { body, complete } = await drain(r.EventStream!);
  assert.equal(body, 'start;');
  assert.equal(complete?.ErrorCode, 'Sandbox.Timedout');
  assert.match(complete?.ErrorDetails ?? '', /Task timed out after 2\.00 seconds/);
});

test('InvokeWithResponseStream: a function that does not stream answers in one PayloadChunk', async () => {
  await createFunction(h.client, 'buffered-echo');
  const r = await h.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'buffered-echo', Payload: Buffer.from('{"a":1}') }));
  const { body, complete, chunks } = await drain(r.EventStream!);
  assert.equal(chunks, 1);
  assert.deepEqual(JSON.parse(body), { a: 1 });
  assert.deepEqual(complete, {});
});

test('Invoke (buffered) of a streaming function returns the whole streamed body', async () => {
  const r = await h.client.send(new InvokeCommand({ FunctionName: 'streamer', Payload: Buffer.from(JSON.stringify({ mode: 'chunks', n: 3, gap: 1 })) }));
  assert.equal(r.FunctionError, undefined);
  assert.equal(text(r.Payload), 'c0;c1;c2;');
});

test('InvokeWithResponseStream: an unknown function is a 404 before any stream', async () => {
  await assert.rejects(h.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'nope' })), (e: Error) => e.name === 'ResourceNotFoundException');
});
