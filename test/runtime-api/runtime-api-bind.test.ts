import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RuntimeChannel } from '../../src/runtime-api/runtime-channel.js';
import { RuntimeApiServer } from '../../src/runtime-api/runtime-api-server.js';

/** An unbound (pre-initialized) runtime's endpoint, driven over real HTTP. */
async function unboundEndpoint() {
  const seen = { bindWaiting: 0, initDone: 0 };
  const channel = new RuntimeChannel(
    { bindWaiting: () => seen.bindWaiting++, initDone: () => seen.initDone++, ready: () => {}, initError: () => {}, reply: () => {} },
    { unbound: true },
  );
  const server = new RuntimeApiServer(channel);
  const { host, port } = await server.listen();
  const call = async (method: string, path: string) => {
    const res = await fetch(`http://${host}:${port}/2018-06-01/${path}`, { method });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  return { channel, server, seen, call };
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(cond(), 'condition not reached');
}

const DOC = { env: { AWS_LAMBDA_FUNCTION_NAME: 'fn' }, taskRoot: '/var/task', opt: '/opt' };

test('runtime-api bind: an unbound runtime waits in /flint/bind and receives the bind document; only then may it call /next', async () => {
  const e = await unboundEndpoint();
  try {
    const refused = await e.call('GET', 'runtime/invocation/next');
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json, { errorMessage: 'State transition from Unbound to Ready failed for runtime. Error: State transition is not allowed', errorType: 'InvalidStateTransition' });
    const bind = e.call('GET', 'flint/bind');
    await waitFor(() => e.channel.bindWaiting);
    assert.equal(e.seen.bindWaiting, 1);
    e.channel.bind(Buffer.from(JSON.stringify(DOC)));
    assert.deepEqual((await bind).json, DOC);
    assert.equal(e.channel.state, 'Started');
    const next = e.call('GET', 'runtime/invocation/next');
    await waitFor(() => e.channel.waiting);
    assert.equal(e.seen.initDone, 1);
    e.channel.close();
    await e.server.close();
    await next.catch(() => {});
  } finally {
    await e.server.close().catch(() => {});
  }
});

test('runtime-api bind: a bind made before the runtime asks is delivered when it asks; a second bind call is refused', async () => {
  const e = await unboundEndpoint();
  try {
    e.channel.bind(Buffer.from(JSON.stringify(DOC)));
    assert.deepEqual((await e.call('GET', 'flint/bind')).json, DOC);
    const again = await e.call('GET', 'flint/bind');
    assert.equal(again.status, 403);
    assert.equal(again.json.errorType, 'InvalidStateTransition');
    assert.throws(() => e.channel.bind(Buffer.from('{}')), /cannot bind in state Started/);
  } finally {
    await e.server.close();
  }
});

test('runtime-api bind: a runtime started for a function (not unbound) cannot ask for a bind', async () => {
  const channel = new RuntimeChannel({ initDone: () => {}, ready: () => {}, initError: () => {}, reply: () => {} });
  const server = new RuntimeApiServer(channel);
  const { host, port } = await server.listen();
  try {
    const res = await fetch(`http://${host}:${port}/2018-06-01/flint/bind`);
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { errorType: string }).errorType, 'InvalidStateTransition');
  } finally {
    await server.close();
  }
});
