import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { RuntimeChannel, type RuntimeReply } from '../../src/runtime-api/runtime-channel.js';
import { RuntimeApiServer } from '../../src/runtime-api/runtime-api-server.js';
import { StreamedResponse } from '../../src/invoke/streamed-response.js';
import { FakeClock } from '../helpers/fake-clock.js';

/**
 * The Runtime API's streamed response, spoken as a custom runtime speaks it: POST /response with
 * `Lambda-Runtime-Function-Response-Mode: streaming`, chunked, error trailers at the end.
 */
async function setup() {
  const replies: RuntimeReply[] = [];
  const channel = new RuntimeChannel({ initDone() {}, initError() {}, reply: (_id, r) => replies.push(r), ready() {} });
  const server = new RuntimeApiServer(channel);
  const ep = await server.listen();
  return { channel, server, replies, base: `http://${ep.host}:${ep.port}/2018-06-01/runtime` };
}

function startNext(base: string): Promise<void> {
  return new Promise((resolve) => {
    request(`${base}/invocation/next`, (res) => { res.resume(); resolve(); }).end();
  });
}

function streamPost(url: string, parts: string[], trailers?: Record<string, string>): Promise<{ status: number; body: string; req: ReturnType<typeof request> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked', 'Content-Type': 'text/plain', ...(trailers ? { Trailer: Object.keys(trailers).join(', ') } : {}) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, req }));
    });
    req.on('error', reject);
    for (const p of parts) req.write(p);
    if (trailers) req.addTrailers(trailers);
    req.end();
  });
}

async function dispatched(base: string, channel: RuntimeChannel, id: string) {
  const next = startNext(base);
  while (!channel.waiting) await new Promise((r) => setTimeout(r, 1));
  channel.dispatch({ requestId: id, payload: Buffer.from('{}'), deadlineMs: Date.now() + 10_000, invokedFunctionArn: 'arn', traceId: 't' });
  await next;
}

test('runtime API: a streamed response is handed over as a stream with its Content-Type; its chunks follow; 202 at the end', async () => {
  const { channel, server, replies, base } = await setup();
  try {
    await dispatched(base, channel, 'r1');
    const posted = streamPost(`${base}/invocation/r1/response`, ['a', 'b', 'c']);
    while (replies.length === 0) await new Promise((r) => setTimeout(r, 1));
    const reply = replies[0]!;
    assert.equal(reply.kind, 'stream');
    if (reply.kind !== 'stream') return;
    assert.equal(reply.upload.contentType, 'text/plain');
    const s = new StreamedResponse(reply.upload.contentType, new FakeClock());
    reply.upload.pipeTo(s);
    const done = await s.done;
    assert.deepEqual(done, { bytes: 3 });
    const r = await posted;
    assert.equal(r.status, 202);
    assert.equal(channel.state, 'RuntimeResponseSentState');
  } finally {
    await server.close();
  }
});

test('runtime API: error trailers end the stream with their type and the message of the base64 error body', async () => {
  const { channel, server, replies, base } = await setup();
  try {
    await dispatched(base, channel, 'r2');
    const body = Buffer.from(JSON.stringify({ errorType: 'MyError', errorMessage: 'it broke', stackTrace: [] })).toString('base64');
    const posted = streamPost(`${base}/invocation/r2/response`, ['x'], { 'Lambda-Runtime-Function-Error-Type': 'MyError', 'Lambda-Runtime-Function-Error-Body': body });
    while (replies.length === 0) await new Promise((r) => setTimeout(r, 1));
    const reply = replies[0]!;
    if (reply.kind !== 'stream') assert.fail('not a stream');
    const s = new StreamedResponse(reply.upload.contentType, new FakeClock());
    reply.upload.pipeTo(s);
    assert.deepEqual(await s.done, { bytes: 1, error: { errorType: 'MyError', errorMessage: 'it broke' } });
    assert.equal((await posted).status, 202);
  } finally {
    await server.close();
  }
});

test('runtime API: a streamed response for another request id is 400 InvalidRequestID, as any reply', async () => {
  const { channel, server, base } = await setup();
  try {
    await dispatched(base, channel, 'r3');
    const r = await streamPost(`${base}/invocation/other/response`, ['x']);
    assert.equal(r.status, 400);
    assert.equal(JSON.parse(r.body).errorType, 'InvalidRequestID');
    assert.equal(channel.state, 'Running');
  } finally {
    await server.close();
  }
});
