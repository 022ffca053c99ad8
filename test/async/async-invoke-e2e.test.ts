import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { expectAwsError } from '../helpers/expect-error.js';

/**
 * Event invocations through the real server and @aws-sdk/client-lambda. The functions run on the
 * process sandbox and append what they saw to a marker file, one JSON line per run.
 */
let h: Harness;
let marks: string;
const ARN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

// Records {fn, requestId, event} then behaves as the event asks: {fail: true} throws.
const RECORDER = `
const fs = require('node:fs');
exports.handler = async (event, context) => {
  fs.appendFileSync(process.env.MARK_FILE, JSON.stringify({ fn: context.functionName, requestId: context.awsRequestId, event }) + '\\n');
  if (event && event.fail) throw new Error('intentional failure');
  return { ok: true, echo: event };
};`;

before(async () => {
  // 1 s of retry delay or event age is 10 ms here: the 60 s minimum MaximumEventAgeInSeconds becomes
  // 600 ms, enough slack for a first delivery on a loaded 2-core CI host (60 ms was not).
  h = await startHarness({ asyncRetryScale: 0.01, sandbox: 'process' });
  marks = join(mkdtempSync(join(tmpdir(), 'flint-async-marks-')), 'marks.jsonl');
  const zip = await makeZip({ 'index.js': RECORDER });
  for (const name of ['worker', 'on-success', 'on-failure', 'no-retry', 'short-age']) {
    await h.client.send(new CreateFunctionCommand({
      FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip },
      Environment: { Variables: { MARK_FILE: marks } },
    }));
  }
  for (const name of ['worker', 'on-success', 'on-failure', 'no-retry', 'short-age']) {
    for (let i = 0; i < 100; i++) {
      const c = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      if (c.State === 'Active') break;
      await sleep(20);
    }
  }
  await h.client.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: 'worker',
    DestinationConfig: { OnSuccess: { Destination: ARN('on-success') }, OnFailure: { Destination: ARN('on-failure') } },
  }));
  await h.client.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: 'no-retry', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: ARN('on-failure') } },
  }));
  await h.client.send(new PutFunctionEventInvokeConfigCommand({
    FunctionName: 'short-age', MaximumEventAgeInSeconds: 60, DestinationConfig: { OnFailure: { Destination: ARN('on-failure') } },
  }));
});
after(async () => {
  await h?.stop();
  rmSync(join(marks, '..'), { recursive: true, force: true });
});

interface Mark { fn: string; requestId: string; event: any }
const readMarks = (): Mark[] => (existsSync(marks) ? readFileSync(marks, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Mark) : []);

async function waitFor(pred: (m: Mark[]) => boolean, ms = 10_000): Promise<Mark[]> {
  const end = Date.now() + ms;
  for (;;) {
    const m = readMarks();
    if (pred(m)) return m;
    if (Date.now() > end) throw new Error(`timed out; marks so far:\n${JSON.stringify(m, null, 1)}`);
    await sleep(20);
  }
}

