import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { ExtensionsApi } from '../../src/runtime-api/extensions-api.js';
import { TelemetryApi } from '../../src/runtime-api/telemetry-api.js';
import { systemClock } from '../../src/app/system-clock.js';

/**
 * The Extensions and Telemetry APIs' wire answers, on their own HTTP server: status codes and error
 * types as AWS's runtime emulator (rapid) gives them.
 */
let server: Server;
let pollerId = '';
let base = '';
// The names an environment would have started from /opt/extensions: every other name registers as internal.
const api = new ExtensionsApi({ functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler', accountId: '123456789012' }, ['plain', 'with-account', 'twice', 'poller', 'ext-from-layer']);
const telemetry = new TelemetryApi(systemClock, (req, res) => api.extensionOf(req, res));

before(async () => {
  server = createServer((req, res) => { if (!telemetry.handle(req, res) && !api.handle(req, res)) res.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => { telemetry.close(); server.close(); });

async function register(name: string | undefined, body: unknown, extra: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/2020-01-01/extension/register`, { method: 'POST', headers: { ...(name ? { 'Lambda-Extension-Name': name } : {}), ...extra }, body: JSON.stringify(body) });
}

test('register answers the function, its identifier, and the account id only to those who accept it', async () => {
  const plain = await register('plain', { events: ['INVOKE'] });
  assert.equal(plain.status, 200);
  assert.match(plain.headers.get('lambda-extension-identifier')!, /^[0-9a-f-]{36}$/);
  assert.deepEqual(await plain.json(), { functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler' });
  const withAccount = await register('with-account', { events: ['SHUTDOWN'] }, { 'Lambda-Extension-Accept-Feature': 'accountId' });
  assert.equal(((await withAccount.json()) as { accountId: string }).accountId, '123456789012');
});

test('register refuses a missing name, a name twice, and unknown event types (rapid\'s 403s)', async () => {
  const missing = await register(undefined, { events: [] });
  assert.equal(missing.status, 403);
  assert.deepEqual(await missing.json(), { errorMessage: 'Empty extension name', errorType: 'Extension.InvalidExtensionName' });
  await register('twice', { events: [] });
  const twice = await register('twice', { events: [] });
  assert.equal(twice.status, 403);
  assert.deepEqual(await twice.json(), { errorMessage: 'Extension with this name already registered', errorType: 'Extension.InvalidExtensionState' });
  const bad = await register('bad-events', { events: ['INVOKE', 'LOGS'] });
  assert.equal(bad.status, 403);
  assert.deepEqual(await bad.json(), { errorMessage: 'LOGS: ErrorInvalidEventType', errorType: 'Extension.InvalidEventType' });
});

test('an internal extension (a name not started from /opt/extensions) cannot subscribe to SHUTDOWN', async () => {
  const external = await register('ext-from-layer', { events: ['INVOKE', 'SHUTDOWN'] });
  assert.equal(external.status, 200);
  const internal = await register('in-process-agent', { events: ['INVOKE', 'SHUTDOWN'] });
  assert.equal(internal.status, 403);
  assert.deepEqual(await internal.json(), { errorMessage: 'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension', errorType: 'Extension.InvalidEventType' });
  assert.equal((await register('in-process-agent', { events: ['INVOKE'] })).status, 200);
  assert.equal(api.isRegistered('in-process-agent'), true);
  assert.ok(api.internalCount >= 1);
});

test('next and the error calls refuse a missing or unknown identifier with 403', async () => {
  const none = await fetch(`${base}/2020-01-01/extension/event/next`);
  assert.equal(none.status, 403);
  const unknown = await fetch(`${base}/2020-01-01/extension/event/next`, { headers: { 'Lambda-Extension-Identifier': '00000000-0000-0000-0000-000000000000' } });
  assert.equal(unknown.status, 403);
  assert.deepEqual(await unknown.json(), { errorMessage: 'Unknown extension 00000000-0000-0000-0000-000000000000', errorType: 'Extension.UnknownExtensionIdentifier' });
  const exitErr = await fetch(`${base}/2020-01-01/extension/exit/error`, { method: 'POST', headers: { 'Lambda-Extension-Identifier': 'nope' } });
  assert.equal(exitErr.status, 403);
});

test('an INVOKE waits for the extension in next; an event dispatched meanwhile is queued', async () => {
  const id = (await register('poller', { events: ['INVOKE', 'SHUTDOWN'] })).headers.get('lambda-extension-identifier')!;
  pollerId = id;
  const next = () => fetch(`${base}/2020-01-01/extension/event/next`, { headers: { 'Lambda-Extension-Identifier': id } }).then((r) => r.json());
  const pending = next();
  while (!api.readyNames.has('poller')) await new Promise((r) => setImmediate(r));
  api.invoke({ requestId: 'r1', deadlineMs: 1000, invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn', traceId: 'Root=1-a-b' });
  assert.deepEqual(await pending, { eventType: 'INVOKE', deadlineMs: 1000, requestId: 'r1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn', tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1-a-b' } });
  api.shutdown('spindown', 2000);
  assert.deepEqual(await next(), { eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs: 2000 });
});

test('at most 10 extensions register (Extension.TooManyExtensions)', async () => {
  for (let i = 0; api.registered < 10; i++) assert.equal((await register(`fill-${i}`, { events: [] })).status, 200);
  const eleventh = await register('one-too-many', { events: [] });
  assert.equal(eleventh.status, 403);
  assert.deepEqual(await eleventh.json(), { errorMessage: 'Extension limit (10) reached', errorType: 'Extension.TooManyExtensions' });
});

test('registration closes with the init', async () => {
  api.closeRegistration();
  const late = await register('late', { events: ['INVOKE'] });
  assert.equal(late.status, 403);
  assert.equal(((await late.json()) as { errorType: string }).errorType, 'Extension.RegistrationClosed');
});

test('a telemetry subscription is validated: identifier, destination at sandbox.localdomain, types, buffering', async () => {
  const put = (headers: Record<string, string>, body: unknown) => fetch(`${base}/2022-07-01/telemetry`, { method: 'PUT', headers, body: JSON.stringify(body) });
  const good = { schemaVersion: '2022-12-13', destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243/t' }, types: ['platform'], buffering: { timeoutMs: 25 } };
  const as = { 'Lambda-Extension-Identifier': pollerId };
  assert.equal((await put({}, good)).status, 403);
  assert.equal((await put(as, { ...good, destination: { protocol: 'HTTP', URI: 'http://example.com:4243/t' } })).status, 400);
  assert.equal((await put(as, { ...good, types: ['platform', 'metrics'] })).status, 400);
  assert.equal((await put(as, { ...good, buffering: { timeoutMs: 5 } })).status, 400);
  const ok = await put(as, good);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'OK');
});
