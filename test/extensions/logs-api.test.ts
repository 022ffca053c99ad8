import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { ExtensionsApi } from '../../src/runtime-api/extensions-api.js';
import { TelemetryApi, type TelemetryEvent } from '../../src/runtime-api/telemetry-api.js';
import { systemClock } from '../../src/app/system-clock.js';

/**
 * The Logs API (2020-08-15) beside the Telemetry API, on their own HTTP server with a delivery
 * that records each subscriber's batches: Logs API subscribers get the Logs API's records (no init
 * records, platform.end, no runtimeDone unless schemaVersion 2021-03-18, report without status),
 * Telemetry API subscribers get theirs; subscriptions close with the init; one API per extension.
 */
let server: Server;
let base = '';
const api = new ExtensionsApi({ functionName: 'fn', functionVersion: '$LATEST', handler: 'index.handler', accountId: '123456789012' }, ['tel', 'logs', 'logs-2021', 'late']);
const telemetry = new TelemetryApi(systemClock, (req, res) => api.extensionOf(req, res));
const delivered = new Map<number, TelemetryEvent[]>();
const ids: Record<string, string> = {};

before(async () => {
  server = createServer((req, res) => { if (!telemetry.handle(req, res) && !api.handle(req, res)) res.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  telemetry.deliverWith(async (port, _path, body) => { delivered.set(port, [...(delivered.get(port) ?? []), ...(JSON.parse(body.toString()) as TelemetryEvent[])]); });
  for (const name of ['tel', 'logs', 'logs-2021', 'late']) {
    const r = await fetch(`${base}/2020-01-01/extension/register`, { method: 'POST', headers: { 'Lambda-Extension-Name': name }, body: '{"events":["INVOKE"]}' });
    ids[name] = r.headers.get('lambda-extension-identifier')!;
  }
});
after(() => { telemetry.close(); server.close(); });

const put = (path: string, name: string, body: unknown) => fetch(`${base}${path}`, { method: 'PUT', headers: { 'Lambda-Extension-Identifier': ids[name]! }, body: JSON.stringify(body) });
const destination = (port: number) => ({ protocol: 'HTTP', URI: `http://sandbox.localdomain:${port}/logs` });
const all = ['platform', 'function', 'extension'];

test('a Logs API subscription is validated with Logs.ValidationError', async () => {
  const bad = await put('/2020-08-15/logs', 'logs', { schemaVersion: '2020-08-15', destination: destination(0), types: all });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { errorType: string }).errorType, 'Logs.ValidationError');
  const badSchema = await put('/2020-08-15/logs', 'logs', { schemaVersion: '2022-07-01', destination: destination(5001), types: all });
  assert.equal(badSchema.status, 400);
  assert.equal((await put('/2020-08-15/logs', 'logs', { destination: destination(5001), types: [] })).status, 400);
});

test('during Init both APIs take subscriptions; an extension uses one of them', async () => {
  telemetry.emit('platform', 'platform.initStart', { initializationType: 'on-demand', phase: 'init' });
  assert.equal((await put('/2022-07-01/telemetry', 'tel', { schemaVersion: '2022-12-13', destination: destination(5000), types: all, buffering: { timeoutMs: 25 } })).status, 200);
  const logs = await put('/2020-08-15/logs', 'logs', { destination: destination(5001), types: all, buffering: { timeoutMs: 25 } });
  assert.equal(logs.status, 200);
  assert.equal(await logs.text(), 'OK');
  // Subscribing again is idempotent.
  assert.equal((await put('/2020-08-15/logs', 'logs', { destination: destination(5001), types: all, buffering: { timeoutMs: 25 } })).status, 200);
  assert.equal((await put('/2020-08-15/logs', 'logs-2021', { schemaVersion: '2021-03-18', destination: destination(5002), types: ['platform'], buffering: { timeoutMs: 25 } })).status, 200);
  const other = await put('/2022-07-01/telemetry', 'logs', { destination: destination(5003), types: all });
  assert.equal(other.status, 400);
});

