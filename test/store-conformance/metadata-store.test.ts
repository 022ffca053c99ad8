import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import type { MetadataStore } from '../../src/ports/metadata-store.js';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { PgMetadataStore } from '../../src/store/pg/pg-metadata-store.js';
import { PgSyncClient } from '../../src/store/pg/pg-sync-client.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/**
 * One suite for every MetadataStore driver: SQLite (single node) and PostgreSQL (cluster). Then
 * the cases only a shared database has: two nodes writing, the read cache across nodes, and a
 * database that stops answering.
 */
let server: TestPostgres | undefined;
before(async () => { if (!postgresSkipReason) server = await startPostgres({ fsync: false }); });
after(async () => { await server?.stop(); });

interface Driver {
  name: string;
  skip: string | undefined;
  open(): Promise<{ store: MetadataStore; done(): void }>;
}

const drivers: Driver[] = [
  {
    name: 'sqlite',
    skip: undefined,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'flint-meta-'));
      const store = new SqliteMetadataStore(join(dir, 'flint.db'));
      return { store, done: () => { store.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    async open() {
      const store = new PgMetadataStore(await server!.createDatabase());
      return { store, done: () => store.close() };
    },
  },
];

for (const d of drivers) {
  describe(`metadata store (${d.name})`, { skip: d.skip }, () => {
    let store: MetadataStore;
    let done: () => void;
    before(async () => ({ store, done } = await d.open()));
    after(() => done());

    test('get returns what put stored, as a fresh object each time; absent keys are undefined', () => {
      const c = store.collection<{ a: number; nested: { s: string } }>('get-put');
      assert.equal(c.get('x'), undefined);
      c.put('x', { a: 1, nested: { s: 'é\u0000✓' } });
      const first = c.get('x')!;
      assert.deepEqual(first, { a: 1, nested: { s: 'é\u0000✓' } });
      first.a = 99;
      assert.equal(c.get('x')!.a, 1, 'a caller mutating its copy does not change the stored document');
      c.put('x', { a: 2, nested: { s: '' } });
      assert.deepEqual(c.get('x'), { a: 2, nested: { s: '' } });
    });

    test('documents keep their JSON key order and values exactly (no jsonb normalisation)', () => {
      const c = store.collection<unknown>('exact');
      const doc = { z: 1, a: [3, 1, 2], m: { y: null, b: 1.5, big: 12345678901234 }, t: true, s: 'x"y\\' };
      c.put('k', doc);
      assert.equal(JSON.stringify(c.get('k')), JSON.stringify(doc));
    });

    test('collections are separate namespaces', () => {
      store.collection('ns-a').put('k', 1);
      store.collection('ns-b').put('k', 2);
      assert.equal(store.collection('ns-a').get('k'), 1);
      assert.equal(store.collection('ns-b').get('k'), 2);
      assert.equal(store.collection('ns-a').count(), 1);
    });

    test('list is in byte order of the key (U+0000 separators, case, non-ASCII)', () => {
      const c = store.collection<number>('order');
      const keys = ['b', 'a', 'B', 'a\u0000z', 'a\u0000b', 'ab', 'é', 'z', '~', 'a\u0001', '😀', '\uffee'];
      keys.forEach((k, i) => c.put(k, i));
      const bytewise = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      assert.deepEqual(c.list().map((r) => r.key), bytewise);
      assert.equal(c.count(), keys.length);
    });

    test('list and count by prefix take only keys starting with it', () => {
      const c = store.collection<string>('prefix');
      for (const k of ['fn\u00001', 'fn\u00002', 'fn\u0000$LATEST', 'fn2\u00001', 'fn', 'fo', 'f']) c.put(k, k);
      assert.deepEqual(c.list('fn\u0000').map((r) => r.key), ['fn\u0000$LATEST', 'fn\u00001', 'fn\u00002']);
      assert.deepEqual(c.list('fn').map((r) => r.key), ['fn', 'fn\u0000$LATEST', 'fn\u00001', 'fn\u00002', 'fn2\u00001']);
      assert.equal(c.count('fn\u0000'), 3);
      assert.equal(c.count('nothing'), 0);
      assert.deepEqual(c.list('nothing'), []);
      assert.deepEqual(c.list('fn\u00001')[0], { key: 'fn\u00001', value: 'fn\u00001' });
    });

    test('list pages with after (exclusive) and limit', () => {
      const c = store.collection<number>('pages');
      for (let i = 0; i < 25; i++) c.put(`p${String(i).padStart(2, '0')}`, i);
      const seen: number[] = [];
      let afterKey: string | undefined;
      for (;;) {
        const page = c.list('p', { ...(afterKey === undefined ? {} : { after: afterKey }), limit: 10 });
        if (page.length === 0) break;
        assert.ok(page.length <= 10);
        seen.push(...page.map((r) => r.value));
        afterKey = page[page.length - 1]!.key;
      }
      assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => i));
      assert.deepEqual(c.list('p', { after: 'p23' }).map((r) => r.key), ['p24']);
      assert.deepEqual(c.list('p', { after: 'p0' }).length, 25, 'after need not be a stored key');
      assert.deepEqual(c.list('p', { limit: 2 }).map((r) => r.key), ['p00', 'p01']);
    });

    test('insert adds only new keys: false (and no change) when the key exists', () => {
      const c = store.collection<string>('insert');
      assert.equal(c.insert('k', 'first'), true);
      assert.equal(c.insert('k', 'second'), false);
      assert.equal(c.get('k'), 'first');
      assert.equal(store.transaction(() => c.insert('k', 'third')), false);
      assert.equal(store.transaction(() => c.insert('k2', 'new')), true);
    });

    test('delete returns whether something was deleted', () => {
      const c = store.collection<number>('delete');
      c.put('k', 1);
      assert.equal(c.delete('k'), true);
      assert.equal(c.delete('k'), false);
      assert.equal(c.get('k'), undefined);
      assert.deepEqual(c.list(), []);
    });

    test('transaction commits every write and returns fn\'s value; a throw rolls all of them back', () => {
      const c = store.collection<number>('tx');
      assert.equal(store.transaction(() => { c.put('a', 1); c.put('b', 2); return 'ok'; }), 'ok');
      assert.throws(() => store.transaction(() => {
        c.put('a', 10);
        c.delete('b');
        c.insert('c', 3);
        assert.equal(c.get('a'), 10, 'reads inside see the transaction\'s own writes');
        assert.equal(c.count(), 2);
        throw new Error('boom');
      }), /boom/);
      assert.deepEqual(c.list(), [{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    });

    test('a nested transaction joins the outer one: its failure, when caught, rolls back only its part', () => {
      const c = store.collection<number>('nested');
      store.transaction(() => {
        c.put('outer', 1);
        assert.throws(() => store.transaction(() => { c.put('inner', 2); throw new Error('inner'); }), /inner/);
        store.transaction(() => c.put('inner-ok', 3));
      });
      assert.deepEqual(c.list().map((r) => r.key), ['inner-ok', 'outer']);
      assert.throws(() => store.transaction(() => { store.transaction(() => c.put('gone', 4)); throw new Error('outer'); }), /outer/);
      assert.equal(c.get('gone'), undefined, 'the outer rollback takes the committed nested part with it');
    });

    test('transaction refuses an async function (the lock cannot be held across an await)', () => {
      const c = store.collection<number>('async-tx');
      assert.throws(() => store.transaction((async () => { c.put('k', 1); }) as () => unknown), TypeError);
      assert.equal(c.get('k'), undefined);
    });
  });
}

describe('metadata store (postgres): two nodes on one database', { skip: postgresSkipReason }, () => {
  test('read-modify-write transactions from two processes never lose an update', async (t) => {
    const url = await server!.createDatabase();
    const rounds = 150;
    const store = new PgMetadataStore(url);
    const counters = store.collection<{ n: number; by: string[] }>('counters');
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'pg-counter.ts'), url, String(rounds)], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const lines = (async function* () { for await (const chunk of child.stdout) yield String(chunk); })();
      assert.match((await lines.next()).value as string, /ready/);
      const finished = once(child, 'exit');
      child.stdin.write('go\n');
      for (let i = 0; i < rounds; i++) {
        store.transaction(() => {
          const c = counters.get('c') ?? { n: 0, by: [] };
          counters.put('c', { n: c.n + 1, by: [...c.by, 'main'] });
        });
      }
      const [code] = await finished;
      assert.equal(code, 0);
      await store.refresh();
      const final = counters.get('c')!;
      assert.equal(final.n, 2 * rounds);
      assert.equal(final.by.length, 2 * rounds);
      const switches = final.by.filter((who, i) => i > 0 && who !== final.by[i - 1]).length;
      t.diagnostic(`writers alternated ${switches} times`);
    } finally {
      child.kill();
      store.close();
    }
  });

  test('reads are cached; refresh() drops the cache once another node committed', async () => {
    const url = await server!.createDatabase();
    const a = new PgMetadataStore(url);
    const b = new PgMetadataStore(url);
    try {
      const ca = a.collection<string>('fn');
      const cb = b.collection<string>('fn');
      cb.put('f', 'v1');
      assert.equal(ca.get('f'), 'v1');
      assert.equal(ca.count(), 1);
      cb.put('f', 'v2');
      cb.put('g', 'v1');
      assert.equal(ca.get('f'), 'v1', 'served from the cache until refreshed');
      assert.equal(ca.count(), 1);
      await a.refresh();
      assert.equal(ca.get('f'), 'v2');
      assert.equal(ca.count(), 2);
      assert.equal(a.version, b.version);
      const before = a.version;
      await a.refresh();
      assert.equal(a.version, before, 'no commit, no change');
      // Inside a transaction reads go to the database, not the cache.
      cb.put('f', 'v3');
      assert.equal(ca.get('f'), 'v2');
      assert.equal(a.transaction(() => ca.get('f')), 'v3');
      // Own commits drop the own cache at once.
      ca.put('h', 'mine');
      assert.equal(ca.get('f'), 'v3');
    } finally {
      a.close();
      b.close();
    }
  });

  test('volatile collections: read fresh, and their writes leave the version and other nodes\' caches alone', async () => {
    const url = await server!.createDatabase();
    const a = new PgMetadataStore(url);
    const b = new PgMetadataStore(url);
    try {
      const fnA = a.collection<string>('fn');
      b.collection<string>('fn').put('f', 'v1');
      await a.refresh();
      assert.equal(fnA.get('f'), 'v1');
      const version = b.version;
      const usageA = a.collection<number>('usage', { volatile: true });
      const usageB = b.collection<number>('usage', { volatile: true });
      b.transaction(() => usageB.put('m', (usageB.get('m') ?? 0) + 1));
      usageB.put('n', 5);
      assert.equal(b.version, version, 'volatile writes do not move the config version');
      assert.equal(usageA.get('m'), 1, 'read from PG, not a cache');
      assert.equal(usageA.count(), 2);
      b.transaction(() => usageB.put('m', (usageB.get('m') ?? 0) + 1));
      assert.equal(usageA.get('m'), 2);
      assert.deepEqual(usageA.list().map((r) => r.value), [2, 5]);
      // A's cached configuration is still valid and still served: a config write by B is not seen
      // until refreshed, and a mixed transaction moves the version as any configuration write.
      b.collection<string>('fn').put('f', 'v2');
      assert.equal(fnA.get('f'), 'v1');
      await a.refresh();
      assert.equal(fnA.get('f'), 'v2');
      const before = b.version;
      b.transaction(() => { usageB.put('m', 0); b.collection<string>('fn').put('g', 'x'); });
      assert.equal(b.version, before + 1);
    } finally {
      a.close();
      b.close();
    }
  });

  test('refresh() sees every commit made before it was called, also while an earlier refresh is in flight', async () => {
    const url = await server!.createDatabase();
    const a = new PgMetadataStore(url);
    const b = new PgMetadataStore(url);
    try {
      await a.refresh(); // the refresh pool is connected: the next read goes out at once
      for (let i = 0; i < 20; i++) {
        assert.equal(a.collection('fn').get('f'), i === 0 ? undefined : i - 1);
        const inFlight = a.refresh();
        // Let the read go out, and PG answer it, before the commit: its answer (the old version)
        // waits unread in the socket while this thread is blocked.
        await new Promise((r) => setImmediate(r));
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 30);
        b.collection('fn').put('f', i);
        await a.refresh();
        assert.equal(a.collection('fn').get('f'), i, `round ${i}`);
        await inFlight;
      }
    } finally {
      a.close();
      b.close();
    }
  });

  test('startRefreshing keeps a node\'s cache within the interval of other nodes\' commits', async () => {
    const url = await server!.createDatabase();
    const a = new PgMetadataStore(url);
    const b = new PgMetadataStore(url);
    try {
      b.collection('fn').put('f', 1);
      assert.equal(a.collection('fn').get('f'), 1);
      b.collection('fn').put('f', 2);
      a.startRefreshing(20);
      for (let i = 0; i < 500 && a.collection('fn').get('f') !== 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(a.collection('fn').get('f'), 2);
    } finally {
      a.close();
      b.close();
    }
  });

  test('a lost connection reconnects on the next call; inside a transaction it fails the transaction', async () => {
    const url = await server!.createDatabase();
    const store = new PgMetadataStore(url);
    // The killer is synchronous too: it must act while this thread is blocked inside a transaction.
    const admin = new PgSyncClient(url);
    const kill = () => admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'flint-metadata' AND datname = current_database()`);
    try {
      const c = store.collection<number>('fn');
      c.put('a', 1);
      kill();
      c.put('b', 2);
      assert.equal(store.transaction(() => c.get('b')), 2);
      assert.throws(() => store.transaction(() => {
        c.put('c', 3);
        kill(); // the connection dies mid-transaction, as when PG restarts
        c.put('d', 4);
      }), (err: Error & { code?: string }) => err.code === 'FLINT_PG_SESSION_LOST' || err.code === '57P01');
      assert.equal(store.transaction(() => c.get('c')), undefined, 'nothing of the broken transaction was committed');
      assert.equal(c.get('d'), undefined);
    } finally {
      admin.close();
      store.close();
    }
  });

  test('a database that stops answering fails one call with a clear error, then fails calls at once until it answers again', async () => {
    const url = await server!.createDatabase();
    const store = new PgMetadataStore(url, { timeoutMs: 500 });
    try {
      const c = store.collection<number>('fn');
      c.put('a', 1);
      assert.equal(c.get('a'), 1);
      server!.pause();
      try {
        assert.throws(() => c.put('b', 2), (err: Error & { code?: string }) => err.code === 'ETIMEDOUT' && /PostgreSQL did not answer within/.test(err.message));
        // Not another blocked timeout per call: the node's event loop would stall on every request.
        assert.throws(() => c.put('b', 2), (err: Error & { code?: string }) => err.code === 'FLINT_PG_UNAVAILABLE' && /PostgreSQL is not answering .*did not answer within/.test(err.message));
        assert.throws(() => c.get('uncached'), (err: Error & { code?: string }) => err.code === 'FLINT_PG_UNAVAILABLE');
        assert.equal(c.get('a'), 1, 'cached reads keep being served');
      } finally {
        server!.resume();
      }
      // The worker's background probe notices PG is back; calls then go through again.
      let written = false;
      for (let i = 0; i < 600 && !written; i++) {
        try {
          c.put('b', 3);
          written = true;
        } catch (err) {
          assert.equal((err as { code?: string }).code, 'FLINT_PG_UNAVAILABLE');
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.ok(written, 'PostgreSQL answers again within 30 s of resuming');
      assert.equal(store.transaction(() => c.get('b')), 3);
    } finally {
      store.close();
    }
  });

  test('a database that is not running fails the call at once with the connection error', async () => {
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
    assert.throws(() => new PgMetadataStore(`postgres://flint@127.0.0.1:${port}/flint`), (err: Error & { code?: string }) => err.code === 'ECONNREFUSED' && err.message.includes(String(port)));
  });

  test('a unique violation keeps PostgreSQL\'s SQLSTATE code and message', async () => {
    const client = new PgSyncClient(await server!.createDatabase());
    try {
      client.query('CREATE TABLE t (k text PRIMARY KEY)');
      client.query('INSERT INTO t VALUES ($1)', ['x']);
      assert.throws(() => client.query('INSERT INTO t VALUES ($1)', ['x']), (err: Error & { code?: string; constraint?: string }) =>
        err.code === '23505' && err.constraint === 't_pkey' && /duplicate key value violates unique constraint/.test(err.message));
      assert.equal(client.query<{ n: number }>('SELECT count(*)::int AS n FROM t').rows[0]!.n, 1, 'the connection is usable after the error');
    } finally {
      client.close();
    }
  });
});
