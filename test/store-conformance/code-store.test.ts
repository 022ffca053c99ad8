import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import yazl from 'yazl';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { EncryptedCodeStore } from '../../src/store/encrypted-code-store.js';
import { FileMasterKeyring } from '../../src/store/file-master-keyring.js';
import { PgCodeStore, type PgCodeStoreOptions } from '../../src/store/pg/pg-code-store.js';
import { PgSyncClient } from '../../src/store/pg/pg-sync-client.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { until } from '../helpers/until.js';
import { makeZip } from '../helpers/zip.js';
import { runCodeStoreSuite, type CodeStoreFactory } from './code-store-cases.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'flint-codestore-'));

runCodeStoreSuite('files + SQLite', async () => {
  const dataDir = tmp();
  const clock = new FakeClock();
  const meta = new SqliteMetadataStore(join(dataDir, 'flint.db'));
  const keyring = FileMasterKeyring.open({ kind: 'data-dir', dataDir });
  const code = new EncryptedCodeStore({ dataDir, keyring, db: meta.db, now: () => clock.now() });
  return {
    code, keyring, clock, dataDir,
    async reopen(opts = {}) {
      const k = opts.keyring ?? keyring;
      return { code: new EncryptedCodeStore({ dataDir, keyring: k, db: meta.db, now: () => clock.now() }), keyring: k as FileMasterKeyring, clock, dataDir, close: async () => {} };
    },
    async close() { meta.close(); rmSync(dataDir, { recursive: true, force: true }); },
  };
});

