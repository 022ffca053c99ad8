import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntimeApi, eventReply, startRuntime } from './fake-runtime-api.js';

// Flint's bootstraps carry their own small HTTP/1.1 clients (node:http and http.client cost most
// of a runtime's CPU per invocation and, for Python, its start and memory). These tests drive the
// real bootstrap processes against a raw-TCP Runtime API that frames and splits responses in the
// ways HTTP allows, checking what reaches the handler and what the runtime posts back.

const HANDLERS = {
  node: {
    'index.js': `exports.handler = async (event) => event;
exports.fail = async () => { const e = new Error('bad \\u00fc'); e.name = 'Ünïcode\\u2603Error'; throw e; };
exports.ascii = async () => { const e = new Error('plain'); e.name = 'PlainError'; throw e; };
`,
  },
  python: {
    'index.py': `def handler(event, context):
    return event


class PlainError(Exception):
    pass


def ascii(event, context):
    raise PlainError("plain")


def fail(event, context):
    raise type("\\u00dcn\\u00efcode\\u2603Error", (Exception,), {})("bad \\u00fc")
`,
  },
};

const RUNTIME_PREFIX = '/2018-06-01/runtime/';

/** A fake Runtime API and a runtime of `kind` against it, torn down after `body`; failures carry the runtime's stderr. */
async function withRuntime(kind: 'node' | 'python', handler: string, body: (api: FakeRuntimeApi, rt: ReturnType<typeof startRuntime>) => Promise<void>): Promise<void> {
  const api = await FakeRuntimeApi.start();
  const rt = startRuntime(kind, api.address, HANDLERS[kind], handler);
  try {
    await body(api, rt);
  } catch (err) {
    (err as Error).message += `\nruntime stderr:\n${rt.stderr()}`;
    throw err;
  } finally {
    rt.cleanup();
    await api.close();
  }
}

for (const kind of ['node', 'python'] as const) {
  test(`runtime http client (${kind}): a /next response split into 1-byte TCP segments reaches the handler intact, and the reply follows on the same connection`, async () => {
    await withRuntime(kind, 'index.handler', async (api) => {
      const next = await api.request();
      assert.equal(next.method, 'GET');
      assert.equal(next.path, `${RUNTIME_PREFIX}invocation/next`);
      assert.match(next.headers['host'] ?? '', /^127\.0\.0\.1:\d+$/);
      const event = { greeting: 'grüße, 世界 🌍', n: [1, 2, 3] };
      await api.reply(next, eventReply('req-1', JSON.stringify(event), { split: 1 }));
      const post = await api.request();
      assert.equal(post.method, 'POST');
      assert.equal(post.path, `${RUNTIME_PREFIX}invocation/req-1/response`);
      assert.equal(post.conn, next.conn, 'the kept-alive connection is reused');
      assert.equal(Number(post.headers['content-length']), post.body.length);
      assert.deepEqual(JSON.parse(post.body.toString('utf8')), event);
      // The 202 split too; then the runtime is back in /next.
      await api.reply(post, { status: 202, split: 3 });
      const again = await api.request();
      assert.equal(again.path, `${RUNTIME_PREFIX}invocation/next`);
      assert.equal(again.conn, next.conn);
    });
  });

  test(`runtime http client (${kind}): a chunked /next response with extensions and trailers is decoded`, async () => {
    await withRuntime(kind, 'index.handler', async (api) => {
      const next = await api.request();
      const event = { items: Array.from({ length: 200 }, (_, i) => `item-${i}-ä`) };
      await api.reply(next, eventReply('req-chunked', JSON.stringify(event), { chunked: 97, split: 50 }));
      const post = await api.request();
      assert.equal(post.path, `${RUNTIME_PREFIX}invocation/req-chunked/response`);
      assert.deepEqual(JSON.parse(post.body.toString('utf8')), event);
    });
  });

  test(`runtime http client (${kind}): a 6 MB event with non-ASCII text comes in and goes back out byte for byte`, async () => {
    await withRuntime(kind, 'index.handler', async (api) => {
      const next = await api.request();
      // 6 MB of UTF-8 (multi-byte characters straddle every TCP segment boundary somewhere).
      const text = 'ab€𝄞ü'.repeat(Math.floor(6_000_000 / 11));
      const event = JSON.stringify({ text });
      await api.reply(next, eventReply('req-big', event, { split: 65_521 }));
      const post = await api.request();
      assert.equal(post.path, `${RUNTIME_PREFIX}invocation/req-big/response`);
      assert.equal(Number(post.headers['content-length']), post.body.length);
      assert.ok(post.body.length > 5_900_000);
      assert.equal(JSON.parse(post.body.toString('utf8')).text, text);
      await api.reply(post, { status: 202 });
      assert.equal((await api.request()).path, `${RUNTIME_PREFIX}invocation/next`);
    });
  });

  test(`runtime http client (${kind}): after a response with Connection: close, the next call opens a new connection`, async () => {
    await withRuntime(kind, 'index.handler', async (api) => {
      const next = await api.request();
      await api.reply(next, eventReply('req-a', '{"a":1}'));
      const post = await api.request();
      await api.reply(post, { status: 202, headers: { Connection: 'close' }, close: true });
      const again = await api.request();
      assert.equal(again.path, `${RUNTIME_PREFIX}invocation/next`);
      assert.notEqual(again.conn, post.conn);
      await api.reply(again, eventReply('req-b', '{"b":2}'));
      const post2 = await api.request();
      assert.equal(post2.path, `${RUNTIME_PREFIX}invocation/req-b/response`);
      assert.deepEqual(JSON.parse(post2.body.toString('utf8')), { b: 2 });
    });
  });

  test(`runtime http client (${kind}): the error type header is sent when it is plain ASCII and left to the body otherwise`, async () => {
    await withRuntime(kind, 'index.ascii', async (api) => {
      const next = await api.request();
      await api.reply(next, eventReply('req-e1', '{}'));
      const post = await api.request();
      assert.equal(post.path, `${RUNTIME_PREFIX}invocation/req-e1/error`);
      assert.equal(post.headers['lambda-runtime-function-error-type'], 'PlainError');
      assert.equal(JSON.parse(post.body.toString('utf8')).errorType, 'PlainError');
    });
    await withRuntime(kind, 'index.fail', async (api) => {
      const next = await api.request();
      await api.reply(next, eventReply('req-e2', '{}'));
      const post = await api.request();
      assert.equal(post.path, `${RUNTIME_PREFIX}invocation/req-e2/error`);
      assert.equal(post.headers['lambda-runtime-function-error-type'], undefined);
      const doc = JSON.parse(post.body.toString('utf8'));
      assert.equal(doc.errorType, 'Ünïcode☃Error');
      assert.equal(doc.errorMessage, 'bad ü');
    });
  });
}

