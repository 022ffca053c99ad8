import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LeaderForwarder, FORWARDED_HEADER } from '../../src/cluster/leader-forwarder.js';
import { AwsError } from '../../src/domain/errors.js';

/** The hop an api node makes to the leader for SQS: what goes through, what is vouched for, what fails. */
async function leaderStub(): Promise<{ url: string; seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(parts).toString() });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'leader-request-id', 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender', connection: 'keep-alive' });
      res.end('{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(() => r())) };
}

const SECRET = Buffer.alloc(32, 7);
const clientHeaders: IncomingHttpHeaders = {
  host: 'flint.example:9000',
  authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20261205/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
  'x-amz-date': '20261205T050000Z',
  'x-amz-target': 'AmazonSQS.GetQueueUrl',
  'content-type': 'application/x-amz-json-1.0',
  connection: 'keep-alive',
  'transfer-encoding': 'chunked',
};

test('leader forwarder: only the named services, only while a target is known, never a request already forwarded', () => {
  let target: string | undefined = 'http://10.0.0.1:9000';
  const f = new LeaderForwarder({ services: ['sqs'], target: () => target });
  assert.equal(f.targetFor('sqs', clientHeaders), 'http://10.0.0.1:9000');
  assert.equal(f.targetFor('lambda', clientHeaders), undefined);
  assert.equal(f.targetFor('sqs', { ...clientHeaders, [FORWARDED_HEADER]: '1' }), undefined);
  target = undefined;
  assert.equal(f.targetFor('sqs', clientHeaders), undefined);
  f.close();
});

test('leader forwarder: method, path, Host, signature and body go through unchanged; the answer comes back as the leader gave it', async () => {
  const leader = await leaderStub();
  const f = new LeaderForwarder({ services: ['sqs'], target: () => leader.url, secret: SECRET });
  try {
    const body = Buffer.from('{"QueueName":"nope"}');
    const r = await f.forward(leader.url, { method: 'POST', rawUrl: '/?a=1', headers: clientHeaders, body, sourceIp: '192.0.2.7', secureTransport: true });
    const got = leader.seen[0]!;
    assert.deepEqual([got.method, got.url, got.body], ['POST', '/?a=1', '{"QueueName":"nope"}']);
    assert.equal(got.headers.host, 'flint.example:9000');
    assert.equal(got.headers.authorization, clientHeaders.authorization);
    assert.equal(got.headers['x-amz-target'], 'AmazonSQS.GetQueueUrl');
    assert.equal(got.headers['content-length'], String(body.length), 'framed anew: no chunked encoding from the client');
    assert.equal(got.headers['transfer-encoding'], undefined);
    assert.equal(r.status, 400);
    assert.equal(r.headers['x-amzn-requestid'], 'leader-request-id');
    assert.equal(r.headers['x-amzn-query-error'], 'AWS.SimpleQueueService.NonExistentQueue;Sender');
    assert.equal(r.headers['connection'], undefined, 'hop-by-hop headers stay on their hop');
    assert.match(r.body.toString(), /QueueDoesNotExist/);
    // The leader learns the client's address and transport, and only from a header it can verify.
    const vouch = String(got.headers[FORWARDED_HEADER]);
    assert.match(vouch, /^for=192\.0\.2\.7;proto=https;sig=[0-9a-f]{64}$/);
    assert.deepEqual(f.vouched(got.headers), { sourceIp: '192.0.2.7', secureTransport: true });
    assert.equal(f.vouched({ ...got.headers, [FORWARDED_HEADER]: vouch.replace('192.0.2.7', '192.0.2.8') }), undefined, 'another address');
    assert.equal(f.vouched({ ...got.headers, authorization: 'AWS4-HMAC-SHA256 other' }), undefined, 'moved to another request');
    assert.equal(new LeaderForwarder({ services: ['sqs'], target: () => undefined, secret: Buffer.alloc(32, 8) }).vouched(got.headers), undefined, 'another cluster\'s secret');
    assert.equal(f.vouched(clientHeaders), undefined, 'not forwarded');
  } finally {
    f.close();
    await leader.close();
  }
});

test('leader forwarder: a leader that cannot be reached is a 503 ServiceUnavailable (which the SDKs retry)', async () => {
  const leader = await leaderStub();
  await leader.close();
  const f = new LeaderForwarder({ services: ['sqs'], target: () => leader.url });
  await assert.rejects(f.forward(leader.url, { method: 'POST', rawUrl: '/', headers: clientHeaders, body: Buffer.alloc(0), sourceIp: '127.0.0.1', secureTransport: false }), (err: unknown) => {
    assert.ok(err instanceof AwsError);
    assert.equal(err.type, 'ServiceUnavailable');
    assert.equal(err.status, 503);
    assert.match(err.message, /did not answer: connect ECONNREFUSED/);
    return true;
  });
  f.close();
});
