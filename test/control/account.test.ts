import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteFunctionCommand,
  DeleteLayerVersionCommand,
  GetAccountSettingsCommand,
  PublishLayerVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionConfigurationCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { startHarness, type Harness } from '../helpers/flint-harness.js';
import { createFunction, waitSettled } from '../helpers/functions.js';
import { makeZip } from '../helpers/zip.js';

let h: Harness;
before(async () => { h = await startHarness({ concurrencyLimit: 400 }); });
after(async () => { await h.stop(); });

const settings = () => h.client.send(new GetAccountSettingsCommand({}));

test('get-account-settings: Lambda\'s limits, the configured concurrency, and an empty account', async () => {
  const s = await settings();
  assert.equal(s.$metadata.httpStatusCode, 200);
  assert.deepEqual(s.AccountLimit, {
    TotalCodeSize: 80_530_636_800,
    CodeSizeUnzipped: 262_144_000,
    CodeSizeZipped: 52_428_800,
    ConcurrentExecutions: 400,
    UnreservedConcurrentExecutions: 400,
  });
  assert.deepEqual(s.AccountUsage, { TotalCodeSize: 0, FunctionCount: 0 });
});

test('get-account-settings: usage counts every function version and layer version; reservations lower the unreserved pool', async () => {
  const s0 = await settings();
  const zip = await makeZip({ 'index.js': 'exports.handler = async (e) => e;' });
  await createFunction(h.client, 'acct-fn');
  const s1 = await settings();
  assert.equal(s1.AccountUsage!.FunctionCount, s0.AccountUsage!.FunctionCount! + 1);
  assert.equal(s1.AccountUsage!.TotalCodeSize, s0.AccountUsage!.TotalCodeSize! + zip.length);
  // Publishing on a code update adds a version whose package counts again.
  await h.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'acct-fn', ZipFile: zip, Publish: true }));
  await waitSettled(h.client, 'acct-fn');
  const s2 = await settings();
  assert.equal(s2.AccountUsage!.TotalCodeSize, s1.AccountUsage!.TotalCodeSize! + zip.length);
  // A configuration change alone adds nothing.
  await h.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'acct-fn', Description: 'changed' }));
  await waitSettled(h.client, 'acct-fn');
  assert.equal((await settings()).AccountUsage!.TotalCodeSize, s2.AccountUsage!.TotalCodeSize);
  const layerZip = await makeZip({ 'python/x.py': 'x = 1\n' });
  await h.client.send(new PublishLayerVersionCommand({ LayerName: 'acct-layer', Content: { ZipFile: layerZip } }));
  await h.client.send(new PublishLayerVersionCommand({ LayerName: 'acct-layer', Content: { ZipFile: layerZip } }));
  const s3 = await settings();
  assert.equal(s3.AccountUsage!.TotalCodeSize, s2.AccountUsage!.TotalCodeSize! + 2 * layerZip.length);
  await h.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'acct-fn', ReservedConcurrentExecutions: 50 }));
  assert.equal((await settings()).AccountLimit!.UnreservedConcurrentExecutions, 350);
  await h.client.send(new DeleteLayerVersionCommand({ LayerName: 'acct-layer', VersionNumber: 1 }));
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'acct-fn' }));
  const s4 = await settings();
  assert.equal(s4.AccountUsage!.FunctionCount, s0.AccountUsage!.FunctionCount);
  assert.equal(s4.AccountUsage!.TotalCodeSize, s0.AccountUsage!.TotalCodeSize! + layerZip.length);
  assert.equal(s4.AccountLimit!.UnreservedConcurrentExecutions, 400, 'a deleted function releases its reservation');
});