async function invokeEvent(name: string, payload: unknown): Promise<string> {
  const res = await h.client.send(new InvokeCommand({ FunctionName: name, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
  assert.equal(res.StatusCode, 202);
  assert.equal(res.Payload?.length ?? 0, 0, 'Event answers with an empty body');
  assert.equal(res.FunctionError, undefined);
  const id = res.$metadata.requestId;
  assert.match(id ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  return id!;
}

test('async e2e: Event answers 202 with an empty body and x-amzn-RequestId; the function runs with that id and OnSuccess gets the record', async () => {
  const id = await invokeEvent('worker', { n: 1 });
  const m = await waitFor((ms) => ms.some((x) => x.fn === 'on-success' && x.event?.requestContext?.requestId === id));
  const runs = m.filter((x) => x.fn === 'worker' && x.requestId === id);
  assert.equal(runs.length, 1);
  assert.deepEqual(runs[0]!.event, { n: 1 });
  const record = m.find((x) => x.fn === 'on-success')!.event;
  assert.deepEqual(Object.keys(record), ['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
  assert.deepEqual(record.requestContext, { requestId: id, functionArn: ARN('worker') + ':$LATEST', condition: 'Success', approximateInvokeCount: 1 });
  assert.deepEqual(record.requestPayload, { n: 1 });
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
  assert.deepEqual(record.responsePayload, { ok: true, echo: { n: 1 } });
  assert.match(record.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

test('async e2e: a failing event is retried twice and OnFailure receives the RetriesExhausted record', async () => {
  const id = await invokeEvent('worker', { fail: true, tag: 'retry' });
  const m = await waitFor((ms) => ms.some((x) => x.fn === 'on-failure' && x.event?.requestContext?.requestId === id));
  assert.equal(m.filter((x) => x.fn === 'worker' && x.requestId === id).length, 3, 'one run and two retries, all with the same request id');
  const record = m.find((x) => x.fn === 'on-failure' && x.event.requestContext.requestId === id)!.event;
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, 3);
  assert.deepEqual(record.requestPayload, { fail: true, tag: 'retry' });
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  assert.equal(record.responsePayload.errorMessage, 'intentional failure');
  assert.equal(record.responsePayload.errorType, 'Error');
});

test('async e2e: MaximumRetryAttempts 0 sends the failure record after a single run', async () => {
  const id = await invokeEvent('no-retry', { fail: true });
  const m = await waitFor((ms) => ms.some((x) => x.fn === 'on-failure' && x.event?.requestContext?.requestId === id));
  await sleep(900); // a wrong retry (60 s scaled to 600 ms) would have shown by now
  assert.equal(readMarks().filter((x) => x.fn === 'no-retry' && x.requestId === id).length, 1);
  const record = m.find((x) => x.fn === 'on-failure' && x.event.requestContext.requestId === id)!.event;
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
});

test('async e2e: MaximumEventAgeInSeconds 60 expires the event before its first retry (EventAgeExceeded)', async () => {
  // A warm environment first, so the event's first run does not wait for a cold start: the test is
  // about the age check before the retry, which must find the event older than its 60 s (600 ms).
  await h.client.send(new InvokeCommand({ FunctionName: 'short-age', Payload: Buffer.from('{"warm":true}') }));
  const id = await invokeEvent('short-age', { fail: true });
  const m = await waitFor((ms) => ms.some((x) => x.fn === 'on-failure' && x.event?.requestContext?.requestId === id));
  assert.equal(m.filter((x) => x.fn === 'short-age' && x.requestId === id).length, 1);
  const record = m.find((x) => x.fn === 'on-failure' && x.event.requestContext.requestId === id)!.event;
  assert.equal(record.requestContext.condition, 'EventAgeExceeded');
  assert.equal(record.requestContext.approximateInvokeCount, 1);
  assert.equal(record.responseContext.functionError, 'Unhandled');
});

test('async e2e: Event on a missing function or version is 404 ResourceNotFoundException (sync Invoke texts); over 1 MB is 413 RequestTooLargeException', async () => {
  await expectAwsError(h.client.send(new InvokeCommand({ FunctionName: 'missing', InvocationType: 'Event', Payload: Buffer.from('{}') })), {
    name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${ARN('missing')}:$LATEST`,
  });
  await expectAwsError(h.client.send(new InvokeCommand({ FunctionName: 'worker', Qualifier: '42', InvocationType: 'Event', Payload: Buffer.from('{}') })), {
    name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${ARN('worker')}:42`,
  });
  const big = Buffer.from(JSON.stringify({ s: 'x'.repeat(1_048_576) }));
  await expectAwsError(h.client.send(new InvokeCommand({ FunctionName: 'worker', InvocationType: 'Event', Payload: big })), {
    name: 'RequestTooLargeException', status: 413, message: 'Request must be smaller than 1048576 bytes for the InvokeFunction operation',
  });
});
