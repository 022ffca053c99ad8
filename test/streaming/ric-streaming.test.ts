import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateFunctionCommand, InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { Gate, STREAMING_HANDLER } from './stream-fixture.js';

/**
 * The official Node.js runtime interface client (npm aws-lambda-ric 3.3.0, which implements
 * response streaming: chunked POST with Lambda-Runtime-Function-Response-Mode and error trailers)
 * as a custom runtime, streaming the same handler through Flint's Runtime API unmodified.
 */
const ric = (() => {
  try {
    const pkg = createRequire(import.meta.url).resolve('aws-lambda-ric/package.json');
    return existsSync(join(dirname(pkg), 'dist', 'rapid-client.node')) ? join(dirname(pkg), 'bin', 'index.mjs') : undefined;
  } catch {
    return undefined;
  }
})();
const skip = ric ? false : 'aws-lambda-ric (devDependency, native build) is not installed';

let h: Harness;
let gate: Gate;

before(async () => {
  if (skip) return;
  h = await startHarness();
  gate = await new Gate().listen();
  await h.client.send(new CreateFunctionCommand({
    FunctionName: 'ric-streamer', Runtime: 'provided.al2023', Role: TEST_ROLE, Handler: 'index.handler', Timeout: 10,
    Code: { ZipFile: await makeZip({ bootstrap: { data: `#!/bin/sh\nexec "${process.execPath}" "${ric}" "$_HANDLER"\n`, mode: 0o100755 }, 'index.mjs': STREAMING_HANDLER }) },
  }));
  await waitSettled(h.client, 'ric-streamer');
});
after(async () => {
  await gate?.close();
  await h?.stop();
});

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

test('aws-lambda-ric: a streamifyResponse handler streams through Flint; the first chunk arrives while it waits', { skip }, async () => {
  const r = await h.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'ric-streamer', Payload: Buffer.from(JSON.stringify({ mode: 'gated', gate: gate.url })) }));
  const it = r.EventStream![Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(text(first.value?.PayloadChunk?.Payload), 'first;');
  await gate.reached;
  gate.open();
  let body = '';
  let complete;
  for (let e = await it.next(); !e.done; e = await it.next()) {
    if (e.value.PayloadChunk) body += text(e.value.PayloadChunk.Payload);
    if (e.value.InvokeComplete) complete = e.value.InvokeComplete;
  }
  assert.equal(body, 'second;');
  assert.deepEqual(complete, {});
});

test('aws-lambda-ric: an error mid-stream travels in its trailers and ends InvokeComplete with the error', { skip }, async () => {
  const r = await h.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'ric-streamer', Payload: Buffer.from(JSON.stringify({ mode: 'fail' })) }));
  let body = '';
  let complete: { ErrorCode?: string; ErrorDetails?: string } | undefined;
  for await (const e of r.EventStream!) {
    if (e.PayloadChunk) body += text(e.PayloadChunk.Payload);
    if (e.InvokeComplete) complete = e.InvokeComplete;
  }
  assert.equal(body, 'partial;');
  assert.equal(complete?.ErrorCode, 'Error');
  assert.equal(complete?.ErrorDetails, 'boom mid-stream');
});
