import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AddPermissionCommand,
  CreateFunctionUrlConfigCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetFunctionUrlConfigCommand,
  type CreateFunctionUrlConfigCommandInput,
} from '@aws-sdk/client-lambda';
import { IAMClient, CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { createAlias, createFunction, publishVersion } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';
import { signedFetch } from '../helpers/signed-fetch.js';
import { expectError } from '../helpers/expect-error.js';

const run = promisify(execFile);
let h: Harness;
let port: string;

/** curl (Debian's) against Flint; `host` puts the URL's host name in the URL, resolved to Flint by --resolve. */
async function curl(url: string, args: string[] = []): Promise<{ status: number; headers: Record<string, string[]>; body: Buffer }> {
  const u = new URL(url);
  const resolve = u.hostname.endsWith('.localhost') ? ['--resolve', `${u.hostname}:${u.port}:127.0.0.1`] : [];
  const { stdout } = await run('curl', ['-sS', '-i', '--http1.1', ...resolve, ...args, url], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  const out = stdout as unknown as Buffer;
  const split = out.indexOf('\r\n\r\n');
  const head = out.subarray(0, split).toString('latin1').split('\r\n');
  const status = Number(head[0]!.split(' ')[1]);
  const headers: Record<string, string[]> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    (headers[line.slice(0, i).toLowerCase()] ??= []).push(line.slice(i + 1).trim());
  }
  return { status, headers, body: out.subarray(split + 4) };
}

/** A function whose output is the request's body parsed as JSON: the test picks what it returns. */
const MIRROR = 'exports.handler = async (e) => { const b = e.isBase64Encoded ? Buffer.from(e.body, "base64").toString() : e.body; return JSON.parse(b); };';

async function url(name: string, extra: Partial<CreateFunctionUrlConfigCommandInput> = {}, opts: { permit?: boolean; qualifier?: string } = {}): Promise<string> {
  const r = await h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE', ...(opts.qualifier ? { Qualifier: opts.qualifier } : {}), ...extra }));
  if (opts.permit !== false && (extra.AuthType ?? 'NONE') === 'NONE') {
    await h.client.send(new AddPermissionCommand({
      FunctionName: name, ...(opts.qualifier ? { Qualifier: opts.qualifier } : {}), StatementId: 'urlPermission', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE',
    }));
  }
  return r.FunctionUrl!;
}

const idOf = (u: string) => new URL(u).hostname.split('.')[0]!;

before(async () => {
  h = await startHarness();
  port = new URL(h.endpoint).port;
  await Promise.all([
    createFunction(h.client, 'echo'),
    createFunction(h.client, 'mirror', { Code: { ZipFile: await makeZip({ 'index.js': MIRROR }) } }),
    createFunction(h.client, 'thrower', { Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async () => { throw new Error("boom"); };' }) } }),
    createFunction(h.client, 'locked'),
    createFunction(h.client, 'iam'),
    createFunction(h.client, 'cors'),
  ]);
});
after(async () => {
  await h.stop();
});

test('url/curl: a NONE URL returns the function response; the function sees AWS payload 2.0 event, every field', async () => {
  const u = await url('echo');
  assert.match(u, new RegExp(`^http://[a-z0-9]{32}\\.lambda-url\\.us-east-1\\.localhost:${port}/$`));
  const id = idOf(u);
  const before = Date.now();
  const r = await curl(`${u}some/path?a=1&b=x%20y&a=2&flag`, [
    '-X', 'POST', '-H', 'content-type: application/json', '-H', 'X-Custom: one', '-H', 'x-custom: two',
    '-H', 'cookie: c1=v1; c2=v2', '-A', 'test-agent/1.0', '--data-binary', '{"k":"v"}',
  ]);
  assert.equal(r.status, 200);
  assert.deepEqual(r.headers['content-type'], ['application/json']);
  const e = JSON.parse(r.body.toString());
  const requestId = r.headers['x-amzn-requestid']![0]!;
  assert.match(requestId, /^[0-9a-f-]{36}$/);
  assert.ok(r.headers['x-amzn-trace-id']![0]!.startsWith('Root=1-'));
  assert.ok(r.headers['date']);
  assert.deepEqual(Object.keys(e), ['version', 'routeKey', 'rawPath', 'rawQueryString', 'cookies', 'headers', 'queryStringParameters', 'requestContext', 'body', 'isBase64Encoded']);
  assert.equal(e.version, '2.0');
  assert.equal(e.routeKey, '$default');
  assert.equal(e.rawPath, '/some/path');
  assert.equal(e.rawQueryString, 'a=1&b=x%20y&a=2&flag');
  assert.deepEqual(e.cookies, ['c1=v1', 'c2=v2']);
  assert.deepEqual(e.queryStringParameters, { a: '1,2', b: 'x y', flag: '' });
  assert.equal(e.headers['x-custom'], 'one,two');
  assert.equal(e.headers['content-type'], 'application/json');
  assert.equal(e.headers['user-agent'], 'test-agent/1.0');
  assert.equal(e.headers['host'], `${id}.lambda-url.us-east-1.localhost:${port}`);
  assert.equal(e.headers['cookie'], undefined);
  assert.equal(e.headers['x-forwarded-proto'], 'http');
  assert.equal(e.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(e.headers['x-forwarded-port'], port);
  // The response names the invocation's trace: the root the function saw, with its segment.
  assert.ok(r.headers['x-amzn-trace-id']![0]!.startsWith(e.headers['x-amzn-trace-id']));
  assert.match(e.headers['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  const c = e.requestContext;
  assert.deepEqual(Object.keys(c), ['accountId', 'apiId', 'domainName', 'domainPrefix', 'http', 'requestId', 'routeKey', 'stage', 'time', 'timeEpoch']);
  assert.equal(c.accountId, 'anonymous');
  assert.equal(c.apiId, id);
  assert.equal(c.domainName, `${id}.lambda-url.us-east-1.localhost`);
  assert.equal(c.domainPrefix, id);
  assert.deepEqual(c.http, { method: 'POST', path: '/some/path', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test-agent/1.0' });
  assert.equal(c.requestId, requestId);
  assert.equal(c.routeKey, '$default');
  assert.equal(c.stage, '$default');
  assert.ok(c.timeEpoch >= before - 1000 && c.timeEpoch <= Date.now() + 1000);
  assert.match(c.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  const d = new Date(c.timeEpoch);
  assert.ok(c.time.startsWith(`${String(d.getUTCDate()).padStart(2, '0')}/${d.toUTCString().split(' ')[2]}/${d.getUTCFullYear()}:`));
  assert.equal(e.body, '{"k":"v"}');
  assert.equal(e.isBase64Encoded, false);
});

test('url/curl: a GET without query, cookies or body leaves those members out', async () => {
  const u = (await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }))).FunctionUrl!;
  const e = JSON.parse((await curl(u)).body.toString());
  assert.deepEqual(Object.keys(e), ['version', 'routeKey', 'rawPath', 'rawQueryString', 'headers', 'requestContext', 'isBase64Encoded']);
  assert.equal(e.rawPath, '/');
  assert.equal(e.rawQueryString, '');
  assert.equal(e.requestContext.http.method, 'GET');
});

test('url/path form: /lambda-url/<id>/<path> reaches the same URL for clients that cannot set Host', async () => {
  const id = idOf((await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }))).FunctionUrl!);
  const r = await curl(`${h.endpoint}/lambda-url/${id}/a/b?x=1`);
  assert.equal(r.status, 200);
  const e = JSON.parse(r.body.toString());
  assert.equal(e.rawPath, '/a/b');
  assert.equal(e.requestContext.http.path, '/a/b');
  assert.equal(e.requestContext.apiId, id);
  const root = JSON.parse((await curl(`${h.endpoint}/lambda-url/${id}`)).body.toString());
  // HEAD: the function runs; the answer has the body's length and no body.
  const head = await curl(`${h.endpoint}/lambda-url/${id}/`, ['-I']);
  assert.equal(head.status, 200);
  assert.ok(Number(head.headers['content-length']![0]) > 0);
  assert.equal(root.rawPath, '/');
  // An id that is no URL: Lambda's 403.
  const none = await curl(`${h.endpoint}/lambda-url/${'z'.repeat(32)}/`);
  assert.equal(none.status, 403);
});

test('url/binary: a binary or untyped body arrives base64 with isBase64Encoded true; text types as text', async () => {
  const u = (await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }))).FunctionUrl!;
  const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const f = join(mkdtempSync(join(tmpdir(), 'url-')), 'b.bin');
  writeFileSync(f, bytes);
  const bin = JSON.parse((await curl(u, ['-H', 'content-type: application/octet-stream', '--data-binary', `@${f}`])).body.toString());
  assert.equal(bin.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(bin.body, 'base64'), bytes);
  const form = JSON.parse((await curl(u, ['--data', 'a=b'])).body.toString());
  assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(form.isBase64Encoded, true);
  assert.equal(Buffer.from(form.body, 'base64').toString(), 'a=b');
  const text = JSON.parse((await curl(u, ['-H', 'content-type: text/plain; charset=utf-8', '--data-binary', 'héllo'])).body.toString());
  assert.equal(text.isBase64Encoded, false);
  assert.equal(text.body, 'héllo');
});

