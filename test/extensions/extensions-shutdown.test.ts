import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { body, invoke, waitActive } from '../invoke/fixture-functions.js';
import { makeZip } from '../helpers/zip.js';
import { CRASH_WHEN_IDLE, crashOnSecondInvoke, publishExtensionLayer, publishLayer, SIGTERM_READER, subscriberExtension, WRAPPER_WITH_AGENT } from './extension-layer-fixtures.js';

/**
 * The rest of Lambda's extension lifecycle, under the isolated (bwrap) driver where the host has
 * it: a Logs API subscriber gets the Logs API's records and the extension's own output on the
 * `extension` stream; the Shutdown phase sends the runtime SIGTERM (with an external extension in
 * front, through the launcher; with an internal one alone, directly); an internal extension
 * registered by an AWS_LAMBDA_EXEC_WRAPPER script gets INVOKE and may not have SHUTDOWN; an
 * extension that crashes after Init fails the invocation with Extension.Crash and the next one
 * gets a new environment.
 */
let h: Harness;
let driver = 'bwrap';

before(async () => {
  try {
    h = await startHarness({ sandbox: 'bwrap' });
  } catch {
    driver = 'process';
    h = await startHarness({ sandbox: 'process' });
  }
});
after(async () => { await h?.stop(); });

async function create(name: string, layers: string[], env: Record<string, string> = {}): Promise<void> {
  await h.client.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Timeout: 10, MemorySize: 256,
    Code: { ZipFile: await makeZip({ 'index.js': SIGTERM_READER }) }, Layers: layers, Environment: { Variables: env },
  }));
  await waitActive(h, name);
}

/** The log stream's lines matching `pattern` (waits for them a little: the end of an environment is asynchronous). */
async function logLines(fn: string, pattern: string): Promise<string[]> {
  const logs = new CloudWatchLogsClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  for (let i = 0; i < 100; i++) {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${fn}`, filterPattern: `"${pattern}"` }));
    if ((r.events ?? []).length > 0) return (r.events ?? []).map((e) => e.message!);
    await new Promise((res) => setTimeout(res, 50));
  }
  return [];
}

async function retire(fn: string): Promise<void> {
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Description: 'retire' }));
  await waitActive(h, fn);
}

type Rec = { type: string; record: unknown };

test(`a Logs API subscriber gets the Logs API's records and the extension's output as extension records; SHUTDOWN comes after the runtime's SIGTERM (${driver})`, async () => {
  const layer = await publishExtensionLayer(h, 'logs-sub', { 'subscriber-ext': subscriberExtension('logs') });
  await create('logs-sub-fn', [layer]);
  const cold = await invoke(h, 'logs-sub-fn', {});
  assert.equal(cold.FunctionError, undefined, Buffer.from(cold.Payload ?? []).toString());
  const warm = await invoke(h, 'logs-sub-fn', {});
  const ids = [cold.$metadata.requestId!, warm.$metadata.requestId!];
  const recs = (body(await invoke(h, 'logs-sub-fn', { waitFor: ids[1] })) as { records: Rec[] }).records;
  const types = recs.map((r) => r.type);
  assert.equal(recs.find((r) => r.type === 'test.subscribed')?.record, 200);
  // The Logs API has no init records and no Telemetry API subscription record.
  for (const t of ['platform.initStart', 'platform.initRuntimeDone', 'platform.initReport', 'platform.telemetrySubscription']) assert.ok(!types.includes(t), `${t} in ${types.join(',')}`);
  assert.deepEqual(recs.find((r) => r.type === 'platform.logsSubscription')?.record, { name: 'subscriber-ext', state: 'Subscribed', types: ['platform', 'function', 'extension'] });
  assert.deepEqual(recs.find((r) => r.type === 'platform.extension')?.record, { name: 'subscriber-ext', state: 'Ready', events: ['INVOKE', 'SHUTDOWN'] });
  for (const id of ids) {
    const of = (t: string) => recs.filter((r) => r.type === t && (r.record as { requestId?: string }).requestId === id).map((r) => r.record as Record<string, unknown>);
    assert.deepEqual(of('platform.start'), [{ requestId: id, version: '$LATEST' }]);
    assert.deepEqual(of('platform.runtimeDone'), [{ requestId: id, status: 'success' }]);
    assert.deepEqual(of('platform.end'), [{ requestId: id }]);
    const report = of('platform.report')[0]!;
    assert.deepEqual(Object.keys(report), ['requestId', 'metrics']);
    assert.equal((report['metrics'] as Record<string, number>)['memorySizeMB'], 256);
    assert.equal((report['metrics'] as Record<string, number>)['initDurationMs'] !== undefined, id === ids[0]);
  }
  // The function's line on the function stream, the extension's on the extension stream only.
  const text = (t: string) => recs.filter((r) => r.type === t).map((r) => String(r.record));
  assert.ok(text('function').some((l) => l.includes('hello from the function')));
  assert.ok(text('extension').some((l) => l.startsWith('EXT subscriber-ext got INVOKE')), JSON.stringify(text('extension')));
  assert.ok(!text('function').some((l) => l.includes('EXT subscriber-ext')));
  // Lambda's EXTENSION line for it in the log stream (rapid's format).
  assert.deepEqual(await logLines('logs-sub-fn', 'EXTENSION'), ['EXTENSION\tName: subscriber-ext\tState: Ready\tEvents: [INVOKE,SHUTDOWN]']);
  // In CloudWatch the extension's line reads as it wrote it (no tag).
  const cw = await logLines('logs-sub-fn', 'EXT subscriber-ext got INVOKE');
  assert.ok(cw.length >= 2 && cw.every((l) => l.startsWith('EXT subscriber-ext got INVOKE')), JSON.stringify(cw));
  // Retiring the environment: the runtime gets SIGTERM, the extension SHUTDOWN with the 2,000 ms window.
  await retire('logs-sub-fn');
  assert.equal((await logLines('logs-sub-fn', '[runtime] SIGTERM received')).length, 1);
  const down = (await logLines('logs-sub-fn', 'EXT subscriber-ext SHUTDOWN'))[0] ?? '';
  const m = /^EXT subscriber-ext SHUTDOWN spindown window (-?\d+)/.exec(down);
  assert.ok(m, down);
  assert.ok(Number(m[1]) > 1_000 && Number(m[1]) <= 2_000, down);
});

