import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeChannel, type RuntimeReply } from '../../src/runtime-api/runtime-channel.js';
import { RuntimeApiServer } from '../../src/runtime-api/runtime-api-server.js';

/**
 * A connection handed in by a driver (a sandbox relay's unix socket, `accept`) is served by the
 * same Runtime API as its TCP listener, and its first /next is reported to the driver once.
 */
function call(socketPath: string, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, agent: false, method, path: `/2018-06-01/runtime/${path}`, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('runtime-api accept: a unix-socket connection handed in gets /next and posts /response; onFirstNext fires once', async (t) => {
  const replies: Array<{ id: string; reply: RuntimeReply }> = [];
  const channel = new RuntimeChannel({ initDone: () => {}, ready: () => {}, initError: () => {}, reply: (id, reply) => replies.push({ id, reply }) });
  const api = new RuntimeApiServer(channel);
  const endpoint = await api.listen();
  assert.equal(typeof endpoint.accept, 'function');
  const dir = mkdtempSync(join(tmpdir(), 'flint-accept-'));
  const path = join(dir, 'runtime-api.sock');
  let firstNext = 0;
  const relay = createServer((socket) => endpoint.accept!(socket, () => firstNext++));
  await new Promise<void>((r) => relay.listen(path, r));
  t.after(async () => {
    await api.close();
    await new Promise((r) => relay.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const id of ['req-1', 'req-2']) {
    const next = call(path, 'GET', 'invocation/next');
    while (!channel.waiting) await new Promise((r) => setTimeout(r, 5));
    channel.dispatch({ requestId: id, payload: Buffer.from('{"n":1}'), deadlineMs: 1_900_000_000_000, invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793' });
    const r = await next;
    assert.equal(r.status, 200);
    assert.equal(r.headers['lambda-runtime-aws-request-id'], id);
    assert.equal(r.text, '{"n":1}');
    const posted = await call(path, 'POST', `invocation/${id}/response`, '{"ok":true}');
    assert.equal(posted.status, 202);
  }
  assert.deepEqual(replies.map((r) => r.id), ['req-1', 'req-2']);
  // One connection per call (agent: false): the two /next connections report, the POSTs do not.
  assert.equal(firstNext, 2);
});
