import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildUrlEvent, inferUrlResponse, isTextContentType, requestTime, type UrlRequestFacts } from '../../src/invoke/function-url-payload.js';

const facts = (over: Partial<UrlRequestFacts> = {}): UrlRequestFacts => ({
  method: 'GET', rawPath: '/', rawQueryString: '', rawHeaders: [], body: Buffer.alloc(0), sourceIp: '10.0.0.1', protocol: 'HTTP/1.1',
  urlId: 'a'.repeat(32), domainName: `${'a'.repeat(32)}.lambda-url.us-east-1.localhost`, requestId: 'rid', nowMs: Date.UTC(2020, 2, 12, 19, 3, 58, 390), accountId: 'anonymous', added: {},
  ...over,
});

test('url payload: requestContext.time is dd/MMM/yyyy:HH:mm:ss +0000 (UTC), as in Lambda\'s example', () => {
  assert.equal(requestTime(Date.UTC(2020, 2, 12, 19, 3, 58, 390)), '12/Mar/2020:19:03:58 +0000');
  assert.equal(requestTime(Date.UTC(2021, 8, 7, 2, 5, 9)), '07/Sep/2021:02:05:09 +0000');
});

test('url payload: text content types pass as text, everything else (none, forms, octets) as base64', () => {
  for (const t of ['text/plain', 'text/html; charset=utf-8', 'application/json', 'Application/JSON;charset=UTF-8', 'application/xml', 'application/javascript', 'application/vnd.api+json', 'image/svg+xml']) assert.ok(isTextContentType(t), t);
  for (const t of [undefined, '', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'image/png']) assert.ok(!isTextContentType(t), String(t));
});

test('url payload: headers lower-cased, repeats comma-joined, cookies split out; added headers never replace the client\'s', () => {
  const e = buildUrlEvent(facts({ rawHeaders: ['X-A', '1', 'x-a', '2', 'Cookie', 'a=1; b=2', 'cookie', 'c=3', 'X-Forwarded-For', 'client'], added: { 'x-forwarded-for': '10.0.0.1', 'x-amzn-trace-id': 'Root=1-x' } }));
  assert.deepEqual(e['headers'], { 'x-a': '1,2', 'x-forwarded-for': 'client', 'x-amzn-trace-id': 'Root=1-x' });
  assert.deepEqual(e['cookies'], ['a=1', 'b=2', 'c=3']);
});

test('url payload: query parameters decoded, repeats comma-joined; an empty query leaves the member out', () => {
  assert.deepEqual(buildUrlEvent(facts({ rawQueryString: 'a=1&a=2&b=%2Fx&c' }))['queryStringParameters'], { a: '1,2', b: '/x', c: '' });
  assert.equal('queryStringParameters' in buildUrlEvent(facts()), false);
});

test('url payload: AWS_IAM requests carry authorizer.iam with null cognitoIdentity and principalOrgId', () => {
  const iam = { accessKey: 'AKIA', accountId: '111122223333', callerId: 'AIDA', userArn: 'arn:aws:iam::111122223333:user/u', userId: 'AIDA' };
  const ctx = buildUrlEvent(facts({ iam, accountId: '000000000000' }))['requestContext'] as Record<string, unknown>;
  assert.deepEqual(ctx['authorizer'], { iam: { ...iam, cognitoIdentity: null, principalOrgId: null } });
  assert.equal(ctx['accountId'], '000000000000');
});

test('url response: inference of structured, plain and malformed outputs', () => {
  const s = inferUrlResponse(Buffer.from(JSON.stringify({ statusCode: 404, headers: { 'X-N': 5 }, body: 'nf' })))!;
  assert.deepEqual({ ...s, body: s.body.toString() }, { statusCode: 404, headers: { 'x-n': '5', 'content-type': 'application/json' }, cookies: [], body: 'nf' });
  assert.equal(inferUrlResponse(Buffer.from('{"statusCode":204}'))!.body.length, 0);
  assert.equal(inferUrlResponse(Buffer.from('null'))!.body.toString(), 'null');
  assert.equal(inferUrlResponse(Buffer.from('{"a":1}'))!.statusCode, 200);
  for (const bad of ['not json', '{"statusCode":"200"}', '{"statusCode":99}', '{"statusCode":200,"headers":[1]}', '{"statusCode":200,"headers":{"a":{"b":1}}}', '{"statusCode":200,"cookies":"a=1"}']) {
    assert.equal(inferUrlResponse(Buffer.from(bad)), undefined, bad);
  }
});
