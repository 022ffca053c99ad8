import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { decode as cborDecode, encode as cborEncode } from 'cbor-x';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { signedFetch } from '../helpers/signed-fetch.js';

/*
 * One port, many services: the credential scope picks the service, the request's shape its
 * protocol, and every answer — success or failure — comes in that protocol's own form.
 */

let h: Harness;
const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false });
const form = (params: Record<string, string>) => ({ body: new URLSearchParams(params).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } });

before(async () => { h = await startHarness(); });
after(async () => { await h.stop(); });

test('front door: an STS query request answers XML with its Result wrapper and request id', async () => {
  const r = await signedFetch(h.endpoint, 'POST', '/', { service: 'sts', ...form({ Action: 'GetCallerIdentity', Version: '2011-06-15' }) });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/xml');
  const doc = xml.parse(r.text);
  assert.equal(doc.GetCallerIdentityResponse.GetCallerIdentityResult.Arn, 'arn:aws:iam::000000000000:root');
  assert.equal(doc.GetCallerIdentityResponse.ResponseMetadata.RequestId, r.headers.get('x-amzn-requestid'));
});

test('front door: IAM errors are <ErrorResponse> documents with the query code (NoSuchEntity 404)', async () => {
  const r = await signedFetch(h.endpoint, 'POST', '/', { service: 'iam', ...form({ Action: 'GetUser', Version: '2010-05-08', UserName: 'nobody' }) });
  assert.equal(r.status, 404);
  const doc = xml.parse(r.text);
  assert.equal(doc.ErrorResponse.Error.Code, 'NoSuchEntity');
  assert.equal(doc.ErrorResponse.Error.Type, 'Sender');
  assert.equal(doc.ErrorResponse.RequestId, r.headers.get('x-amzn-requestid'));
});

test('front door: an unknown query Action is InvalidAction, and a model violation ValidationError, in XML', async () => {
  const bad = await signedFetch(h.endpoint, 'POST', '/', { service: 'iam', ...form({ Action: 'MakeCoffee', Version: '2010-05-08' }) });
  assert.equal(bad.status, 400);
  assert.equal(xml.parse(bad.text).ErrorResponse.Error.Code, 'InvalidAction');
  const invalid = await signedFetch(h.endpoint, 'POST', '/', { service: 'iam', ...form({ Action: 'CreateUser', Version: '2010-05-08', UserName: 'bad name!' }) });
  assert.equal(invalid.status, 400);
  const err = xml.parse(invalid.text).ErrorResponse.Error;
  assert.equal(err.Code, 'ValidationError');
  assert.match(err.Message, /at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
});

test('front door: a bad signature on an IAM request is SignatureDoesNotMatch in XML', async () => {
  const r = await fetch(h.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-amz-date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''),
      authorization: `AWS4-HMAC-SHA256 Credential=AKIATESTFLINT0000001/${new Date().toISOString().slice(0, 10).replace(/-/g, '')}/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`,
    },
    body: 'Action=ListUsers&Version=2010-05-08',
  });
  assert.equal(r.status, 403);
  assert.equal(xml.parse(await r.text()).ErrorResponse.Error.Code, 'SignatureDoesNotMatch');
});

test('front door: a json-protocol service Flint models but has not built answers UnsupportedOperationException naming operation and service', async () => {
  const r = await signedFetch(h.endpoint, 'POST', '/', { service: 'kms', body: '{}', headers: { 'x-amz-target': 'TrentService.DescribeCustomKeyStores', 'content-type': 'application/x-amz-json-1.1' } });
  assert.equal(r.status, 501);
  assert.equal(r.json.__type, 'UnsupportedOperationException');
  assert.match(r.json.message, /DescribeCustomKeyStores operation of KMS is not supported/);
  const unknown = await signedFetch(h.endpoint, 'POST', '/', { service: 'kms', body: '{}', headers: { 'x-amz-target': 'TrentService.Brew', 'content-type': 'application/x-amz-json-1.1' } });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.__type, 'UnknownOperationException');
});

test('front door: CloudWatch over smithy-rpc-v2-cbor answers in CBOR (an unbuilt operation too)', async () => {
  const cbor = (op: string) => signedFetch(h.endpoint, 'POST', `/service/GraniteServiceVersion20100801/operation/${op}`, {
    service: 'monitoring', body: Buffer.from(cborEncode({})), headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', accept: 'application/cbor' },
  });
  const r = await cbor('ListMetrics');
  assert.equal(r.headers.get('smithy-protocol'), 'rpc-v2-cbor');
  assert.equal(r.status, 200);
  assert.deepEqual(cborDecode(r.bytes).Metrics, []);
  // Alarms are not built: the front door's answer, still in CBOR.
  const alarms = await cbor('DescribeAlarms');
  assert.equal(alarms.status, 501);
  assert.equal(cborDecode(alarms.bytes).__type, 'UnsupportedOperationException');
});

test('front door: a service Flint does not serve is named in a clear error', async () => {
  const r = await signedFetch(h.endpoint, 'GET', '/', { service: 's3' });
  assert.equal(r.status, 400);
  assert.equal(r.json.__type, 'UnknownServiceException');
  assert.match(r.json.message, /does not serve the AWS service 's3'.*It serves: lambda, iam, sts/);
});

test('front door: an unsigned query request to STS is MissingAuthenticationToken in XML', async () => {
  const r = await fetch(h.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=GetCallerIdentity&Version=2011-06-15' });
  assert.equal(r.status, 403);
  assert.equal(xml.parse(await r.text()).ErrorResponse.Error.Code, 'MissingAuthenticationToken');
});

test('front door: a signed GET /2018-10-31/layers?find=LayerVersion without Arn is a validation error, not a 500', async () => {
  const r = await signedFetch(h.endpoint, 'GET', '/2018-10-31/layers', { query: 'find=LayerVersion' });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get('x-amzn-errortype'), 'ValidationException');
  assert.match(r.json.message, /Value null at 'arn' failed to satisfy constraint: Member must not be null/);
});

test('front door: gzip request bodies are inflated after the signature is checked', async () => {
  const { gzipSync } = await import('node:zlib');
  const body = gzipSync(Buffer.from(new URLSearchParams({ Action: 'GetCallerIdentity', Version: '2011-06-15' }).toString()));
  const r = await signedFetch(h.endpoint, 'POST', '/', { service: 'sts', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' } });
  assert.equal(r.status, 200);
  assert.match(r.text, /<Arn>arn:aws:iam::000000000000:root<\/Arn>/);
});