// The wrapper's path is /opt/wrapper.sh: only isolated sandboxes mount the layers at /opt.
test('an internal extension from AWS_LAMBDA_EXEC_WRAPPER gets INVOKE, is refused SHUTDOWN, and the runtime gets SIGTERM at shutdown', async (t) => {
  if (driver === 'process') return t.skip('layers are at /opt only in isolated sandboxes');
  const layer = await publishLayer(h, 'wrapper-agent', { 'wrapper.sh': WRAPPER_WITH_AGENT });
  await create('internal-ext-fn', [layer], { AWS_LAMBDA_EXEC_WRAPPER: '/opt/wrapper.sh' });
  const first = await invoke(h, 'internal-ext-fn', {});
  assert.equal(first.FunctionError, undefined, Buffer.from(first.Payload ?? []).toString());
  const out = body(await invoke(h, 'internal-ext-fn', {})) as { shutdownStatus: string; agent: string[] };
  assert.equal(out.shutdownStatus, '403');
  const events = out.agent.map((l) => JSON.parse(l) as { eventType: string; requestId: string });
  assert.equal(events[0]?.eventType, 'INVOKE');
  assert.equal(events[0]?.requestId, first.$metadata.requestId);
  await retire('internal-ext-fn');
  assert.equal((await logLines('internal-ext-fn', '[runtime] SIGTERM received')).length, 1);
});

test('an extension that crashes after Init fails the invocation with Extension.Crash; the next one gets a new environment', async () => {
  const layer = await publishExtensionLayer(h, 'crashy', { crashy: crashOnSecondInvoke() });
  await create('crashy-fn', [layer]);
  const ok = await invoke(h, 'crashy-fn', {});
  assert.equal(ok.FunctionError, undefined, Buffer.from(ok.Payload ?? []).toString());
  const crashed = await invoke(h, 'crashy-fn', {});
  assert.equal(crashed.FunctionError, 'Unhandled');
  const err = body(crashed) as { errorType: string; errorMessage: string };
  assert.equal(err.errorType, 'Extension.Crash');
  assert.match(err.errorMessage, /^RequestId: [0-9a-f-]{36} Error: extension crashy exited: exit status 1$/);
  const again = await invoke(h, 'crashy-fn', {}, { LogType: 'Tail' });
  assert.equal(again.FunctionError, undefined);
  // A new environment: its REPORT has an Init Duration.
  assert.match(Buffer.from(again.LogResult!, 'base64').toString(), /Init Duration: /);
});

test('an extension that posts exit/error and exits after Init fails the invocation with Extension.ExitError', async () => {
  const layer = await publishExtensionLayer(h, 'exit-error', { crashy: crashOnSecondInvoke(true) });
  await create('exit-error-fn', [layer]);
  assert.equal((await invoke(h, 'exit-error-fn', {})).FunctionError, undefined);
  const failed = await invoke(h, 'exit-error-fn', {});
  assert.equal(failed.FunctionError, 'Unhandled');
  assert.equal((body(failed) as { errorType: string }).errorType, 'Extension.ExitError');
});

test('an extension that crashes while the environment is idle resets it: the next invocation starts a new environment', async () => {
  const layer = await publishExtensionLayer(h, 'idle-crash', { 'idle-crash': CRASH_WHEN_IDLE });
  await create('idle-crash-fn', [layer]);
  const first = await invoke(h, 'idle-crash-fn', {});
  assert.equal(first.FunctionError, undefined, Buffer.from(first.Payload ?? []).toString());
  // Flint's note in the stream says when the environment was reset.
  assert.equal((await logLines('idle-crash-fn', 'flint: extension idle-crash exited with code 1 after init')).length, 1);
  const next = await invoke(h, 'idle-crash-fn', {}, { LogType: 'Tail' });
  assert.equal(next.FunctionError, undefined, Buffer.from(next.Payload ?? []).toString());
  assert.match(Buffer.from(next.LogResult!, 'base64').toString(), /Init Duration: /);
});