test('url/response: statusCode, headers, cookies, base64 body; plain values → 200 application/json', async () => {
  const u = await url('mirror');
  const send = (value: unknown) => curl(u, ['-H', 'content-type: application/json', '--data-binary', JSON.stringify(value)]);
  const custom = await send({ statusCode: 201, headers: { 'X-Mine': 'yes', 'Content-Type': 'text/plain' }, cookies: ['a=1; Max-Age=60', 'b=2'], body: 'created' });
  assert.equal(custom.status, 201);
  assert.deepEqual(custom.headers['x-mine'], ['yes']);
  assert.deepEqual(custom.headers['content-type'], ['text/plain']);
  assert.deepEqual(custom.headers['set-cookie'], ['a=1; Max-Age=60', 'b=2']);
  assert.equal(custom.body.toString(), 'created');
  const b64 = await send({ statusCode: 200, body: Buffer.from([1, 2, 3]).toString('base64'), isBase64Encoded: true });
  assert.deepEqual(b64.body, Buffer.from([1, 2, 3]));
  assert.deepEqual(b64.headers['content-type'], ['application/json']);
  // Recorded on AWS: a JSON string's value is the body; other JSON values their text; 200 application/json.
  for (const [value, body] of [['hello', 'hello'], [3, '3'], [3.1, '3.1'], [true, 'true'], [['hello', 3, true], '["hello",3,true]'], [{ hello: 'world' }, '{"hello":"world"}']] as const) {
    const r = await send(value);
    assert.equal(r.status, 200, String(value));
    assert.deepEqual(r.headers['content-type'], ['application/json']);
    assert.equal(r.body.toString(), body);
  }
  // A statusCode that is not a status: Lambda's 502.
  const bad = await send({ statusCode: 'abc' });
  assert.equal(bad.status, 502);
  assert.equal(bad.body.toString(), 'Internal Server Error');
});

