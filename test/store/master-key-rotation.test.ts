import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { EncryptedCodeStore } from '../../src/store/encrypted-code-store.js';
import { FileMasterKeyring } from '../../src/store/file-master-keyring.js';
import { MasterKeyRotation } from '../../src/store/master-key-rotation.js';
import type { MasterWrappedStore } from '../../src/ports/master-keyring.js';
import { makeZip } from '../helpers/zip.js';

function open(dir: string) {
  const meta = new SqliteMetadataStore(join(dir, 'flint.db'));
  const keyring = FileMasterKeyring.open({ kind: 'data-dir', dataDir: dir });
  const code = new EncryptedCodeStore({ dataDir: dir, keyring, db: meta.db });
  return { meta, keyring, code };
}

async function putMany(code: EncryptedCodeStore, n: number): Promise<Array<{ sha: string; zip: Buffer }>> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const zip = await makeZip({ 'index.js': `exports.n = ${i}; // ${randomBytes(4).toString('hex')}` });
    out.push({ sha: (await code.put(zip)).sha256Hex, zip });
  }
  return out;
}

test('key rotation: every code data key is re-wrapped under the new key in bounded batches, then the old key is retired', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-rot-'));
  const s = open(dir);
  const objects = await putMany(s.code, 25);
  const batches: number[] = [];
  const counting: MasterWrappedStore = { name: s.code.name, countStale: () => s.code.countStale(), rewrapStale: (n) => { const done = s.code.rewrapStale(n); batches.push(done); return done; } };
  const rotation = new MasterKeyRotation({ keyring: s.keyring, stores: [counting], batchSize: 10 });
  const status = rotation.rotate();
  assert.equal(status.current, 2);
  assert.deepEqual(status.stale, [{ store: 'code objects', count: 25 }]);
  // Reads keep working in the middle of it.
  assert.deepEqual(await s.code.get(objects[0]!.sha), objects[0]!.zip);
  await rotation.idle();
  assert.ok(batches.every((b) => b <= 10), `bounded batches: ${batches.join(',')}`);
  const after = rotation.status();
  assert.deepEqual(after.keys.map((k) => [k.id, k.state]), [[2, 'current']]);
  assert.deepEqual(after.retired.map((r) => r.id), [1]);
  assert.deepEqual(after.stale, [{ store: 'code objects', count: 0 }]);
  assert.equal(after.rewrapped, 25);
  for (const o of objects) assert.deepEqual(await s.code.get(o.sha), o.zip);
  s.meta.close();
  rmSync(dir, { recursive: true, force: true });
});

test('key rotation: the old key is kept while any store still reports stale blobs', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-rot-'));
  const s = open(dir);
  await putMany(s.code, 3);
  let stuck = 2;
  const stubborn: MasterWrappedStore = { name: 'kms keys', countStale: () => stuck, rewrapStale: () => 0 };
  const rotation = new MasterKeyRotation({ keyring: s.keyring, stores: [s.code, stubborn] });
  rotation.rotate();
  await rotation.idle();
  const st = rotation.status();
  assert.deepEqual(st.keys.map((k) => [k.id, k.state]), [[1, 'retiring'], [2, 'current']], 'key 1 not retired');
  assert.match(st.error ?? '', /kms keys reports 2 stale blob\(s\)/);
  stuck = 0;
  rotation.start();
  await rotation.idle();
  assert.deepEqual(rotation.status().keys.map((k) => k.id), [2]);
  s.meta.close();
  rmSync(dir, { recursive: true, force: true });
});

test('key rotation: a restart in the middle resumes from the durable state and finishes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-rot-'));
  let s = open(dir);
  const objects = await putMany(s.code, 12);
  const first = new MasterKeyRotation({ keyring: s.keyring, stores: [s.code], batchSize: 5 });
  first.rotate();
  await first.stop(); // the process "dies" after at most one batch
  assert.ok(s.code.countStale() > 0, 'unfinished');
  s.meta.close();
  s = open(dir);
  const resumed = new MasterKeyRotation({ keyring: s.keyring, stores: [s.code], batchSize: 5 });
  assert.deepEqual(resumed.status().keys.map((k) => [k.id, k.state]), [[1, 'retiring'], [2, 'current']]);
  resumed.start();
  await resumed.idle();
  assert.deepEqual(resumed.status().keys.map((k) => k.id), [2]);
  for (const o of objects) assert.deepEqual(await s.code.get(o.sha), o.zip);
  s.meta.close();
  rmSync(dir, { recursive: true, force: true });
});

test('key rotation: code stored before master keys had ids (master.key, headerless wrapped keys) still opens and is rotated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-rot-'));
  const legacyKey = randomBytes(32);
  writeFileSync(join(dir, 'master.key'), legacyKey.toString('hex') + '\n', { mode: 0o600 });
  let s = open(dir);
  const [obj] = await putMany(s.code, 1);
  // Rewrite the row the way the previous code store wrapped it: iv ‖ tag ‖ ct, no header, no AAD.
  const dataKey = s.keyring.unwrap((s.meta.db.prepare('SELECT wrapped_key FROM code_objects').get() as { wrapped_key: Buffer }).wrapped_key, `flint code object ${obj!.sha}`);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', legacyKey, iv);
  const ct = Buffer.concat([c.update(dataKey), c.final()]);
  s.meta.db.prepare('UPDATE code_objects SET wrapped_key = ?').run(Buffer.concat([iv, c.getAuthTag(), ct]));
  s.meta.close();
  s = open(dir);
  assert.deepEqual(await s.code.get(obj!.sha), obj!.zip, 'read as master key 0');
  const rotation = new MasterKeyRotation({ keyring: s.keyring, stores: [s.code] });
  rotation.rotate();
  await rotation.idle();
  assert.deepEqual(rotation.status().retired.map((r) => r.id), [0]);
  assert.deepEqual(await s.code.get(obj!.sha), obj!.zip);
  s.meta.close();
  rmSync(dir, { recursive: true, force: true });
});

test('key rotation: measured — re-wrapping 2000 code data keys', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-rot-'));
  const s = open(dir);
  const insert = s.meta.db.prepare('INSERT INTO code_objects (sha256, size, unzipped_size, wrapped_key, created_at, last_put_at) VALUES (?, 1, 1, ?, ?, 0)');
  s.meta.db.transaction(() => {
    for (let i = 0; i < 2000; i++) {
      const sha = randomBytes(32).toString('hex');
      insert.run(sha, s.keyring.wrap(randomBytes(32), `flint code object ${sha}`), new Date().toISOString());
    }
  })();
  const rotation = new MasterKeyRotation({ keyring: s.keyring, stores: [s.code], batchSize: 100 });
  const t0 = performance.now();
  // The event loop keeps turning while it runs: count the turns.
  let turns = 0;
  const ticker = setInterval(() => turns++, 0);
  rotation.rotate();
  await rotation.idle();
  clearInterval(ticker);
  const ms = performance.now() - t0;
  assert.equal(s.code.countStale(), 0);
  assert.ok(turns > 5, `timers ran during the rotation (${turns})`);
  process.stdout.write(`# rotation of 2000 code data keys: ${ms.toFixed(0)} ms, ${turns} timer turns in between\n`);
  s.meta.close();
  rmSync(dir, { recursive: true, force: true });
});
