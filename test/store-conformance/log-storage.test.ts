import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { LogStorage } from '../../src/ports/log-storage.js';
import type { LogEventRecord } from '../../src/ports/log-events.js';
import { FileLogStorage } from '../../src/store/file-log-storage.js';
import { MAX_BUFFERED_BYTES, PgLogStorage } from '../../src/store/pg/pg-log-storage.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/**
 * One suite for every LogStorage driver (files, PostgreSQL): what the CloudWatch Logs services
 * (src/logs) and the execution environments rely on. Writers' lines are read back through read()
 * or after sync(): the PostgreSQL writer sends them in the background.
 */
let server: TestPostgres | undefined;
before(async () => { if (!postgresSkipReason) server = await startPostgres({ fsync: false }); });
after(async () => { await server?.stop(); });

interface Opened { store: LogStorage; clock: { t: number }; reopen(): Promise<LogStorage>; done(): Promise<void> }

const drivers: Array<{ name: string; skip: string | undefined; open(): Promise<Opened> }> = [
  {
    name: 'files',
    skip: undefined,
    async open() {
      const root = mkdtempSync(join(tmpdir(), 'flint-logconf-'));
      const clock = { t: 1_000_000 };
      const stores: LogStorage[] = [new FileLogStorage(root, () => clock.t)];
      return {
        store: stores[0]!,
        clock,
        async reopen() {
          await stores[stores.length - 1]!.close();
          stores.push(new FileLogStorage(root, () => clock.t));
          return stores[stores.length - 1]!;
        },
        async done() {
          for (const s of stores) await s.close();
          rmSync(root, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    async open() {
      const url = await server!.createDatabase();
      const clock = { t: 1_000_000 };
      const open = () => new PgLogStorage({ url, now: () => clock.t });
      const stores: LogStorage[] = [open()];
      return {
        store: stores[0]!,
        clock,
        async reopen() {
          await stores[stores.length - 1]!.close();
          stores.push(open());
          return stores[stores.length - 1]!;
        },
        async done() {
          for (const s of stores) await s.close();
        },
      };
    },
  },
];

for (const d of drivers) {
  describe(`log storage (${d.name})`, { skip: d.skip }, () => {
    let o: Opened;
    let store: LogStorage;
    before(async () => { o = await d.open(); store = o.store; });
    after(async () => { await o.done(); });

    test('groups: create once, list by name (bytes order), read one, update retention and tags, delete', () => {
      assert.equal(store.createGroup('/g/b', { team: 'x' }), true);
      assert.equal(store.createGroup('/g/b', {}), false, 'a second create says it exists');
      assert.equal(store.createGroup('/g/A', {}), true);
      assert.equal(store.createGroup('/g/a', {}), true);
      const names = store.groups().map((g) => g.logGroupName).filter((n) => n.startsWith('/g/'));
      assert.deepEqual(names, ['/g/A', '/g/a', '/g/b']);
      assert.deepEqual(store.group('/g/b'), { logGroupName: '/g/b', creationTime: o.clock.t, tags: { team: 'x' }, storedBytes: 0 });
      assert.equal(store.group('/g/none'), undefined);
      store.updateGroup('/g/b', { retentionInDays: 7 });
      assert.equal(store.group('/g/b')!.retentionInDays, 7);
      store.updateGroup('/g/b', { tags: { a: '1' } });
      assert.deepEqual(store.group('/g/b')!.tags, { a: '1' });
      assert.equal(store.group('/g/b')!.retentionInDays, 7, 'a tags change keeps the retention');
      store.updateGroup('/g/b', { retentionInDays: null });
      assert.equal('retentionInDays' in store.group('/g/b')!, false);
      store.updateGroup('/g/none', { retentionInDays: 1 });
      assert.equal(store.group('/g/none'), undefined, 'updating a missing group creates nothing');
      assert.equal(store.deleteGroup('/g/a'), true);
      assert.equal(store.deleteGroup('/g/a'), false);
      assert.equal(store.group('/g/a'), undefined);
    });

    test('streams: created in an existing group only, listed with their event statistics, deleted', async () => {
      store.createGroup('/s', {});
      assert.equal(store.createStream('/s', '2026/12/05/[$LATEST]abc'), 'created');
      assert.equal(store.createStream('/s', '2026/12/05/[$LATEST]abc'), 'exists');
      assert.equal(store.createStream('/none', 's'), 'no-group');
      assert.equal(store.streams('/none'), undefined);
      assert.equal(store.createStream('/s', 'other'), 'created');
      store.put('/s', 'other', [{ timestamp: 10, message: 'a' }, { timestamp: 30, message: 'bb' }, { timestamp: 20, message: 'c' }]);
      const byName = new Map(store.streams('/s')!.map((s) => [s.logStreamName, s]));
      assert.deepEqual([...byName.keys()].sort(), ['2026/12/05/[$LATEST]abc', 'other']);
      const other = byName.get('other')!;
      assert.equal(other.firstEventTimestamp, 10);
      assert.equal(other.lastEventTimestamp, 30);
      assert.equal(other.lastIngestionTime, o.clock.t, 'PutLogEvents lines are ingested now');
      assert.equal(other.creationTime, o.clock.t);
      assert.ok(other.storedBytes > 0);
      const empty = byName.get('2026/12/05/[$LATEST]abc')!;
      assert.equal(empty.firstEventTimestamp, undefined);
      assert.equal(empty.storedBytes, 0);
      assert.ok(store.group('/s')!.storedBytes >= other.storedBytes, "a group's bytes count its streams'");
      assert.equal(store.deleteStream('/s', 'other'), true);
      assert.equal(store.deleteStream('/s', 'other'), false);
      assert.deepEqual(await store.read('/s', 'other'), []);
      assert.deepEqual(store.streams('/s')!.map((s) => s.logStreamName), ['2026/12/05/[$LATEST]abc']);
    });

    test('put: appends in order with increasing ordinals; messages keep any character; a missing stream throws', async () => {
      store.createGroup('/p', {});
      store.createStream('/p', 's');
      const odd = 'tab\tnewline\nNUL\u0000 unicode \u00e9\u4e2d\ud83d\ude00 "quotes" \\';
      store.put('/p', 's', [{ timestamp: 5, message: 'one' }, { timestamp: 6, message: odd }]);
      o.clock.t += 1000;
      store.put('/p', 's', [{ timestamp: 7, message: 'three' }]);
      const events = await store.read('/p', 's');
      assert.deepEqual(events.map((e) => [e.timestamp, e.message]), [[5, 'one'], [6, odd], [7, 'three']]);
      assert.deepEqual(events.map((e) => e.ingestionTime), [o.clock.t - 1000, o.clock.t - 1000, o.clock.t]);
      assert.ok(events[0]!.seq < events[1]!.seq && events[1]!.seq < events[2]!.seq, 'ordinals increase');
      assert.throws(() => store.put('/p', 'missing', [{ timestamp: 1, message: 'x' }]));
      assert.deepEqual(await store.read('/p', 'missing'), []);
      assert.deepEqual(await store.read('/none', 's'), []);
    });

    test("writers: the first line creates the group and stream; lines are read back in order with the writer's timestamps", async () => {
      const w = store.openStream('/aws/lambda/fn', '2026/12/05/[$LATEST]0123');
      assert.equal(w.logGroupName, '/aws/lambda/fn');
      assert.equal(w.logStreamName, '2026/12/05/[$LATEST]0123');
      w.append(100, 'START RequestId: r1 Version: $LATEST');
      w.append(101, 'hello\nfrom the function');
      w.append(102, 'END RequestId: r1');
      w.commit();
      const events = await store.read('/aws/lambda/fn', '2026/12/05/[$LATEST]0123');
      assert.deepEqual(events.map((e) => [e.timestamp, e.message]), [[100, 'START RequestId: r1 Version: $LATEST'], [101, 'hello\nfrom the function'], [102, 'END RequestId: r1']]);
      assert.deepEqual(events.map((e) => e.ingestionTime), [100, 101, 102], "a function's lines are ingested at their own time");
      assert.ok(store.group('/aws/lambda/fn'), 'the group exists');
      const [s] = store.streams('/aws/lambda/fn')!;
      assert.equal(s!.firstEventTimestamp, 100);
      assert.equal(s!.lastEventTimestamp, 102);
      await w.close();
      w.append(103, 'after close: ignored');
      await store.sync();
      assert.equal((await store.read('/aws/lambda/fn', '2026/12/05/[$LATEST]0123')).length, 3);
    });

    test('writers and put on one stream keep their append order; ordinals increase and are never reused', async () => {
      // Created first: a writer creates its group and stream with its first stored line, which on
      // PostgreSQL is sent in the background (Lambda too creates them on the first line).
      store.createGroup('/o', {});
      store.createStream('/o', 's');
      const w = store.openStream('/o', 's');
      const w2 = store.openStream('/o', 's');
      const expected: string[] = [];
      for (let i = 0; i < 60; i++) {
        (i % 2 ? w : w2).append(i, `w${i}`);
        expected.push(`w${i}`);
        if (i % 7 === 0) w.commit();
        if (i % 10 === 0) {
          store.put('/o', 's', [{ timestamp: i, message: `p${i}` }]);
          expected.push(`p${i}`);
        }
        if (i % 25 === 0) await store.sync();
      }
      await w.close();
      await w2.close();
      const events = await store.read('/o', 's');
      assert.deepEqual(events.map((e) => e.message), expected);
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.seq > events[i - 1]!.seq);
    });

    test('subscribers hear every appended line, writer and put alike, at append time and in order; a failing one loses nothing', async () => {
      const seen: LogEventRecord[] = [];
      const off = store.subscribe((e) => seen.push(e));
      const off2 = store.subscribe(() => { throw new Error('a failing subscriber'); });
      const w = store.openStream('/sub', 's1');
      w.append(1, 'from the function');
      assert.equal(seen.length, 1, 'heard before anything is written');
      store.createGroup('/sub', {});
      store.createStream('/sub', 's2');
      store.put('/sub', 's2', [{ timestamp: 2, message: '{"_aws":{}}' }]);
      off();
      off2();
      w.append(3, 'not heard');
      assert.deepEqual(seen, [
        { logGroupName: '/sub', logStreamName: 's1', timestamp: 1, message: 'from the function' },
        { logGroupName: '/sub', logStreamName: 's2', timestamp: 2, message: '{"_aws":{}}' },
      ]);
      await w.close();
      assert.equal((await store.read('/sub', 's1')).length, 2);
    });

    test('deleting a group removes its streams and events; an open writer re-creates them with its next line', async () => {
      const w = store.openStream('/d', 's');
      w.append(1, 'before');
      w.commit();
      await store.sync();
      assert.equal(store.deleteGroup('/d'), true);
      assert.equal(store.group('/d'), undefined);
      assert.equal(store.streams('/d'), undefined);
      assert.deepEqual(await store.read('/d', 's'), []);
      w.append(2, 'after');
      w.commit();
      assert.deepEqual((await store.read('/d', 's')).map((e) => e.message), ['after']);
      assert.ok(store.group('/d'));
      await w.close();
    });

    test('expire: drops events older than the cut-off, removes emptied old streams, shrinks the bytes; idempotent', async () => {
      store.createGroup('/x', {});
      store.createStream('/x', 'old');
      store.createStream('/x', 'mixed');
      store.put('/x', 'old', [{ timestamp: 100, message: 'x'.repeat(1000) }]);
      store.put('/x', 'mixed', [{ timestamp: 100, message: 'y'.repeat(1000) }, { timestamp: 200, message: 'new' }]);
      const sizeBefore = store.group('/x')!.storedBytes;
      assert.deepEqual(await store.expire('/x', 150), { removedEvents: 2, removedStreams: 1 });
      assert.deepEqual(store.streams('/x')!.map((s) => s.logStreamName), ['mixed']);
      const events = await store.read('/x', 'mixed');
      assert.deepEqual(events.map((e) => [e.message, e.seq]), [['new', 1]], 'the kept event keeps its ordinal');
      assert.ok(store.group('/x')!.storedBytes < sizeBefore / 10);
      assert.equal(store.streams('/x')![0]!.firstEventTimestamp, 200);
      assert.deepEqual(await store.expire('/x', 150), { removedEvents: 0, removedStreams: 0 }, 'a second sweep finds nothing');
      store.put('/x', 'mixed', [{ timestamp: 300, message: 'later' }]);
      assert.deepEqual((await store.read('/x', 'mixed')).map((e) => e.seq), [1, 2], 'ordinals are not reused after an expiry');
      assert.deepEqual(await store.expire('/none', 150), { removedEvents: 0, removedStreams: 0 });
    });

    test('what was stored survives a restart, and ordinals carry on after it', async () => {
      store.createGroup('/r', { k: 'v' });
      store.updateGroup('/r', { retentionInDays: 3 });
      const w = store.openStream('/r', 's');
      w.append(1, 'a');
      w.append(2, 'b');
      await w.close();
      store = await o.reopen();
      assert.deepEqual({ ...store.group('/r')!, storedBytes: 0 }, { logGroupName: '/r', creationTime: o.clock.t, retentionInDays: 3, tags: { k: 'v' }, storedBytes: 0 });
      store.put('/r', 's', [{ timestamp: 3, message: 'c' }]);
      assert.deepEqual((await store.read('/r', 's')).map((e) => [e.message, e.seq]), [['a', 0], ['b', 1], ['c', 2]]);
    });
  });
}

describe('log storage (postgres): several nodes, and a database that does not answer', { skip: postgresSkipReason }, () => {
  test("two nodes writing one stream at once: every line stored once, each node's lines in its order, ordinals distinct and increasing; each node reads the other's", async () => {
    const url = await server!.createDatabase();
    const node = () => new PgLogStorage({ url, now: () => 1 });
    const a = node();
    const b = node();
    try {
      const wa = a.openStream('/aws/lambda/shared', 's');
      const wb = b.openStream('/aws/lambda/shared', 's');
      for (let i = 0; i < 400; i++) {
        wa.append(i, `a${i}`);
        wb.append(i, `b${i}`);
        if (i % 50 === 0) { wa.commit(); wb.commit(); await new Promise((r) => setImmediate(r)); }
      }
      await Promise.all([wa.close(), wb.close()]);
      await Promise.all([a.sync(), b.sync()]);
      const events = await b.read('/aws/lambda/shared', 's');
      assert.equal(events.length, 800);
      assert.equal(new Set(events.map((e) => e.seq)).size, 800, 'no ordinal given twice');
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.seq > events[i - 1]!.seq);
      for (const p of ['a', 'b']) assert.deepEqual(events.filter((e) => e.message.startsWith(p)).map((e) => e.message), Array.from({ length: 400 }, (_, i) => `${p}${i}`));
      assert.deepEqual(a.streams('/aws/lambda/shared')!.map((s) => [s.firstEventTimestamp, s.lastEventTimestamp]), [[0, 399]]);
      assert.deepEqual(b.groups().map((g) => g.logGroupName), ['/aws/lambda/shared'], 'one group, created once');
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('retention: a sweep larger than one statement finishes; two nodes sweeping at once remove each event once', async () => {
    const url = await server!.createDatabase();
    const node = () => new PgLogStorage({ url, now: () => 1 });
    const a = node();
    const b = node();
    try {
      a.createGroup('/big', {});
      for (const s of ['s1', 's2', 's3']) {
        a.createStream('/big', s);
        a.put('/big', s, Array.from({ length: 9000 }, (_, i) => ({ timestamp: i, message: `m${i}` })));
      }
      const bytes = a.group('/big')!.storedBytes;
      const [ra, rb] = await Promise.all([a.expire('/big', 6000), b.expire('/big', 6000)]);
      assert.equal(ra.removedEvents + rb.removedEvents, 18_000, `${ra.removedEvents} + ${rb.removedEvents}`);
      assert.deepEqual(a.streams('/big')!.map((s) => [s.logStreamName, s.firstEventTimestamp, s.lastEventTimestamp]), [['s1', 6000, 8999], ['s2', 6000, 8999], ['s3', 6000, 8999]]);
      const kept = await b.read('/big', 's2');
      assert.equal(kept.length, 3000);
      assert.equal(a.group('/big')!.storedBytes, kept.reduce((n, e) => n + Buffer.byteLength(e.message) + 26, 0) * 3, 'bytes subtracted once');
      assert.ok(a.group('/big')!.storedBytes < bytes);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('unreachable database: appends and commits never throw or wait; the buffer stays bounded and the excess is dropped and counted', async () => {
    const url = await server!.createDatabase();
    // The schema is reachable (start-up), the writer's connections are refused from the start.
    const lines: string[] = [];
    const store = new PgLogStorage({ url, pool: new pg.Pool({ connectionString: 'postgres://flint@127.0.0.1:1/none', connectionTimeoutMillis: 500 }), ownPool: true, now: () => 1, log: (l) => lines.push(l) });
    try {
      const w = store.openStream('/aws/lambda/down', 's');
      const mib = 'x'.repeat(1 << 20);
      for (let i = 0; i < 20; i++) {
        w.append(i, mib);
        w.commit();
      }
      assert.ok(store.bufferedBytes <= MAX_BUFFERED_BYTES, `${store.bufferedBytes} bytes buffered`);
      assert.ok(store.dropped >= 4, `${store.dropped} dropped`);
      assert.ok(lines.some((l) => /dropped until it catches up/.test(l)), 'said once');
      await store.sync();
      assert.ok(lines.some((l) => /could not be stored in PostgreSQL \(.*\); retrying/.test(l)), lines.join('\n'));
      assert.ok(store.bufferedBytes > 0, 'what could not be sent is kept for a retry (within the bound)');
    } finally {
      await store.close();
    }
  });
});