test('url/errors: a function error is 502 Internal Server Error; the x-amzn-RequestId names the invocation', async () => {
  const u = await url('thrower');
  const r = await curl(u);
  assert.equal(r.status, 502);
  assert.equal(r.body.toString(), 'Internal Server Error');
  assert.match(r.headers['x-amzn-requestid']![0]!, /^[0-9a-f-]{36}$/);
});

test('url/auth NONE: without a resource policy allowing InvokeFunctionUrl the URL answers Lambda\'s 403', async () => {
  const u = await url('locked', {}, { permit: false });
  const r = await curl(u);
  assert.equal(r.status, 403);
  assert.deepEqual(r.headers['x-amzn-errortype'], ['AccessDeniedException']);
  assert.deepEqual(JSON.parse(r.body.toString()), { Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html' });
  // A statement for AWS_IAM does not open a NONE URL.
  await h.client.send(new AddPermissionCommand({ FunctionName: 'locked', StatementId: 'iam', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'AWS_IAM' }));
  assert.equal((await curl(u)).status, 403);
  await h.client.send(new AddPermissionCommand({ FunctionName: 'locked', StatementId: 'none', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
  assert.equal((await curl(u)).status, 200);
});

test('url/auth AWS_IAM: unsigned → 403; SigV4 (curl --aws-sigv4, host form; signed fetch, path form) → the function, with authorizer.iam', async () => {
  const u = await url('iam', { AuthType: 'AWS_IAM' });
  const id = idOf(u);
  const unsigned = await curl(u);
  assert.equal(unsigned.status, 403);
  assert.deepEqual(unsigned.headers['x-amzn-errortype'], ['AccessDeniedException']);
  const signed = await curl(`${u}p?q=1`, ['--aws-sigv4', 'aws:amz:us-east-1:lambda', '--user', `${TEST_CREDENTIALS.accessKeyId}:${TEST_CREDENTIALS.secretAccessKey}`]);
  assert.equal(signed.status, 200, signed.body.toString());
  const e = JSON.parse(signed.body.toString());
  assert.equal(e.requestContext.accountId, '000000000000');
  assert.deepEqual(e.requestContext.authorizer, {
    iam: { accessKey: TEST_CREDENTIALS.accessKeyId, accountId: '000000000000', callerId: '000000000000', cognitoIdentity: null, principalOrgId: null, userArn: 'arn:aws:iam::000000000000:root', userId: '000000000000' },
  });
  const viaPath = await signedFetch(h.endpoint, 'GET', `/lambda-url/${id}/x`);
  assert.equal(viaPath.status, 200);
  assert.equal(viaPath.json.rawPath, '/x');
  // A bad signature is refused like a missing one.
  const forged = await curl(u, ['--aws-sigv4', 'aws:amz:us-east-1:lambda', '--user', `${TEST_CREDENTIALS.accessKeyId}:wrong`]);
  assert.equal(forged.status, 403);
});

test('url/cors: the URL answers preflights from its configuration and adds CORS headers; conflicting function headers give way', async () => {
  const u = await url('cors', { Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET', 'POST'], AllowHeaders: ['x-token'], ExposeHeaders: ['x-out'], MaxAge: 600, AllowCredentials: true } });
  const pre = await curl(u, ['-X', 'OPTIONS', '-H', 'Origin: https://app.example', '-H', 'Access-Control-Request-Method: POST', '-H', 'Access-Control-Request-Headers: x-token']);
  assert.equal(pre.status, 200);
  assert.deepEqual(pre.headers['access-control-allow-origin'], ['https://app.example']);
  assert.deepEqual(pre.headers['access-control-allow-methods'], ['GET,POST']);
  assert.deepEqual(pre.headers['access-control-allow-headers'], ['x-token']);
  assert.deepEqual(pre.headers['access-control-max-age'], ['600']);
  assert.deepEqual(pre.headers['access-control-allow-credentials'], ['true']);
  assert.equal(pre.body.length, 0);
  const other = await curl(u, ['-X', 'OPTIONS', '-H', 'Origin: https://evil.example', '-H', 'Access-Control-Request-Method: POST']);
  assert.equal(other.headers['access-control-allow-origin'], undefined);
  const get = await curl(u, ['-H', 'Origin: https://app.example']);
  assert.equal(get.status, 200);
  assert.deepEqual(get.headers['access-control-allow-origin'], ['https://app.example']);
  assert.deepEqual(get.headers['access-control-expose-headers'], ['x-out']);
  assert.deepEqual(get.headers['access-control-allow-credentials'], ['true']);
  // Conflicting headers: the configuration's win; the function's others stay.
  await createFunction(h.client, 'cors-mirror', { Code: { ZipFile: await makeZip({ 'index.js': MIRROR }) } });
  const m = await url('cors-mirror', { Cors: { AllowOrigins: ['https://app.example'] } });
  const own = await curl(m, ['-H', 'Origin: https://app.example', '-H', 'content-type: application/json', '--data-binary',
    JSON.stringify({ statusCode: 200, headers: { 'Access-Control-Allow-Origin': 'https://fn.example', 'Access-Control-Max-Age': '7' }, body: 'x' })]);
  assert.deepEqual(own.headers['access-control-allow-origin'], ['https://app.example']);
  assert.deepEqual(own.headers['access-control-max-age'], ['7']);
  // Without CORS configured, OPTIONS goes to the function like any method.
  const id = idOf((await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }))).FunctionUrl!);
  const passed = await curl(`${h.endpoint}/lambda-url/${id}/`, ['-X', 'OPTIONS', '-H', 'Origin: https://app.example', '-H', 'Access-Control-Request-Method: POST']);
  assert.equal(JSON.parse(passed.body.toString()).requestContext.http.method, 'OPTIONS');
});

test('url/alias: an alias URL runs the alias\'s version; deleting the alias removes its URL', async () => {
  await createFunction(h.client, 'aliased');
  const v = await publishVersion(h.client, 'aliased');
  await createAlias(h.client, 'aliased', 'live', v);
  const u = await url('aliased', {}, { qualifier: 'live' });
  const r = await curl(u);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body.toString()).version, '2.0');
  await h.client.send(new DeleteAliasCommand({ FunctionName: 'aliased', Name: 'live' }));
  await expectError(h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'aliased', Qualifier: 'live' })), 'ResourceNotFoundException', 404);
  assert.equal((await curl(u)).status, 403);
});

