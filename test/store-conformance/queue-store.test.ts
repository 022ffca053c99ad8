import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { QueueStore, StoredMessage } from '../../src/ports/queue-store.js';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteQueueStore } from '../../src/store/sqlite-queue-store.js';
import { PgQueueStore, QueueStoreFencedError } from '../../src/store/pg/pg-queue-store.js';
import { ensureClusterSchema } from '../../src/cluster/cluster-schema.js';
import { createSqsQueues } from '../../src/queues/sqs-queues.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/** One suite for every QueueStore driver (SQLite, PostgreSQL), then PostgreSQL's term fence. */
let server: TestPostgres | undefined;
before(async () => { if (!postgresSkipReason) server = await startPostgres({ fsync: false }); });
after(async () => { await server?.stop(); });

const drivers: Array<{ name: string; skip: string | undefined; open(): Promise<{ store: QueueStore; done(): Promise<void> }> }> = [
  {
    name: 'sqlite',
    skip: undefined,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'flint-queue-store-'));
      const meta = new SqliteMetadataStore(join(dir, 'flint.db'));
      const store = new SqliteQueueStore(join(dir, 'flint.db'));
      return { store, done: async () => { store.close(); meta.close(); rmSync(dir, { recursive: true, force: true }); } };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    async open() {
      const url = await server!.createDatabase();
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      const store = PgQueueStore.open(url, { pool });
      return { store, done: async () => { store.close(); await pool.end(); } };
    },
  },
];

const body = (id: string) => ({ id, body: `body-${id}`, md5OfBody: 'x', sentAt: 1, senderId: 'me' });
const message = (queue: string, id: string, visibleAt = 0): Omit<StoredMessage, 'seq'> => ({ queue, message: body(id), visibleAt, receiveCount: 0, firstReceiveAt: 0, receipt: '' });

for (const d of drivers) {
  describe(`queue store (${d.name})`, { skip: d.skip }, () => {
    let store: QueueStore;
    let done: () => Promise<void>;
    before(async () => ({ store, done } = await d.open()));
    after(async () => done());

    test('queues: put (insert, then replace), load, delete with its messages', () => {
      store.putQueue({ name: 'b', attributes: { VisibilityTimeout: '30' }, tags: {}, createdAt: 1, lastModifiedAt: 1 });
      store.putQueue({ name: 'a', attributes: {}, tags: { team: 'x' }, createdAt: 2, lastModifiedAt: 2 });
      store.putQueue({ name: 'b', attributes: { VisibilityTimeout: '60' }, tags: {}, createdAt: 1, lastModifiedAt: 3 });
      const byName = new Map(store.loadQueues().map((q) => [q.name, q]));
      assert.deepEqual([...byName.keys()].sort(), ['a', 'b']);
      assert.equal(byName.get('b')!.attributes['VisibilityTimeout'], '60');
      assert.deepEqual(byName.get('a')!.tags, { team: 'x' });
      store.insertMessages([message('a', 'gone')]);
      store.deleteQueue('a');
      assert.deepEqual(store.loadQueues().map((q) => q.name), ['b']);
      assert.equal(store.loadMessages().filter((m) => m.queue === 'a').length, 0, 'the queue\'s messages went with it');
    });

    test('messages: insert returns increasing sequence numbers in order; update, move, delete, purge', async () => {
      const seqs = store.insertMessages([message('b', 'm1'), message('b', 'm2'), message('b', 'm3', 500)]);
      assert.equal(seqs.length, 3);
      assert.ok(seqs[0]! < seqs[1]! && seqs[1]! < seqs[2]!);
      assert.deepEqual(store.insertMessages([]), []);
      store.updateMessages([{ seq: seqs[0]!, visibleAt: 9_000, receiveCount: 2, firstReceiveAt: 7, receipt: 'tok' }]);
      store.moveMessage(seqs[1]!, 'dlq', { ...body('m2'), deadLetterQueueSourceArn: 'arn:src' }, 42);
      let all = store.loadMessages();
      assert.deepEqual(all.map((m) => m.message.id), ['m1', 'm2', 'm3'], 'load lists messages in send order');
      const m1 = all.find((m) => m.message.id === 'm1')!;
      assert.deepEqual({ v: m1.visibleAt, c: m1.receiveCount, f: m1.firstReceiveAt, r: m1.receipt }, { v: 9_000, c: 2, f: 7, r: 'tok' });
      const m2 = all.find((m) => m.message.id === 'm2')!;
      assert.deepEqual({ q: m2.queue, v: m2.visibleAt, c: m2.receiveCount, src: m2.message.deadLetterQueueSourceArn }, { q: 'dlq', v: 42, c: 0, src: 'arn:src' });
      assert.equal(all.find((m) => m.message.id === 'm3')!.visibleAt, 500);
      store.deleteMessages([seqs[0]!, 999_999]);
      all = store.loadMessages();
      assert.deepEqual(all.map((m) => m.message.id), ['m2', 'm3']);
      store.purge('b');
      assert.deepEqual(store.loadMessages().map((m) => m.message.id), ['m2']);
      await store.durable();
    });

    test('the SQS service restarts from the store: queues, messages and receive counts come back', async () => {
      const clock = { now: () => 1_700_000_000_000, monotonic: () => 0 };
      const first = createSqsQueues({ store, clock, region: 'us-east-1', accountId: '000000000000' });
      first.queues.create('restart-q');
      const arn = 'arn:aws:sqs:us-east-1:000000000000:restart-q';
      const id = await first.port.send(arn, 'kept');
      const got = await first.port.receive(arn, { max: 1, waitMs: 0, visibilityTimeoutSeconds: 0 });
      assert.equal(got[0]!.messageId, id);
      const second = createSqsQueues({ store, clock, region: 'us-east-1', accountId: '000000000000' });
      const again = await second.port.receive(arn, { max: 1, waitMs: 0 });
      assert.equal(again[0]!.body, 'kept');
      assert.equal(again[0]!.attributes['ApproximateReceiveCount'], '2');
    });
  });
}

