import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteLayerVersionCommand,
  GetAccountSettingsCommand,
  InvokeCommand,
  PublishLayerVersionCommand,
  type CreateFunctionCommandInput,
} from '@aws-sdk/client-lambda';
import { startHarness, TEST_ROLE, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { waitSettled } from '../helpers/functions.js';
import { CodeCollector } from '../../src/control/code-collector.js';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { EncryptedCodeStore } from '../../src/store/encrypted-code-store.js';

/**
 * Code storage is freed once nothing references it, as Lambda frees TotalCodeSize when functions,
 * versions and layer versions are deleted. Archives are shared by content, so one is removed only
 * when no function version and no layer version names it.
 */
let h: Harness;
before(async () => {
  // No schedule and no grace period: each test sweeps by hand.
  h = await startHarness({ codeCollectionMs: 0 });
});
after(async () => { await h.stop(); });

const hex = (zip: Buffer) => createHash('sha256').update(zip).digest('hex');
const objectFile = (zip: Buffer) => join(h.dataDir, 'code', hex(zip).slice(0, 2), `${hex(zip)}.enc`);
const cacheDir = (zip: Buffer) => join(h.dataDir, 'cache', 'code', hex(zip));
const create = async (name: string, zip: Buffer, extra: Partial<CreateFunctionCommandInput> = {}) => {
  await h.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Role: TEST_ROLE, Handler: 'index.handler', Code: { ZipFile: zip }, ...extra }));
  await waitSettled(h.client, name);
};
const codeUsed = async () => (await h.client.send(new GetAccountSettingsCommand({}))).AccountUsage!.TotalCodeSize!;

test('code collector: a shared archive stays while any function uses it and goes with the last one; the same bytes can be uploaded again', async () => {
  const tag = randomBytes(4).toString('hex');
  const shared = await makeZip({ 'index.js': `exports.handler = async () => 'shared ${tag}';` });
  await create('gc-a', shared);
  await create('gc-b', shared, { Publish: true });
  // Extracted trees exist only while an environment uses them; the stored object is what counts.
  assert.ok(existsSync(objectFile(shared)));

  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'gc-a' }));
  const kept = await h.app.codeCollector.sweep();
  assert.equal(kept.removed, 0, 'gc-b ($LATEST and version 1) still uses it');
  assert.ok(existsSync(objectFile(shared)));

  const before = await codeUsed();
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'gc-b' }));
  const swept = await h.app.codeCollector.sweep();
  assert.equal(swept.removed, 1);
  assert.equal(swept.removedBytes, shared.length);
  assert.ok(!existsSync(objectFile(shared)), 'encrypted archive removed');
  assert.ok(!existsSync(cacheDir(shared)), 'extracted tree removed');
  assert.equal(before - (await codeUsed()), 2 * shared.length, 'TotalCodeSize no longer counts $LATEST and version 1');

  // Uploading the same bytes again stores them anew and the function runs.
  await create('gc-c', shared);
  const r = await h.client.send(new InvokeCommand({ FunctionName: 'gc-c' }));
  assert.equal(r.FunctionError, undefined);
  assert.equal(Buffer.from(r.Payload!).toString(), JSON.stringify(`shared ${tag}`));
  assert.ok(existsSync(objectFile(shared)));
  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'gc-c' }));
  assert.equal((await h.app.codeCollector.sweep()).removed, 1);
});

test('code collector: a deleted layer version keeps its archive while a function still uses it', async () => {
  const layer = await makeZip({ 'nodejs/node_modules/gc-lib/index.js': `module.exports = '${randomBytes(4).toString('hex')}';` });
  const fn = await makeZip({ 'index.js': `exports.handler = async () => require('gc-lib');` });
  const published = await h.client.send(new PublishLayerVersionCommand({ LayerName: 'gc-layer', Content: { ZipFile: layer } }));
  await create('gc-with-layer', fn, { Layers: [published.LayerVersionArn!] });
  await h.client.send(new DeleteLayerVersionCommand({ LayerName: 'gc-layer', VersionNumber: published.Version! }));

  assert.equal((await h.app.codeCollector.sweep()).removed, 0);
  assert.ok(existsSync(objectFile(layer)), 'the function still names the layer archive');
  const r = await h.client.send(new InvokeCommand({ FunctionName: 'gc-with-layer' }));
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload!).toString());

  await h.client.send(new DeleteFunctionCommand({ FunctionName: 'gc-with-layer' }));
  const swept = await h.app.codeCollector.sweep();
  assert.equal(swept.removed, 2, 'the function archive and the layer archive');
  assert.ok(!existsSync(objectFile(layer)) && !existsSync(objectFile(fn)));
});

test('code collector: an unreferenced archive is kept for the grace period after its last upload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-gc-'));
  let now = 1_000_000;
  const store = new SqliteMetadataStore(join(dir, 'flint.db'));
  const code = new EncryptedCodeStore({ dataDir: dir, masterKey: randomBytes(32), db: store.db, now: () => now });
  const collector = new CodeCollector({ store, code, clock: { now: () => now, monotonic: () => now } }, { graceMs: 60_000 });
  try {
    const zip = await makeZip({ 'a.txt': 'grace' });
    const stored = await code.put(zip);
    now += 30_000;
    assert.equal((await collector.sweep()).removed, 0, 'uploaded 30 s ago');
    now += 31_000;
    assert.equal((await collector.sweep()).removed, 1, 'unreferenced for 61 s');
    assert.equal(code.has(stored.sha256Hex), false);

    await code.put(zip);
    now += 50_000;
    await code.put(zip); // re-uploaded: CreateFunction may be about to name it
    now += 20_000;
    assert.equal((await collector.sweep()).removed, 0, 'last upload 20 s ago');
    now += 41_000;
    assert.equal((await collector.sweep()).removed, 1);
    assert.deepEqual(code.list(), []);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