test('url/limits: a body over 6 MB is refused with 413 before the function runs', async () => {
  const u = (await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'echo' }))).FunctionUrl!;
  const big = await fetch(`${h.endpoint}/lambda-url/${idOf(u)}/`, { method: 'POST', body: new Uint8Array(6 * 1024 * 1024 + 1), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(big.status, 413);
  await big.arrayBuffer();
});

test('url/delete function: its URLs go with it', async () => {
  await createFunction(h.client, 'doomed');
  const u = await url('doomed');
  assert.equal((await curl(u)).status, 200);
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'doomed' }));
  assert.equal((await curl(u)).status, 403);
});

test('url/auth AWS_IAM: an IAM user needs lambda:InvokeFunctionUrl with FunctionUrlAuthType AWS_IAM in its identity policy', async () => {
  const u = (await h.client.send(new GetFunctionUrlConfigCommand({ FunctionName: 'iam' }))).FunctionUrl!;
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  try {
    await iam.send(new CreateUserCommand({ UserName: 'caller' }));
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'caller' }))).AccessKey!;
    const call = () => curl(u, ['--aws-sigv4', 'aws:amz:us-east-1:lambda', '--user', `${key.AccessKeyId}:${key.SecretAccessKey}`]);
    assert.equal((await call()).status, 403);
    const policy = (authType: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: `arn:aws:lambda:us-east-1:000000000000:function:iam`, Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': authType } } }] });
    await iam.send(new PutUserPolicyCommand({ UserName: 'caller', PolicyName: 'url', PolicyDocument: policy('NONE') }));
    assert.equal((await call()).status, 403);
    await iam.send(new PutUserPolicyCommand({ UserName: 'caller', PolicyName: 'url', PolicyDocument: policy('AWS_IAM') }));
    const ok = await call();
    assert.equal(ok.status, 200);
    const ctx = JSON.parse(ok.body.toString()).requestContext;
    assert.equal(ctx.authorizer.iam.userArn, 'arn:aws:iam::000000000000:user/caller');
    assert.equal(ctx.authorizer.iam.accessKey, key.AccessKeyId);
    assert.match(ctx.authorizer.iam.userId, /^AIDA/);
  } finally {
    iam.destroy();
  }
});

test('url/throttle: a throttled invocation answers 429', async () => {
  await createFunction(h.client, 'throttled');
  const u = await url('throttled');
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'throttled', ReservedConcurrentExecutions: 0 }));
  const r = await curl(u);
  assert.equal(r.status, 429);
  assert.deepEqual(r.headers['x-amzn-errortype'], ['TooManyRequestsException']);
});