describe('queue store (postgres): writes are fenced by the leader term', { skip: postgresSkipReason }, () => {
  test('a current term writes; once another node took the lease, the old term writes nothing and says so', async () => {
    const url = await server!.createDatabase();
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    await ensureClusterSchema(pool);
    const base = PgQueueStore.open(url, { pool });
    try {
      await pool.query(`INSERT INTO leader_leases (name, holder, term, expires_at) VALUES ('flint-leader', 'node-a', 7, now() + interval '5 seconds')`);
      const a = base.fenced({ lease: 'flint-leader', holder: 'node-a', term: 7 });
      a.putQueue({ name: 'q', attributes: {}, tags: {}, createdAt: 1, lastModifiedAt: 1 });
      const [seq] = a.insertMessages([message('q', 'before')]);
      // node-b takes the lease over: the term rises.
      await pool.query(`UPDATE leader_leases SET holder = 'node-b', term = 8 WHERE name = 'flint-leader'`);
      const writes: Array<[string, () => unknown]> = [
        ['putQueue', () => a.putQueue({ name: 'q2', attributes: {}, tags: {}, createdAt: 1, lastModifiedAt: 1 })],
        ['insertMessages', () => a.insertMessages([message('q', 'after')])],
        ['updateMessages', () => a.updateMessages([{ seq: seq!, visibleAt: 1, receiveCount: 5, firstReceiveAt: 1, receipt: 'r' }])],
        ['deleteMessages', () => a.deleteMessages([seq!])],
        ['moveMessage', () => a.moveMessage(seq!, 'other', body('before'), 1)],
        ['purge', () => a.purge('q')],
        ['deleteQueue', () => a.deleteQueue('q')],
      ];
      for (const [name, write] of writes) assert.throws(write, QueueStoreFencedError, `${name} under an ended term`);
      // Nothing of the old term's attempts landed.
      assert.deepEqual(base.loadQueues().map((q) => q.name), ['q']);
      const left = base.loadMessages();
      assert.deepEqual(left.map((m) => [m.queue, m.message.id, m.receiveCount]), [['q', 'before', 0]]);
      // The new term writes, until its copy is retired (dropped for a reload).
      const b = base.fenced({ lease: 'flint-leader', holder: 'node-b', term: 8 });
      b.deleteMessages([seq!]);
      assert.equal(base.loadMessages().length, 0);
      b.retire();
      assert.throws(() => b.putQueue({ name: 'q3', attributes: {}, tags: {}, createdAt: 1, lastModifiedAt: 1 }), QueueStoreFencedError);
      assert.deepEqual(base.loadQueues().map((q) => q.name), ['q']);
    } finally {
      base.close();
      await pool.end();
    }
  });
});