test('after Init, subscriptions are refused with rapid\'s SubscriptionClosed', async () => {
  telemetry.emit('platform', 'platform.initRuntimeDone', { initializationType: 'on-demand', phase: 'init', status: 'success' });
  telemetry.emit('platform', 'platform.initReport', { initializationType: 'on-demand', phase: 'init', status: 'success', metrics: { durationMs: 12.5 } });
  telemetry.endInit();
  const late = await put('/2020-08-15/logs', 'late', { destination: destination(5004), types: all });
  assert.equal(late.status, 403);
  assert.deepEqual(await late.json(), { errorMessage: 'Logs API subscription is closed already', errorType: 'Logs.SubscriptionClosed' });
  const lateTelemetry = await put('/2022-07-01/telemetry', 'late', { destination: destination(5004), types: all });
  assert.equal(((await lateTelemetry.json()) as { errorType: string }).errorType, 'Telemetry.SubscriptionClosed');
});

test('each subscriber gets its own API\'s records of an invocation', async () => {
  telemetry.emit('platform', 'platform.start', { requestId: 'r1', version: '$LATEST', tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1-a-b' } });
  telemetry.emit('function', 'function', 'hello\n');
  telemetry.emit('extension', 'extension', 'from the extension\n');
  telemetry.emit('platform', 'platform.runtimeDone', { requestId: 'r1', status: 'error', metrics: { durationMs: 3, producedBytes: 10 }, spans: [] });
  telemetry.emit('platform', 'platform.end', { requestId: 'r1' });
  telemetry.emit('platform', 'platform.report', { requestId: 'r1', status: 'error', metrics: { durationMs: 3.2, billedDurationMs: 4, memorySizeMB: 128, maxMemoryUsedMB: 40, initDurationMs: 12.5 } });
  await telemetry.flush();
  for (let i = 0; i < 200 && (delivered.get(5002)?.every((e) => e.type !== 'platform.report') ?? true); i++) await new Promise((r) => setTimeout(r, 10));
  const types = (port: number) => (delivered.get(port) ?? []).map((e) => e.type);
  assert.deepEqual(types(5000), ['platform.initStart', 'platform.telemetrySubscription', 'platform.initRuntimeDone', 'platform.initReport', 'platform.start', 'function', 'extension', 'platform.runtimeDone', 'platform.report']);
  // Each subscription is recorded on the platform stream: `logs` also sees the later `logs-2021` one.
  assert.deepEqual(types(5001), ['platform.logsSubscription', 'platform.logsSubscription', 'platform.start', 'function', 'extension', 'platform.end', 'platform.report']);
  // `logs-2021` gets the earlier `logs` subscription's record replayed with the rest of Init.
  assert.deepEqual(types(5002), ['platform.logsSubscription', 'platform.logsSubscription', 'platform.start', 'platform.runtimeDone', 'platform.end', 'platform.report']);
  const rec = (port: number, type: string) => delivered.get(port)!.find((e) => e.type === type)!.record;
  assert.deepEqual(rec(5001, 'platform.start'), { requestId: 'r1', version: '$LATEST' });
  assert.deepEqual(rec(5001, 'platform.report'), { requestId: 'r1', metrics: { durationMs: 3.2, billedDurationMs: 4, memorySizeMB: 128, maxMemoryUsedMB: 40, initDurationMs: 12.5 } });
  assert.deepEqual(rec(5001, 'platform.logsSubscription'), { name: 'logs', state: 'Subscribed', types: all });
  assert.equal(rec(5001, 'extension'), 'from the extension\n');
  // 2021-03-18's runtimeDone: the Telemetry API's `error` is the Logs API's `failure`.
  assert.deepEqual(rec(5002, 'platform.runtimeDone'), { requestId: 'r1', status: 'failure' });
  assert.equal((rec(5000, 'platform.report') as { status: string }).status, 'error');
});
