import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { body, invoke, waitActive } from '../invoke/fixture-functions.js';
import { makeZip } from '../helpers/zip.js';
import { publishExtensionLayer, TELEMETRY_EXTENSION, TELEMETRY_READER } from './extension-layer-fixtures.js';

/**
 * A Telemetry API subscriber (a Node extension from a layer) receives every platform event of a
 * cold and a warm invocation, and the function's log lines, over HTTP at sandbox.localdomain —
 * under the isolated driver where the host has it.
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

type Rec = { type: string; record: Record<string, unknown> & { requestId?: string; metrics?: Record<string, number>; status?: string } };

test('a telemetry subscriber gets the platform events of a cold and a warm invocation', async () => {
  const layer = await publishExtensionLayer(h, 'telemetry', { 'telemetry-ext': TELEMETRY_EXTENSION });
  await h.client.send(new CreateFunctionCommand({
    FunctionName: 'telemetry-fn', Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Timeout: 10, MemorySize: 256,
    Code: { ZipFile: await makeZip({ 'index.js': TELEMETRY_READER }) }, Layers: [layer],
  }));
  await waitActive(h, 'telemetry-fn');
  const cold = await invoke(h, 'telemetry-fn', {});
  assert.equal(cold.FunctionError, undefined, Buffer.from(cold.Payload ?? []).toString());
  const warm = await invoke(h, 'telemetry-fn', {});
  const coldId = cold.$metadata.requestId!;
  const warmId = warm.$metadata.requestId!;
  // A third call waits until the warm invocation's report reached the subscriber.
  const recs = body(await invoke(h, 'telemetry-fn', { waitFor: warmId })) as Rec[];
  const types = recs.map((r) => r.type);
  if (driver === 'bwrap') assert.equal(recs.find((r) => r.type === 'test.resolved')?.record, '127.0.0.1');
  assert.equal(recs.find((r) => r.type === 'test.subscribed')?.record, 200);
  // Init: replayed to the subscription made during init.
  for (const t of ['platform.initStart', 'platform.initRuntimeDone', 'platform.initReport']) assert.equal(types.filter((x) => x === t).length, 1, `${t} in ${types.join(',')}`);
  const initReport = recs.find((r) => r.type === 'platform.initReport')!.record;
  assert.equal(initReport.status, 'success');
  assert.equal(initReport['phase'], 'init');
  for (const id of [coldId, warmId]) {
    const of = (t: string) => recs.filter((r) => r.type === t && r.record.requestId === id);
    assert.equal(of('platform.start').length, 1, `start of ${id}`);
    const done = of('platform.runtimeDone')[0]!.record;
    assert.equal(done.status, 'success');
    assert.ok(done.metrics!['durationMs']! >= 0);
    assert.ok(done.metrics!['producedBytes']! > 0);
    assert.ok(Array.isArray(done['spans']));
    const report = of('platform.report')[0]!.record;
    assert.equal(report.status, 'success');
    assert.equal(report.metrics!['memorySizeMB'], 256);
    assert.ok(report.metrics!['billedDurationMs']! >= 1);
    assert.equal(report.metrics!['initDurationMs'] !== undefined, id === coldId, 'initDurationMs only on the cold report');
  }
  // The function's own lines arrive on the function stream.
  assert.ok(recs.some((r) => r.type === 'function' && String(r.record).includes('hello from the function')));
  for (const r of recs.filter((x) => x.type.startsWith('platform.'))) assert.match(String((r as unknown as { time: string }).time), /^\d{4}-\d\d-\d\dT/);
});
