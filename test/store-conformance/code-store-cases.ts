import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CodeStore } from '../../src/ports/code-store.js';
import type { MasterWrappedStore } from '../../src/ports/master-keyring.js';
import { FileMasterKeyring } from '../../src/store/file-master-keyring.js';
import { MasterKeyRotation } from '../../src/store/master-key-rotation.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeZip } from '../helpers/zip.js';

/** A code store under test, opened on a fresh data dir (and, for PostgreSQL, a fresh database). */
export interface CodeStoreSubject {
  code: CodeStore & MasterWrappedStore;
  keyring: FileMasterKeyring;
  clock: FakeClock;
  dataDir: string;
  close(): Promise<void>;
}

/** Opens a store; `reopen` gives a second handle on the same data (another node for PG, a restart for files). */
export type CodeStoreFactory = () => Promise<CodeStoreSubject & { reopen(opts?: { keyring?: FileMasterKeyring }): Promise<CodeStoreSubject> }>;

const zipOf = (marker = randomBytes(6).toString('hex')) => makeZip({ 'index.js': `exports.handler = async () => "${marker}";`, 'lib/data.txt': `data ${marker}` });
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The CodeStore port's promises, run against every implementation (the file store on SQLite and the
 * PostgreSQL store alike): content addressing, idempotent and concurrent puts, validation, extracted
 * trees with their lifetimes, conditional removal for the collector, and master key rotation.
 */