test('runtime http client (node): a connection reset while waiting in /next ends the runtime with exit 1 and says why', async () => {
  await withRuntime('node', 'index.handler', async (api, rt) => {
    const next = await api.request();
    next.socket.resetAndDestroy();
    assert.equal(await rt.exit, 1);
    assert.match(rt.stderr(), /^flint runtime: the Runtime API went away: /m);
  });
});

test('runtime http client (node): a kept-alive connection that dies before any answer is retried once on a new connection', async () => {
  await withRuntime('node', 'index.handler', async (api) => {
    const next = await api.request();
    await api.reply(next, eventReply('req-k', '{"k":1}'));
    const post = await api.request();
    await api.reply(post, { status: 202 });
    // The server drops the reused connection the moment the next /next arrives, unanswered.
    const dropped = await api.request();
    assert.equal(dropped.conn, next.conn);
    dropped.socket.resetAndDestroy();
    const retry = await api.request();
    assert.equal(retry.path, `${RUNTIME_PREFIX}invocation/next`);
    assert.notEqual(retry.conn, next.conn);
    await api.reply(retry, eventReply('req-k2', '{"k":2}'));
    assert.deepEqual(JSON.parse((await api.request()).body.toString('utf8')), { k: 2 });
  });
});

test('runtime http client (node): a reset in the middle of a response ends the runtime with exit 1', async () => {
  await withRuntime('node', 'index.handler', async (api, rt) => {
    const next = await api.request();
    next.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nLambda-Runtime-Aws-Request-Id: x\r\n\r\n{"partial":');
    await new Promise((r) => setTimeout(r, 50));
    next.socket.resetAndDestroy();
    assert.equal(await rt.exit, 1);
    assert.match(rt.stderr(), /the Runtime API went away/);
  });
});

test('runtime http client (python): a connection reset while waiting in /next is retried once on a new connection', async () => {
  await withRuntime('python', 'index.handler', async (api, rt) => {
    const next = await api.request();
    next.socket.resetAndDestroy();
    const retry = await api.request();
    assert.equal(retry.path, `${RUNTIME_PREFIX}invocation/next`);
    assert.notEqual(retry.conn, next.conn);
    await api.reply(retry, eventReply('req-r', '{"r":true}'));
    const post = await api.request();
    assert.deepEqual(JSON.parse(post.body.toString('utf8')), { r: true });
    // A second failure in a row ends the runtime.
    await api.reply(post, { status: 202 });
    const n2 = await api.request();
    n2.socket.resetAndDestroy();
    const n3 = await api.request();
    n3.socket.resetAndDestroy();
    assert.equal(await rt.exit, 1);
  });
});

test('runtime http client: a malformed status line ends the runtime instead of being misread', async () => {
  for (const kind of ['node', 'python'] as const) {
    await withRuntime(kind, 'index.handler', async (api, rt) => {
      // Python retries a failed call once on a new connection; both attempts get garbage.
      for (let i = 0; i < (kind === 'python' ? 2 : 1); i++) (await api.request()).socket.write('SPDY/9 what\r\n\r\n');
      assert.equal(await rt.exit, 1, `${kind}: ${rt.stderr()}`);
    });
  }
});
