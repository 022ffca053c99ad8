import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startHarness, TEST_CREDENTIALS, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { body, invoke, waitActive } from '../invoke/fixture-functions.js';
import { makeZip } from '../helpers/zip.js';
import { CRASHING_EXTENSION, nodeExtension, publishExtensionLayer, READER_FUNCTION, SHELL_EXTENSION } from './extension-layer-fixtures.js';

/**
 * External extensions from layers through Lambda's whole lifecycle: register, INVOKE per
 * invocation, SHUTDOWN when the environment ends; a crash in init is Extension.Crash; an extension
 * that never comes back to next runs the invocation into its timeout. Under the isolated (bwrap)
 * driver where the host has it, else the process driver.
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

async function createWithLayers(name: string, layers: string[], timeout = 10): Promise<void> {
  await h.client.send(new CreateFunctionCommand({
    FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Timeout: timeout,
    Code: { ZipFile: await makeZip({ 'index.js': READER_FUNCTION }) }, Layers: layers,
  }));
  await waitActive(h, name);
}

async function logText(group: string, pattern: string): Promise<string> {
  const logs = new CloudWatchLogsClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  for (let i = 0; i < 100; i++) {
    const r = await logs.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: `"${pattern}"` }));
    if ((r.events ?? []).length > 0) return (r.events ?? []).map((e) => e.message).join('');
    await new Promise((res) => setTimeout(res, 50));
  }
  return '';
}

test(`a shell and a Node extension get INVOKE per invocation and SHUTDOWN when the environment ends (${driver})`, async () => {
  const layer = await publishExtensionLayer(h, 'ext-pair', { 'shell-ext': SHELL_EXTENSION, 'node-ext': nodeExtension() });
  await createWithLayers('ext-pair-fn', [layer]);
  const first = await invoke(h, 'ext-pair-fn', {});
  assert.equal(first.FunctionError, undefined, Buffer.from(first.Payload ?? []).toString());
  const secondOut = await invoke(h, 'ext-pair-fn', {});
  // An invocation ends only once each extension is back in next, so by the third invocation both
  // have recorded the first two INVOKE events (the third's races its handler).
  const third = body(await invoke(h, 'ext-pair-fn', {}));
  const second = third;
  const invokes = (list: { eventType?: string; requestId?: string }[]) => list.filter((e) => e.eventType === 'INVOKE');
  const ids = [first.$metadata.requestId, secondOut.$metadata.requestId];
  assert.deepEqual(invokes(third.shell).slice(0, 2).map((e) => e.requestId), ids, JSON.stringify(third.shell));
  assert.deepEqual(invokes(third.node).slice(0, 2).map((e) => e.requestId), ids, JSON.stringify(third.node));
  const ev = invokes(second.node)[1]!;
  assert.match(String(ev.requestId), /^[0-9a-f-]{36}$/);
  assert.match(String((ev as { invokedFunctionArn?: string }).invokedFunctionArn), /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:ext-pair-fn$/);
  assert.equal((ev as { tracing?: { type: string } }).tracing?.type, 'X-Amzn-Trace-Id');
  assert.ok(Number.isInteger((ev as { deadlineMs?: number }).deadlineMs));
  // The registration answer, with the account id the Node extension asked for.
  const reg = (second.node[0] as { registered: Record<string, string> }).registered;
  assert.equal(reg.functionName, 'ext-pair-fn');
  assert.equal(reg.functionVersion, '$LATEST');
  assert.equal(reg.handler, 'index.handler');
  assert.match(reg.accountId!, /^\d{12}$/);
  // A configuration change retires the environment: both extensions hear SHUTDOWN (spindown).
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'ext-pair-fn', Description: 'retire' }));
  await waitActive(h, 'ext-pair-fn');
  const shellDown = await logText('/aws/lambda/ext-pair-fn', 'EXT shell-ext {\\"eventType\\":\\"SHUTDOWN\\"');
  const text = shellDown || await logText('/aws/lambda/ext-pair-fn', 'SHUTDOWN');
  assert.match(text, /SHUTDOWN/);
  assert.match(await logText('/aws/lambda/ext-pair-fn', 'spindown'), /"shutdownReason":"spindown"/);
});

test('an extension that exits before registering fails the init with Extension.Crash', async () => {
  const layer = await publishExtensionLayer(h, 'ext-crash', { crashing: CRASHING_EXTENSION });
  await createWithLayers('ext-crash-fn', [layer]);
  const r = await invoke(h, 'ext-crash-fn', {});
  assert.equal(r.FunctionError, 'Unhandled');
  assert.equal(body(r).errorType, 'Extension.Crash');
});

test('an extension that never calls next again runs the invocation into the function timeout', async () => {
  const layer = await publishExtensionLayer(h, 'ext-stuck', { 'node-ext': nodeExtension('never-next-again') });
  await createWithLayers('ext-stuck-fn', [layer], 2);
  const r = await invoke(h, 'ext-stuck-fn', {});
  assert.equal(r.FunctionError, 'Unhandled');
  assert.match(body(r).errorMessage, /Task timed out after 2(\.00)? seconds/);
});

test('an extension still working after the reply holds the invocation and is published as PostRuntimeExtensionsDuration', async () => {
  const layer = await publishExtensionLayer(h, 'ext-slow', { 'node-ext': nodeExtension('slow') });
  await createWithLayers('ext-slow-fn', [layer]);
  const start = Date.now() - 60_000;
  const r = await invoke(h, 'ext-slow-fn', {}, { LogType: 'Tail' });
  assert.equal(r.FunctionError, undefined);
  await invoke(h, 'ext-slow-fn', {});
  const cw = new CloudWatchClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS });
  let stats: { Sum?: number; SampleCount?: number } | undefined;
  for (let i = 0; i < 100 && !stats; i++) {
    const out = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'PostRuntimeExtensionsDuration', Dimensions: [{ Name: 'FunctionName', Value: 'ext-slow-fn' }], StartTime: new Date(start), EndTime: new Date(Date.now() + 60_000), Period: 3600, Statistics: ['Sum', 'SampleCount'] }));
    stats = out.Datapoints?.[0];
    if (!stats) await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(stats, 'PostRuntimeExtensionsDuration published');
  assert.equal(stats.SampleCount, 2);
  assert.ok(stats.Sum! > 0);
  // A function without extensions publishes none.
  const none = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'AWS/Lambda', MetricName: 'PostRuntimeExtensionsDuration', Dimensions: [{ Name: 'FunctionName', Value: 'ext-crash-fn' }], StartTime: new Date(start), EndTime: new Date(Date.now() + 60_000), Period: 3600, Statistics: ['Sum'] }));
  assert.equal(none.Datapoints?.length ?? 0, 0);
});

test('an extension that reports init/error fails the init with Extension.InitError', async () => {
  const script = `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
ID=$(curl -s -D - -o /dev/null -X POST -H 'Lambda-Extension-Name: failing' -d '{"events":["INVOKE"]}' "$API/register" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
curl -s -X POST -H "Lambda-Extension-Identifier: $ID" -H 'Lambda-Extension-Function-Error-Type: Extension.ConfigInvalid' -d '{"errorMessage":"bad config","errorType":"ConfigInvalid"}' "$API/init/error"
sleep 5
`;
  const layer = await publishExtensionLayer(h, 'ext-initerr', { failing: script });
  await createWithLayers('ext-initerr-fn', [layer]);
  const r = await invoke(h, 'ext-initerr-fn', {});
  assert.equal(r.FunctionError, 'Unhandled');
  assert.equal(body(r).errorType, 'Extension.InitError');
});

test('an extension file that cannot be executed (missing interpreter) fails the init with Extension.LaunchError', async () => {
  const layer = await publishExtensionLayer(h, 'ext-launch', { unlaunchable: '#!/nonexistent/interpreter\necho never\n' });
  await createWithLayers('ext-launch-fn', [layer]);
  const r = await invoke(h, 'ext-launch-fn', {});
  assert.equal(r.FunctionError, 'Unhandled');
  assert.equal(body(r).errorType, 'Extension.LaunchError');
});
