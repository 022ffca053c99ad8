import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { AddPermissionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { createFunction } from '../helpers/functions.js';
import { deployStreaming, Gate } from './stream-fixture.js';

/** Function URLs with InvokeMode RESPONSE_STREAM, read by node:http as the body arrives. */
let h: Harness;
let gate: Gate;
let streamerUrl: string;

before(async () => {
  h = await startHarness();
  gate = await new Gate().listen();
  await deployStreaming(h, 'url-streamer');
  await createFunction(h.client, 'url-buffered');
  streamerUrl = await url('url-streamer', 'RESPONSE_STREAM');
});
after(async () => {
  await gate.close();
  await h.stop();
});

async function url(name: string, mode: 'RESPONSE_STREAM' | 'BUFFERED'): Promise<string> {
  const r = await h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE', InvokeMode: mode }));
  await h.client.send(new AddPermissionCommand({ FunctionName: name, StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
  // The path form: the test's client cannot resolve <id>.lambda-url.<region>.localhost.
  return `${h.endpoint}/lambda-url/${new URL(r.FunctionUrl!).hostname.split('.')[0]}/`;
}

function post(u: string, body: unknown): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(u, { method: 'POST', headers: { 'content-type': 'application/json' } }, resolve);
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function nextChunk(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => res.once('data', (c: Buffer) => resolve(c.toString())));
}

function rest(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    res.on('data', (c: Buffer) => (s += c.toString()));
    res.on('end', () => resolve(s));
    res.on('error', reject);
  });
}

test('function URL RESPONSE_STREAM: HttpResponseStream status and headers, body chunks before the function ends', async () => {
  const res = await post(streamerUrl, { mode: 'url', gate: gate.url });
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['x-custom'], 'yes');
  assert.equal(res.headers['content-type'], 'text/plain');
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  assert.match(String(res.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
  // The function waits on the gate: this chunk arrived before its end.
  assert.equal(await nextChunk(res), 'hello ');
  await gate.reached;
  gate.open();
  assert.equal(await rest(res), 'world');
});

test('function URL RESPONSE_STREAM: a stream without a prelude is 200 with the stream Content-Type', async () => {
  const res = await post(streamerUrl, { mode: 'chunks', n: 3, gap: 1 });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  assert.equal(await rest(res), 'c0;c1;c2;');
});

test('function URL RESPONSE_STREAM: a function error before any byte is the URL 502', async () => {
  const res = await post(streamerUrl, { mode: 'fail-early' });
  assert.equal(res.statusCode, 502);
  await rest(res);
});

test('function URL RESPONSE_STREAM of a function that does not stream: the buffered answer', async () => {
  const u = await url('url-buffered', 'RESPONSE_STREAM');
  const res = await post(u, { statusCode: 200 });
  assert.equal(res.statusCode, 200);
  const body = JSON.parse(await rest(res));
  assert.equal(body.version, '2.0');
});
