import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';

/**
 * SigV4 at the front door, checked with AWS's own signer (@smithy/signature-v4, the one SDK v3
 * uses) as the oracle: what it signs must pass, and every way of getting it wrong must fail with
 * the error type and status AWS's front door uses.
 */
let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.stop(); });

class Sha256 {
  #h = createHash('sha256');
  #hmac;
  constructor(secret?: Uint8Array | string) { this.#hmac = secret !== undefined ? createHmac('sha256', secret as any) : undefined; }
  update(data: Uint8Array | string) { (this.#hmac ?? this.#h).update(data as any); }
  async digest() { return new Uint8Array((this.#hmac ?? this.#h).digest()); }
}

function signer(credentials = TEST_CREDENTIALS, region = 'us-east-1', service = 'lambda') {
  return new SignatureV4({ credentials, region, service, sha256: Sha256 as any, uriEscapePath: true });
}

async function send(opts: { method?: string; path: string; query?: Record<string, string>; body?: string; headers?: Record<string, string> }, sign: 'header' | 'presign' | 'none' = 'header', s = signer(), signingDate?: Date) {
  const url = new URL(h.endpoint);
  const req = {
    method: opts.method ?? 'GET',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: opts.path,
    query: opts.query ?? {},
    headers: { host: url.host, ...(opts.headers ?? {}) } as Record<string, string>,
    body: opts.body,
  };
  const signed: any = sign === 'header' ? await s.sign(req, signingDate ? { signingDate } : {}) : sign === 'presign' ? await s.presign(req, { expiresIn: 300 }) : req;
  const qs = new URLSearchParams(signed.query).toString();
  const headers = { ...signed.headers };
  delete headers.host;
  const res = await fetch(`${h.endpoint}${signed.path}${qs ? '?' + qs : ''}`, { method: signed.method, headers, body: signed.body });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), requestId: res.headers.get('x-amzn-requestid'), body: text ? JSON.parse(text) : undefined };
}

test('auth: a request signed in the Authorization header is accepted', async () => {
  const r = await send({ path: '/2015-03-31/functions' });
  assert.equal(r.status, 200);
  assert.ok(r.requestId);
});

test('auth: a presigned (query-string) request is accepted', async () => {
  const r = await send({ path: '/2015-03-31/functions' }, 'presign');
  assert.equal(r.status, 200);
});

test('auth: an ARN in the path is signed double-encoded, as SDKs do for non-S3 services', async () => {
  const r = await send({ path: `/2015-03-31/functions/${encodeURIComponent('arn:aws:lambda:us-east-1:000000000000:function:nope')}/configuration` });
  assert.equal(r.status, 404);
  assert.equal(r.type, 'ResourceNotFoundException');
});

test('auth: an unsigned request gets MissingAuthenticationTokenException 403', async () => {
  const r = await send({ path: '/2015-03-31/functions' }, 'none');
  assert.equal(r.status, 403);
  assert.equal(r.type, 'MissingAuthenticationTokenException');
  assert.equal(r.body.message, 'Missing Authentication Token');
});

test('auth: an unknown access key gets UnrecognizedClientException 403', async () => {
  const r = await send({ path: '/2015-03-31/functions' }, 'header', signer({ accessKeyId: 'AKIANOTKNOWN', secretAccessKey: 'x' }));
  assert.equal(r.status, 403);
  assert.equal(r.type, 'UnrecognizedClientException');
  assert.equal(r.body.message, 'The security token included in the request is invalid.');
});

test('auth: a wrong secret gets InvalidSignatureException 403 with AWS message', async () => {
  const r = await send({ path: '/2015-03-31/functions' }, 'header', signer({ accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' }));
  assert.equal(r.status, 403);
  assert.equal(r.type, 'InvalidSignatureException');
  assert.match(r.body.message, /^The request signature we calculated does not match the signature you provided\./);
});

test('auth: a body changed after signing fails the signature', async () => {
  const s = signer();
  const url = new URL(h.endpoint);
  const signed: any = await s.sign({ method: 'PUT', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/2017-10-31/functions/x/concurrency', query: {}, headers: { host: url.host }, body: '{"ReservedConcurrentExecutions":1}' });
  const headers = { ...signed.headers };
  delete headers.host;
  const res = await fetch(`${h.endpoint}${signed.path}`, { method: 'PUT', headers, body: '{"ReservedConcurrentExecutions":2}' });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
});

test('auth: a signature older than 15 minutes is expired', async () => {
  const r = await send({ path: '/2015-03-31/functions' }, 'header', signer(), new Date(Date.now() - 20 * 60_000));
  assert.equal(r.status, 403);
  assert.equal(r.type, 'InvalidSignatureException');
  assert.match(r.body.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
});

test('auth: a signature scoped to another region is rejected', async () => {
  const r = await send({ path: '/2015-03-31/functions' }, 'header', signer(TEST_CREDENTIALS, 'eu-west-1'));
  assert.equal(r.status, 403);
  assert.equal(r.type, 'InvalidSignatureException');
});

test('auth: an Authorization header without Signature is IncompleteSignatureException 400', async () => {
  const res = await fetch(`${h.endpoint}/2015-03-31/functions`, { headers: { authorization: `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host`, 'x-amz-date': '20260101T000000Z' } });
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('x-amzn-errortype'), 'IncompleteSignatureException');
});

test('api: an unknown path gets a JSON UnknownOperationException naming it', async () => {
  const r = await send({ path: '/2015-03-31/nothing-here' });
  assert.equal(r.status, 404);
  assert.equal(r.type, 'UnknownOperationException');
  assert.match(r.body.message, /GET \/2015-03-31\/nothing-here/);
});

test('api: a model operation Flint does not serve names itself', async () => {
  const r = await send({ path: '/2025-11-30/capacity-providers' });
  assert.equal(r.status, 501);
  assert.equal(r.type, 'UnsupportedOperationException');
  assert.match(r.body.message, /ListCapacityProviders/);
});

test('api: GET /health answers 200 without a signature', async () => {
  const res = await fetch(`${h.endpoint}/health`);
  assert.equal(res.status, 200);
});
