import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeChannel, type InitFailure, type RuntimeReply } from '../../src/runtime-api/runtime-channel.js';
import { RuntimeApiServer } from '../../src/runtime-api/runtime-api-server.js';

/** A Runtime API endpoint with a recording listener, driven over real HTTP like a runtime would. */
async function endpoint() {
  const seen: { initDone: number; ready: number; initErrors: InitFailure[]; replies: Array<{ id: string; reply: RuntimeReply }> } = { initDone: 0, ready: 0, initErrors: [], replies: [] };
  const channel = new RuntimeChannel({
    initDone: () => seen.initDone++,
    ready: () => seen.ready++,
    initError: (f) => seen.initErrors.push(f),
    reply: (id, reply) => seen.replies.push({ id, reply }),
  });
  const server = new RuntimeApiServer(channel);
  const { host, port } = await server.listen();
  const base = `http://${host}:${port}/2018-06-01/runtime`;
  const call = async (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}/${path}`, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : new Uint8Array(body) } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
  };
  return { channel, server, seen, call };
}

const EVENT = {
  requestId: 'req-1',
  payload: Buffer.from('{"hello":"world"}'),
  deadlineMs: 1_900_000_000_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn:live',
  traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1',
  clientContext: '{"custom":{"a":"b"}}',
  cognitoIdentity: '{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}',
};

test('runtime-api: /next hands out the event with every Lambda-Runtime-* header once it is dispatched', async () => {
  const e = await endpoint();
  try {
    const next = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    assert.equal(e.seen.initDone, 1);
    e.channel.dispatch(EVENT);
    const r = await next;
    assert.equal(r.status, 200);
    assert.equal(r.text, '{"hello":"world"}');
    assert.equal(r.headers.get('lambda-runtime-aws-request-id'), 'req-1');
    assert.equal(r.headers.get('lambda-runtime-deadline-ms'), '1900000000000');
    assert.equal(r.headers.get('lambda-runtime-invoked-function-arn'), EVENT.invokedFunctionArn);
    assert.equal(r.headers.get('lambda-runtime-trace-id'), EVENT.traceId);
    assert.equal(r.headers.get('lambda-runtime-client-context'), EVENT.clientContext);
    assert.equal(r.headers.get('lambda-runtime-cognito-identity'), EVENT.cognitoIdentity);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const posted = await e.call('POST', 'invocation/req-1/response', '{"ok":true}');
    assert.equal(posted.status, 202);
    assert.deepEqual(posted.json, { status: 'OK' });
    assert.deepEqual(e.seen.replies, [{ id: 'req-1', reply: { kind: 'response', payload: Buffer.from('{"ok":true}') } }]);
  } finally {
    await e.server.close();
  }
});

test('runtime-api: a response before any /next is refused with 403 InvalidStateTransition', async () => {
  const e = await endpoint();
  try {
    const r = await e.call('POST', 'invocation/req-1/response', '{}');
    assert.equal(r.status, 403);
    assert.deepEqual(r.json, {
      errorMessage: 'State transition from Started to InvocationResponse failed for runtime. Error: State transition is not allowed',
      errorType: 'InvalidStateTransition',
    });
    assert.equal(e.seen.replies.length, 0);
  } finally {
    await e.server.close();
  }
});

test('runtime-api: a response for an unknown request id is 400 InvalidRequestID and leaves the invocation open', async () => {
  const e = await endpoint();
  try {
    const next = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    e.channel.dispatch(EVENT);
    await next;
    const wrong = await e.call('POST', 'invocation/not-the-one/response', '{}');
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json, { errorMessage: 'Invalid request ID', errorType: 'InvalidRequestID' });
    const right = await e.call('POST', 'invocation/req-1/error', '{"errorType":"X","errorMessage":"m","trace":[]}');
    assert.equal(right.status, 202);
    assert.deepEqual(e.seen.replies.map((r) => r.reply.kind), ['error']);
  } finally {
    await e.server.close();
  }
});

test('runtime-api: a second reply to the same invocation is 403 from RuntimeResponseSentState', async () => {
  const e = await endpoint();
  try {
    const next = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    e.channel.dispatch(EVENT);
    await next;
    assert.equal((await e.call('POST', 'invocation/req-1/response', '1')).status, 202);
    const again = await e.call('POST', 'invocation/req-1/error', '{}');
    assert.equal(again.status, 403);
    assert.equal(again.json.errorMessage, 'State transition from RuntimeResponseSentState to InvocationErrorResponse failed for runtime. Error: State transition is not allowed');
    // The runtime's next /next makes it ready again.
    const n2 = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    assert.equal(e.seen.ready, 1);
    e.channel.close();
    await e.server.close();
    await n2.catch(() => undefined);
  } finally {
    await e.server.close();
  }
});

test('runtime-api: /error without Lambda-Runtime-Function-Error-Type (as aws-lambda-ric sends it) passes the body through', async () => {
  const e = await endpoint();
  try {
    const next = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    e.channel.dispatch(EVENT);
    await next;
    const body = '{"errorType":"TypeError","errorMessage":"boom","trace":["TypeError: boom"]}';
    assert.equal((await e.call('POST', 'invocation/req-1/error', body, { 'lambda-runtime-function-xray-error-cause': '{}' })).status, 202);
    assert.deepEqual(e.seen.replies[0]!.reply, { kind: 'error', payload: Buffer.from(body) });
  } finally {
    await e.server.close();
  }
});

test('runtime-api: /init/error is accepted while initializing, then /next and a second /init/error are refused', async () => {
  const e = await endpoint();
  try {
    const r = await e.call('POST', 'init/error', '{"errorType":"Runtime.ImportModuleError","errorMessage":"x"}', { 'lambda-runtime-function-error-type': 'Runtime.ImportModuleError' });
    assert.equal(r.status, 202);
    assert.deepEqual(e.seen.initErrors, [{ errorType: 'Runtime.ImportModuleError', payload: Buffer.from('{"errorType":"Runtime.ImportModuleError","errorMessage":"x"}') }]);
    const next = await e.call('GET', 'invocation/next');
    assert.equal(next.status, 403);
    assert.equal(next.json.errorMessage, 'State transition from InitError to Ready failed for runtime. Error: State transition is not allowed');
    assert.equal((await e.call('POST', 'init/error', '{}')).status, 403);
  } finally {
    await e.server.close();
  }
});

test('runtime-api: /init/error after initialization finished is 403', async () => {
  const e = await endpoint();
  try {
    const next = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    const r = await e.call('POST', 'init/error', '{}');
    assert.equal(r.status, 403);
    assert.equal(r.json.errorMessage, 'State transition from Ready to InitError failed for runtime. Error: State transition is not allowed');
    e.channel.close();
    await e.server.close();
    await next.catch(() => undefined);
  } finally {
    await e.server.close();
  }
});

test('runtime-api: a second /next while one is pending is 403, and a /next during an invocation too', async () => {
  const e = await endpoint();
  try {
    const first = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    const second = await e.call('GET', 'invocation/next');
    assert.equal(second.status, 403);
    assert.equal(second.json.errorType, 'InvalidStateTransition');
    e.channel.dispatch(EVENT);
    await first;
    const during = await e.call('GET', 'invocation/next');
    assert.equal(during.status, 403);
    assert.equal(during.json.errorMessage, 'State transition from Running to Ready failed for runtime. Error: State transition is not allowed');
  } finally {
    await e.server.close();
  }
});

test('runtime-api: a response over 6291556 bytes is 413 RequestEntityTooLarge and ends the invocation as too large', async () => {
  const e = await endpoint();
  try {
    const next = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    e.channel.dispatch(EVENT);
    await next;
    const r = await e.call('POST', 'invocation/req-1/response', Buffer.alloc(6_291_557, 0x61));
    assert.equal(r.status, 413);
    assert.deepEqual(r.json, { errorMessage: 'Exceeded maximum allowed payload size (6291556 bytes).', errorType: 'RequestEntityTooLarge' });
    assert.deepEqual(e.seen.replies, [{ id: 'req-1', reply: { kind: 'too-large' } }]);
  } finally {
    await e.server.close();
  }
});

test('runtime-api: a response of exactly 6291556 bytes is accepted', async () => {
  const e = await endpoint();
  try {
    const next = e.call('GET', 'invocation/next');
    await waitFor(() => e.channel.waiting);
    e.channel.dispatch(EVENT);
    await next;
    assert.equal((await e.call('POST', 'invocation/req-1/response', Buffer.alloc(6_291_556, 0x61))).status, 202);
    assert.equal(e.seen.replies[0]!.reply.kind, 'response');
  } finally {
    await e.server.close();
  }
});

test('runtime-api: paths outside the Runtime API are 404', async () => {
  const e = await endpoint();
  try {
    const res = await e.call('GET', 'invocation/whatever');
    assert.equal(res.status, 404);
    assert.equal(res.json.errorType, 'NotFound');
  } finally {
    await e.server.close();
  }
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
}