export function runCodeStoreSuite(kind: string, open: CodeStoreFactory): void {
  const it = (name: string, fn: (s: Awaited<ReturnType<CodeStoreFactory>>) => Promise<void>) =>
    test(`code store (${kind}): ${name}`, async () => {
      const s = await open();
      try { await fn(s); } finally { await s.close(); }
    });

  it('put answers the content address, CodeSha256 (base64), sizes; get returns the same bytes', async (s) => {
    const zip = await zipOf('m1');
    const stored = await s.code.put(zip);
    assert.equal(stored.sha256Hex, sha(zip));
    assert.equal(stored.codeSha256, createHash('sha256').update(zip).digest('base64'));
    assert.equal(stored.size, zip.length);
    assert.equal(stored.unzippedSize, 'exports.handler = async () => "m1";'.length + 'data m1'.length);
    assert.ok(s.code.has(stored.sha256Hex));
    assert.deepEqual(await s.code.get(stored.sha256Hex), zip);
    assert.deepEqual(s.code.list(), [{ sha256Hex: stored.sha256Hex, size: zip.length, lastPutAt: s.clock.now() }]);
  });

  it('a second put of the same bytes stores nothing new and moves lastPutAt', async (s) => {
    const zip = await zipOf();
    const first = await s.code.put(zip);
    await s.clock.advance(60_000);
    const second = await s.code.put(zip);
    assert.deepEqual(second, first);
    assert.deepEqual(s.code.list().map((o) => [o.sha256Hex, o.lastPutAt]), [[first.sha256Hex, s.clock.now()]]);
  });

  it('concurrent puts of the same archive all succeed and store it once', async (s) => {
    const zip = await zipOf();
    const results = await Promise.all(Array.from({ length: 6 }, () => s.code.put(zip)));
    assert.equal(new Set(results.map((r) => r.sha256Hex)).size, 1);
    assert.equal(s.code.list().length, 1);
    assert.deepEqual(await s.code.get(results[0]!.sha256Hex), zip);
  });

  it('an archive that does not unzip is refused with Lambda\'s message and nothing is stored', async (s) => {
    await assert.rejects(s.code.put(Buffer.from('not a zip at all')), (err: Error) => err.name === 'InvalidParameterValueException' && /Could not unzip uploaded file/.test(err.message));
    assert.deepEqual(s.code.list(), []);
  });

  it('an unknown archive: has is false and get rejects', async (s) => {
    const missing = sha(Buffer.from('nothing'));
    assert.equal(s.code.has(missing), false);
    await assert.rejects(s.code.get(missing), /not found/);
  });

  it('an acquired tree is shared, lives until its last release, and is extracted again on the next use', async (s) => {
    const stored = await s.code.put(await zipOf('tree'));
    const a = await s.code.acquireExtracted(stored.sha256Hex);
    const b = await s.code.acquireExtracted(stored.sha256Hex);
    assert.equal(a.dir, b.dir);
    assert.equal(readFileSync(join(a.dir, 'lib', 'data.txt'), 'utf8'), 'data tree');
    await a.release();
    await a.release(); // twice is once
    assert.ok(existsSync(a.dir), 'still used by b');
    await b.release();
    assert.ok(!existsSync(a.dir), 'removed with its last user');
    const c = await s.code.acquireExtracted(stored.sha256Hex);
    assert.ok(existsSync(join(c.dir, 'index.js')));
    await c.release();
    const pinned = await s.code.extracted(stored.sha256Hex);
    assert.equal(readFileSync(join(pinned, 'index.js'), 'utf8'), 'exports.handler = async () => "tree";');
  });

  it('remove keeps an object put at or after notPutSince, removes an older one with its tree', async (s) => {
    const stored = await s.code.put(await zipOf());
    const putAt = s.clock.now();
    assert.equal(await s.code.remove(stored.sha256Hex, putAt), false, 'put at the cutoff: kept');
    const dir = await s.code.extracted(stored.sha256Hex);
    await s.clock.advance(1000);
    assert.equal(await s.code.remove(stored.sha256Hex, s.clock.now()), true);
    assert.equal(s.code.has(stored.sha256Hex), false);
    assert.deepEqual(s.code.list(), []);
    assert.ok(!existsSync(dir), 'the extracted tree went with it');
    await assert.rejects(s.code.get(stored.sha256Hex), /not found/);
    assert.equal(await s.code.remove(stored.sha256Hex, s.clock.now()), false, 'already gone');
    const again = await s.code.put(await zipOf('back'));
    assert.ok(s.code.has(again.sha256Hex), 'the store takes uploads after a removal');
  });

  it('a re-upload after the collector\'s cutoff keeps the object', async (s) => {
    const zip = await zipOf();
    const stored = await s.code.put(zip);
    const cutoff = s.clock.now() + 1;
    await s.clock.advance(5000);
    await s.code.put(zip); // re-uploaded while the collector decided
    assert.equal(await s.code.remove(stored.sha256Hex, cutoff), false);
    assert.deepEqual(await s.code.get(stored.sha256Hex), zip);
  });

  it('another master keyring cannot open the objects', async (s) => {
    const stored = await s.code.put(await zipOf());
    const stranger = await s.reopen({ keyring: FileMasterKeyring.open({ kind: 'env', hex: randomBytes(32).toString('hex') }) });
    try {
      await assert.rejects(stranger.code.get(stored.sha256Hex), /unable to authenticate|Unsupported state|unknown master key|master key/i);
    } finally {
      await stranger.close();
    }
  });

  it('master key rotation re-wraps every data key in batches, retires the old key, and every object still opens', async (s) => {
    const zips = await Promise.all(Array.from({ length: 7 }, () => zipOf()));
    for (const z of zips) await s.code.put(z);
    const rotation = new MasterKeyRotation({ keyring: s.keyring, stores: [s.code], batchSize: 3 });
    const started = rotation.rotate();
    assert.deepEqual(started.stale, [{ store: 'code objects', count: 7 }]);
    await rotation.idle();
    const done = rotation.status();
    assert.equal(done.error, undefined);
    assert.deepEqual(done.stale, [{ store: 'code objects', count: 0 }]);
    assert.deepEqual(done.retired.map((r) => r.id), [1]);
    assert.equal(done.rewrapped, 7);
    // A handle opened now (a restart, another node) reads the re-wrapped keys with only the new master key.
    const later = await s.reopen({ keyring: FileMasterKeyring.open({ kind: 'data-dir', dataDir: s.dataDir }) });
    try {
      for (const z of zips) assert.deepEqual(await later.code.get(sha(z)), z);
    } finally {
      await later.close();
    }
  });
}
