import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeWithResponseStreamCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { createFunction, waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

/**
 * Streaming under the isolated (bwrap) driver: the chunks cross the sandbox's Runtime API relay as
 * they are written. The function cannot reach the test's host ports, so its gate is on Flint's own
 * API (which every sandbox reaches through AWS_ENDPOINT_URL): it writes a chunk, then polls the
 * `gate` function's Description until the test, having read that chunk, sets it to `open`.
 */
const GATED = `
import { LambdaClient, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
const lambda = new LambdaClient({ maxAttempts: 1 });
export const handler = awslambda.streamifyResponse(async (event, stream) => {
  stream.write('first;');
  for (;;) {
    const c = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'gate' }));
    if (c.Description === 'open') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  stream.write('second;');
  stream.end();
});
`;

let h: Harness | undefined;
let skip: string | false = false;

before(async () => {
  try {
    // Authorization off: the gate's GetFunctionConfiguration needs no policy for the function's role.
    h = await startHarness({ sandbox: 'bwrap', auth: 'off' });
  } catch (err) {
    if (process.env['CI'] === 'true' && process.getuid?.() === 0) throw err;
    skip = `the bwrap driver is not available here: ${(err as Error).message}`;
    return;
  }
  await createFunction(h.client, 'gate', { Description: 'closed' });
  await h.client.send(new CreateFunctionCommand({
    FunctionName: 'iso-streamer', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Timeout: 30,
    Code: { ZipFile: await makeZip({ 'index.mjs': GATED }) },
  }));
  await waitSettled(h.client, 'iso-streamer');
});
after(async () => { await h?.stop(); });

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

test('isolated: a streamed chunk crosses the sandbox relay and reaches the SDK before the function ends', async (t) => {
  if (skip) return t.skip(skip);
  const r = await h!.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'iso-streamer', Payload: Buffer.from('{}') }));
  const it = r.EventStream![Symbol.asyncIterator]();
  const first = await it.next();
  assert.equal(text(first.value?.PayloadChunk?.Payload), 'first;');
  await h!.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'gate', Description: 'open' }));
  let body = '';
  let complete;
  for (let e = await it.next(); !e.done; e = await it.next()) {
    if (e.value.PayloadChunk) body += text(e.value.PayloadChunk.Payload);
    if (e.value.InvokeComplete) complete = e.value.InvokeComplete;
  }
  assert.equal(body, 'second;');
  assert.deepEqual(complete, {});
});