describe('PostgreSQL code store', { skip: postgresSkipReason }, () => {
  let server: TestPostgres;
  const cleanups: Array<() => Promise<void>> = [];
  before(async () => { server = await startPostgres({ fsync: false }); });
  after(async () => {
    for (const c of cleanups.splice(0)) await c().catch(() => undefined);
    await server?.stop();
  });

  /** A node: its own data dir (disk cache), the shared database and cluster keyring. */
  async function node(databaseUrl: string, keyringDir: string, clock: FakeClock, extra: Partial<PgCodeStoreOptions> = {}, keyring?: FileMasterKeyring) {
    const dataDir = tmp();
    const k = keyring ?? FileMasterKeyring.open({ kind: 'data-dir', dataDir: keyringDir });
    const code = await PgCodeStore.open({ databaseUrl, dataDir, keyring: k, clock, ...extra });
    return { code, keyring: k, dataDir, close: async () => { await code.close(); rmSync(dataDir, { recursive: true, force: true }); } };
  }

  /** Two nodes on a fresh database (each test group gets its own). */
  async function cluster(extra: Partial<PgCodeStoreOptions> = {}) {
    const url = await server.createDatabase();
    const keyringDir = tmp();
    const clock = new FakeClock();
    const a = await node(url, keyringDir, clock, extra);
    const b = await node(url, keyringDir, clock, extra);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const close = async () => { await a.close(); await b.close(); await db.end(); rmSync(keyringDir, { recursive: true, force: true }); };
    return { url, keyringDir, clock, a, b, db, close };
  }

  const factory: CodeStoreFactory = async () => {
    const url = await server.createDatabase();
    const keyringDir = tmp();
    const clock = new FakeClock();
    const n = await node(url, keyringDir, clock);
    return {
      code: n.code, keyring: n.keyring, clock, dataDir: keyringDir,
      async reopen(opts = {}) {
        const other = await node(url, keyringDir, clock, {}, opts.keyring);
        return { code: other.code, keyring: other.keyring, clock, dataDir: keyringDir, close: other.close };
      },
      async close() { await n.close(); rmSync(keyringDir, { recursive: true, force: true }); },
    };
  };
  runCodeStoreSuite('PostgreSQL', factory);

  const it = (name: string, fn: (c: Awaited<ReturnType<typeof cluster>>) => Promise<void>, extra: Partial<PgCodeStoreOptions> = {}) =>
    test(`code store (PostgreSQL, two nodes): ${name}`, async () => {
      const c = await cluster(extra);
      try { await fn(c); } finally { await c.close(); }
    });

  it('an archive put on node A is listed and extracted on node B, fetched once, then read from B\'s disk copy', async ({ a, b }) => {
    const zip = await makeZip({ 'index.js': 'exports.handler = async () => "from A";' });
    const stored = await a.code.put(zip);
    await until(() => b.code.has(stored.sha256Hex));
    assert.deepEqual(b.code.list().map((o) => o.sha256Hex), [stored.sha256Hex]);
    const dir = await b.code.extracted(stored.sha256Hex);
    assert.equal(readFileSync(join(dir, 'index.js'), 'utf8'), 'exports.handler = async () => "from A";');
    assert.ok(dir.startsWith(b.dataDir), 'extracted on B\'s disk');
    assert.deepEqual(b.code.cacheStats(), { hits: 0, fetched: 1, rejected: 0 });
    assert.deepEqual(await b.code.get(stored.sha256Hex), zip);
    assert.deepEqual(b.code.cacheStats(), { hits: 1, fetched: 1, rejected: 0 });
    assert.ok(existsSync(join(b.dataDir, 'cache', 'code-objects', `${stored.sha256Hex}.sealed`)));
  });

  it('a tampered disk copy on node B is detected, never used, and fetched again', async ({ a, b }) => {
    const zip = await makeZip({ 'index.js': 'exports.handler = async () => "genuine";' });
    const stored = await a.code.put(zip);
    assert.deepEqual(await b.code.get(stored.sha256Hex), zip);
    const copy = join(b.dataDir, 'cache', 'code-objects', `${stored.sha256Hex}.sealed`);
    const bytes = readFileSync(copy);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(copy, bytes);
    assert.deepEqual(await b.code.get(stored.sha256Hex), zip);
    assert.deepEqual(b.code.cacheStats(), { hits: 0, fetched: 2, rejected: 1 });
    assert.notDeepEqual(readFileSync(copy), bytes, 'the copy was replaced');
    writeFileSync(copy, bytes.subarray(0, 100)); // truncated
    const acquired = await b.code.acquireExtracted(stored.sha256Hex);
    assert.equal(readFileSync(join(acquired.dir, 'index.js'), 'utf8'), 'exports.handler = async () => "genuine";');
    await acquired.release();
    assert.deepEqual(b.code.cacheStats(), { hits: 0, fetched: 3, rejected: 2 });
  });

  it('concurrent puts of the same archive from two nodes both succeed and store one object', async ({ a, b, db }) => {
    const zip = await bigZip(1.5 * 1024 * 1024);
    const [ra, rb] = await Promise.all([a.code.put(zip), b.code.put(zip)]);
    assert.deepEqual(ra, rb);
    const objects = await db.query('SELECT chunk_count FROM code_objects');
    assert.equal(objects.rows.length, 1);
    const chunks = await db.query('SELECT count(*)::int AS n FROM code_chunks');
    assert.equal(chunks.rows[0].n, objects.rows[0].chunk_count);
    assert.equal(objects.rows[0].chunk_count, 2);
    assert.deepEqual(await a.code.get(ra.sha256Hex), zip);
    assert.deepEqual(await b.code.get(ra.sha256Hex), zip);
  });

  it('chunk boundaries: exactly one chunk, one byte over, and a 50 MiB archive (Lambda\'s zip limit) read back on the other node', async ({ a, b, db }) => {
    const chunk = 512 * 1024;
    for (const [size, chunks] of [[chunk, 1], [chunk + 1, 2]] as const) {
      const zip = await zipOfSize(size);
      assert.equal(zip.length, size);
      const stored = await a.code.put(zip);
      const row = await db.query('SELECT chunk_count, size FROM code_objects WHERE sha256 = $1', [stored.sha256Hex]);
      assert.deepEqual(row.rows[0], { chunk_count: chunks, size: String(size) });
      assert.deepEqual(await b.code.get(stored.sha256Hex), zip);
    }
    const big = await zipOfSize(50 * 1024 * 1024); // Lambda's largest zip upload: 100 chunks exactly
    const stored = await a.code.put(big);
    const n = await db.query('SELECT count(*)::int AS n, max(length(data)) AS max FROM code_chunks WHERE sha256 = $1', [stored.sha256Hex]);
    assert.equal(n.rows[0].n, 100);
    assert.equal(n.rows[0].max, chunk + 28);
    const dir = await b.code.extracted(stored.sha256Hex);
    assert.ok(existsSync(join(dir, 'blob.bin')));
    assert.deepEqual(await b.code.get(stored.sha256Hex), big);
  }, { chunkSize: 512 * 1024 });

  it('at rest: neither the chunks in PostgreSQL nor a node\'s disk copy hold the zip\'s plaintext', async ({ a, b, db }) => {
    const marker = `plaintext-marker-${randomBytes(8).toString('hex')}`;
    const zip = await storedZip({ 'index.js': `exports.handler = async () => "${marker}";` });
    assert.ok(zip.includes(Buffer.from(marker)), 'the zip itself holds the marker (stored, not deflated)');
    const stored = await a.code.put(zip);
    const { rows } = await db.query('SELECT data FROM code_chunks WHERE sha256 = $1', [stored.sha256Hex]);
    assert.equal(rows.length, 1);
    for (const r of rows as Array<{ data: Buffer }>) {
      assert.ok(!r.data.includes(Buffer.from(marker)));
      assert.ok(!r.data.includes(zip.subarray(0, 30)));
    }
    const key = await db.query('SELECT wrapped_key FROM code_objects');
    assert.ok(key.rows[0].wrapped_key.length > 32, 'only the wrapped data key is stored');
    await b.code.get(stored.sha256Hex);
    const copy = readFileSync(join(b.dataDir, 'cache', 'code-objects', `${stored.sha256Hex}.sealed`));
    assert.ok(!copy.includes(Buffer.from(marker)), 'the disk copy is sealed too');
  });

  it('a removal on node A reaches node B: gone from its index and its disk copy dropped', async ({ a, b, clock }) => {
    const stored = await a.code.put(await makeZip({ 'index.js': 'x' }));
    await b.code.get(stored.sha256Hex);
    const copy = join(b.dataDir, 'cache', 'code-objects', `${stored.sha256Hex}.sealed`);
    assert.ok(existsSync(copy));
    await clock.advance(1000);
    assert.equal(await a.code.remove(stored.sha256Hex, clock.now()), true);
    await until(() => !b.code.has(stored.sha256Hex) && !existsSync(copy));
    await assert.rejects(b.code.get(stored.sha256Hex), /not found/);
  });

  it('a re-upload on node B after node A\'s collector cutoff keeps the object', async ({ a, b, clock }) => {
    const zip = await makeZip({ 'index.js': 'kept' });
    const stored = await a.code.put(zip);
    const cutoff = clock.now() + 1;
    await clock.advance(1000);
    await b.code.put(zip);
    assert.equal(await a.code.remove(stored.sha256Hex, cutoff), false);
    await until(() => a.code.list()[0]?.lastPutAt === clock.now());
  });

  it('chunks swapped in PostgreSQL do not open: a reader fails rather than run altered code', async ({ a, b, db }) => {
    const zip = await zipOfSize(512 * 1024 + 100);
    const stored = await a.code.put(zip);
    await db.query('UPDATE code_chunks SET idx = 1 - idx + 100 WHERE sha256 = $1', [stored.sha256Hex]);
    await db.query('UPDATE code_chunks SET idx = idx - 100 WHERE sha256 = $1', [stored.sha256Hex]);
    await assert.rejects(b.code.get(stored.sha256Hex), /unable to authenticate|wrong length/);
    assert.equal(existsSync(join(b.dataDir, 'cache', 'code-objects', `${stored.sha256Hex}.sealed`)), false, 'nothing cached');
  }, { chunkSize: 512 * 1024 });

  it('a node whose listening connection is cut reconnects and catches up on what it missed', async ({ a, b, clock, db }) => {
    const before = await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'flint-code-listener'");
    assert.equal(before.rows[0].n, 2);
    await db.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'flint-code-listener'");
    const stored = await a.code.put(await makeZip({ 'index.js': 'put while nobody listened' }));
    // The reconnect waits a second on the store's clock: move it until both nodes listen again.
    await until(async () => {
      await clock.advance(1000);
      const n = await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'flint-code-listener'");
      return n.rows[0].n === 2 && b.code.has(stored.sha256Hex);
    });
    const later = await a.code.put(await makeZip({ 'index.js': 'announced again' }));
    await until(() => b.code.has(later.sha256Hex));
  });

  it('a node\'s disk copies stay within their bound: the least recently used goes and is fetched again on its next use', async ({ a, b }) => {
    const zips = await Promise.all([1, 2, 3].map(() => zipOfSize(600 * 1024)));
    const [x, y, z] = await Promise.all(zips.map((zip) => a.code.put(zip)));
    const copy = (s: { sha256Hex: string }) => join(b.dataDir, 'cache', 'code-objects', `${s.sha256Hex}.sealed`);
    await b.code.get(x!.sha256Hex);
    await b.code.get(y!.sha256Hex);
    await b.code.get(x!.sha256Hex); // x used after y: y is now the oldest
    await b.code.get(z!.sha256Hex);
    assert.deepEqual([x, y, z].map((s) => existsSync(copy(s!))), [true, false, true]);
    assert.deepEqual(b.code.cacheStats(), { hits: 1, fetched: 3, rejected: 0 });
    assert.deepEqual(await b.code.get(y!.sha256Hex), zips[1]);
    assert.deepEqual(b.code.cacheStats(), { hits: 1, fetched: 4, rejected: 0 });
  }, { cacheMaxBytes: 1300 * 1024 });

  it('a store on a shared pool with a sync client: has() finds a row its index has not heard of yet', async ({ url, keyringDir, clock, b, db }) => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const sync = new PgSyncClient(url);
    const cacheDir = tmp();
    const c = new PgCodeStore({ pool, sync, cacheDir, keyring: FileMasterKeyring.open({ kind: 'data-dir', dataDir: keyringDir }), clock });
    try {
      await c.start();
      // A row written without the announcement a put makes (as if its notification were lost).
      const sha = 'ab'.repeat(32);
      await db.query("INSERT INTO code_objects VALUES ($1, 10, 20, '\\x00', 524288, 1, now(), $2)", [sha, clock.now()]);
      assert.equal(b.code.has(sha), false, 'the index alone has not heard of it');
      assert.equal(c.has(sha), true, 'the sync lookup finds it');
      assert.deepEqual(c.list().map((o) => o.sha256Hex), [sha], 'and the index keeps it');
      assert.equal(c.has('cd'.repeat(32)), false);
    } finally {
      await c.close();
      sync.close();
      await pool.end();
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

/** A zip of exactly `size` bytes: one stored (not deflated) entry padded to fit. */
async function zipOfSize(size: number): Promise<Buffer> {
  const overhead = (await storedZip({ 'blob.bin': Buffer.alloc(0) })).length;
  return storedZip({ 'blob.bin': randomBytes(size - overhead) });
}

/** About `size` bytes of incompressible data in a zip with a handler. */
async function bigZip(size: number): Promise<Buffer> {
  return storedZip({ 'index.js': 'exports.handler = async () => 1;', 'blob.bin': randomBytes(size) });
}

/** A zip whose entries are stored, not deflated: sizes are exact and plaintext is visible in it. */
async function storedZip(files: Record<string, Buffer | string>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [p, v] of Object.entries(files)) zip.addBuffer(Buffer.isBuffer(v) ? v : Buffer.from(v), p, { mode: 0o100644, compress: false, mtime: new Date(0) });
  zip.end();
  const parts: Buffer[] = [];
  for await (const c of zip.outputStream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
