import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { EncryptedCodeStore } from '../../src/store/encrypted-code-store.js';
import { makeZip } from '../helpers/zip.js';

function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'flint-code-'));
  const meta = new SqliteMetadataStore(join(dir, 'flint.db'));
  const code = new EncryptedCodeStore({ dataDir: dir, masterKey: randomBytes(32), db: meta.db });
  return { dir, meta, code, done: () => { meta.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('code store: archives are stored encrypted, addressed by SHA-256, and read back intact', async () => {
  const s = fresh();
  const zip = await makeZip({ 'index.js': 'exports.handler = async () => "plaintext-marker";' });
  const stored = await s.code.put(zip);
  assert.equal(stored.codeSha256, (await import('node:crypto')).createHash('sha256').update(zip).digest('base64'));
  assert.equal(stored.size, zip.length);
  const objects = readdirSync(join(s.dir, 'code', stored.sha256Hex.slice(0, 2)));
  assert.deepEqual(objects, [`${stored.sha256Hex}.enc`]);
  const onDisk = readFileSync(join(s.dir, 'code', stored.sha256Hex.slice(0, 2), objects[0]!));
  assert.ok(!onDisk.includes(Buffer.from('plaintext-marker')), 'the stored object is not plaintext');
  assert.ok(!onDisk.includes(zip.subarray(0, 30)), 'the stored object is not the zip');
  assert.deepEqual(await s.code.get(stored.sha256Hex), zip);
  s.done();
});

test('code store: concurrent uploads of the same archive store it once and all succeed', async () => {
  const s = fresh();
  const zip = await makeZip({ 'a.txt': 'same' });
  const results = await Promise.all(Array.from({ length: 8 }, () => s.code.put(zip)));
  assert.equal(new Set(results.map((r) => r.sha256Hex)).size, 1);
  assert.equal((s.meta.db.prepare('SELECT COUNT(*) AS n FROM code_objects').get() as { n: number }).n, 1);
  assert.deepEqual(await s.code.get(results[0]!.sha256Hex), zip);
  s.done();
});

test('code store: a different master key cannot open the objects', async () => {
  const s = fresh();
  const stored = await s.code.put(await makeZip({ 'a.txt': 'secret' }));
  const other = new EncryptedCodeStore({ dataDir: s.dir, masterKey: randomBytes(32), db: s.meta.db });
  await assert.rejects(other.get(stored.sha256Hex), /unable to authenticate data|Unsupported state/);
  s.done();
});

test('code store: a stored archive leaves no plaintext tree behind; an acquired tree lives until its last environment releases it', async () => {
  const s = fresh();
  const stored = await s.code.put(await makeZip({ 'index.js': 'exports.handler = 1;' }));
  const tree = join(s.dir, 'cache', 'code', stored.sha256Hex);
  const { existsSync } = await import('node:fs');
  assert.deepEqual(readdirSync(join(s.dir, 'cache', 'code')), [], 'validation extracts into a staging tree that is removed');
  const a = await s.code.acquireExtracted(stored.sha256Hex);
  const b = await s.code.acquireExtracted(stored.sha256Hex);
  assert.equal(a.dir, tree);
  assert.equal(readFileSync(join(tree, 'index.js'), 'utf8'), 'exports.handler = 1;');
  await a.release();
  await a.release(); // twice is once
  assert.ok(existsSync(tree), 'still used by b');
  await b.release();
  assert.ok(!existsSync(tree), 'removed with its last user');
  const c = await s.code.acquireExtracted(stored.sha256Hex);
  assert.ok(existsSync(join(c.dir, 'index.js')), 'extracted again on the next use');
  await c.release();
  s.done();
});

test('code store: trees extracted by an earlier run are removed when the store opens', async () => {
  const s = fresh();
  const stored = await s.code.put(await makeZip({ 'index.js': 'x' }));
  await s.code.extracted(stored.sha256Hex);
  new EncryptedCodeStore({ dataDir: s.dir, masterKey: randomBytes(32), db: s.meta.db });
  assert.deepEqual(readdirSync(join(s.dir, 'cache', 'code')), []);
  s.done();
});
