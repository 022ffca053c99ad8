import { describe, test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteEventQueue } from '../../src/store/sqlite-event-queue.js';
import { PgEventQueue } from '../../src/store/pg/pg-event-queue.js';
import { PgBucketLeaseStore } from '../../src/store/pg/pg-bucket-lease-store.js';
import { QueueBuckets } from '../../src/cluster/queue-buckets.js';
import type { EventQueue, NewQueuedEvent } from '../../src/ports/event-queue.js';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { runPgQueueCases } from './event-queue-pg-cases.js';
import { manualClock, type ManualClock } from './manual-clock.js';

/**
 * One suite of EventQueue cases, run against every driver of the port (SQLite for a single node,
 * PostgreSQL for a cluster): what the async invocation path relies on must hold on both.
 */
interface QueueEnv {
  /** A queue for the current poller on the shared storage (same poller on each call until restart). */
  open(): Promise<EventQueue>;
  /** A process restart: new connections, and on PostgreSQL a new poller that takes the buckets over. */
  restart(): Promise<void>;
  /** Rows in the queue's table, counted through a connection of its own. */
  count(): Promise<number>;
  dispose(): Promise<void>;
}

interface Driver {
  name: string;
  skip?: string | undefined;
  before?(): Promise<void>;
  env(clock: ManualClock): Promise<QueueEnv>;
}

const sqlite: Driver = {
  name: 'sqlite',
  async env(clock) {
    const dir = mkdtempSync(join(tmpdir(), 'flint-queue-'));
    const file = join(dir, 'flint.db');
    let store = new SqliteMetadataStore(file); // runs the migrations, including the queue's table
    const opened: SqliteEventQueue[] = [];
    return {
      async open() {
        const q = new SqliteEventQueue({ file, clock });
        opened.push(q);
        return q;
      },
      async restart() {
        for (const q of opened.splice(0)) q.close();
        store.close();
        store = new SqliteMetadataStore(file);
      },
      async count() {
        return (store.db.prepare('SELECT COUNT(*) AS n FROM async_events').get() as { n: number }).n;
      },
      async dispose() {
        for (const q of opened.splice(0)) q.close();
        store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** One PostgreSQL server for the file; each group gets a database of its own. */
let server: TestPostgres | undefined;
before(async () => { if (!postgresSkipReason) server = await startPostgres(); });
after(async () => { await server?.stop(); });

let databaseUrl = '';
let generation = 0;

const postgres: Driver = {
  name: 'postgres',
  skip: postgresSkipReason,
  async before() {
    databaseUrl = await server!.createDatabase();
  },
  async env(clock) {
    const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    // One database for the group; each case starts from empty tables.
    await PgBucketLeaseStore.open(admin);
    await admin.query('TRUNCATE async_events, queue_bucket_leases');
    let pool: pg.Pool;
    let buckets: QueueBuckets;
    const opened: PgEventQueue[] = [];
    const start = async () => {
      pool = new pg.Pool({ connectionString: databaseUrl, max: 8 });
      const self = `poller-${++generation}`;
      // Single-node mode: one poller holds every bucket; the lease outlives the clock jumps below.
      buckets = new QueueBuckets({ store: await PgBucketLeaseStore.open(pool), self, livePollers: () => [self], clock, leaseMs: 1e12 });
      await buckets.reconcile();
    };
    const stop = async () => {
      for (const q of opened.splice(0)) {
        q.close();
        await q.whenIdle();
      }
      await buckets.stop();
      await pool.end();
    };
    await start();
    return {
      async open() {
        const q = await PgEventQueue.open({ pool, clock, holdings: buckets });
        opened.push(q);
        return q;
      },
      async restart() {
        await stop();
        await start();
      },
      async count() {
        return Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM async_events')).rows[0]!.n);
      },
      async dispose() {
        await stop();
        await admin.end();
      },
    };
  },
};

for (const driver of [sqlite, postgres]) {
  describe(`event-queue conformance (${driver.name})`, { skip: driver.skip }, () => {
    const clock = manualClock(1_700_000_000_000);
    let env: QueueEnv;
    let open: () => Promise<EventQueue>;
    before(async () => { await driver.before?.(); });
    beforeEach(async () => {
      clock.set(1_700_000_000_000);
      env = await driver.env(clock);
      open = () => env.open();
    });
    afterEach(async () => { await env.dispose(); });

    const ev = (id: string, extra: Partial<NewQueuedEvent> = {}): NewQueuedEvent => ({
      requestId: id,
      functionName: 'fn',
      qualifier: '$LATEST',
      payload: Buffer.from(JSON.stringify({ id })),
      origin: 'invoke',
      enqueuedAt: clock.now(),
      ...extra,
    });

    test('event-queue: enqueued events lease oldest first with their payload and fields intact', async () => {
      const q = await open();
      await q.enqueue(ev('a', { clientContext: 'e30=', traceId: 'Root=1-abc', functionName: 'other' }));
      clock.advance(1);
      await q.enqueue(ev('b'));
      const leases = await q.lease({ max: 10, visibilityMs: 1000 });
      assert.deepEqual(leases.map((l) => l.event.requestId), ['a', 'b']);
      const a = leases[0]!.event;
      assert.deepEqual(JSON.parse(a.payload.toString()), { id: 'a' });
      assert.equal(a.functionName, 'other');
      assert.equal(a.qualifier, '$LATEST');
      assert.equal(a.origin, 'invoke');
      assert.equal(a.clientContext, 'e30=');
      assert.equal(a.traceId, 'Root=1-abc');
      assert.equal(a.enqueuedAt, clock.now() - 1);
      assert.equal(a.attempts, 0);
      assert.equal(a.systemRetries, 0);
      assert.equal(a.deliveries, 1);
      assert.equal(a.lastOutcome, undefined);
      assert.equal(leases[1]!.event.clientContext, undefined);
      assert.equal(leases[0]!.leaseUntil, clock.now() + 1000);
      assert.notEqual(leases[0]!.leaseToken, leases[1]!.leaseToken);
    });

    test('event-queue: lease takes at most max events', async () => {
      const q = await open();
      for (const id of ['a', 'b', 'c']) await q.enqueue(ev(id));
      assert.equal((await q.lease({ max: 2, visibilityMs: 1000 })).length, 2);
      assert.equal((await q.lease({ max: 2, visibilityMs: 1000 })).length, 1);
      assert.deepEqual(await q.stats(), { ready: 0, delayed: 0, inFlight: 3 });
    });

    test('event-queue: a leased event is invisible until its visibility timeout expires, then is delivered again', async () => {
      const q = await open();
      await q.enqueue(ev('a'));
      const [first] = await q.lease({ max: 10, visibilityMs: 5000 });
      assert.ok(first);
      clock.advance(4999);
      assert.deepEqual(await q.lease({ max: 10, visibilityMs: 5000 }), []);
      assert.deepEqual(await q.stats(), { ready: 0, delayed: 0, inFlight: 1 });
      clock.advance(1);
      assert.deepEqual(await q.stats(), { ready: 1, delayed: 0, inFlight: 0 });
      const [again] = await q.lease({ max: 10, visibilityMs: 5000 });
      assert.equal(again?.event.requestId, 'a');
      assert.equal(again?.event.deliveries, 2);
      // The first holder lost its lease: its ack must not delete the event the second holder owns.
      assert.equal(await q.ack(first), false);
      assert.equal(await q.ack(again!), true);
      assert.deepEqual(await q.stats(), { ready: 0, delayed: 0, inFlight: 0 });
      assert.equal(await q.nextVisibleAt(), undefined);
    });

    test('event-queue: ack deletes the event and commits its follow-ups in the same transaction', async () => {
      const q = await open();
      await q.enqueue(ev('a'));
      const [l] = await q.lease({ max: 1, visibilityMs: 1000 });
      assert.equal(await q.ack(l!, [ev('dest-1', { functionName: 'dest', origin: 'destination' }), ev('dlq-1', { functionName: 'dlq', origin: 'dead-letter' })]), true);
      const next = await q.lease({ max: 10, visibilityMs: 1000 });
      assert.deepEqual(next.map((n) => n.event.requestId).sort(), ['dest-1', 'dlq-1']);
      const dest = next.find((n) => n.event.requestId === 'dest-1')!.event;
      assert.equal(dest.functionName, 'dest');
      assert.equal(dest.origin, 'destination');
      assert.equal(await env.count(), 2);
    });

    test('event-queue: an ack whose follow-up cannot be written leaves the event in place (no partial commit)', async () => {
      const q = await open();
      await q.enqueue(ev('a'));
      await q.enqueue(ev('taken'));
      const [l] = await q.lease({ max: 1, visibilityMs: 1000 });
      // 'taken' already exists: the follow-up violates the unique request id, so the whole ack rolls back.
      await assert.rejects(q.ack(l!, [ev('fresh'), ev('taken')]), /unique/i);
      clock.advance(1000);
      const ids = (await q.lease({ max: 10, visibilityMs: 1000 })).map((x) => x.event.requestId).sort();
      assert.deepEqual(ids, ['a', 'taken']);
    });

    test('event-queue: reschedule releases the lease and hides the event until visibleAt, keeping counters and outcome', async () => {
      const q = await open();
      await q.enqueue(ev('a'));
      const [l] = await q.lease({ max: 1, visibilityMs: 60_000 });
      const outcome = { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled', payloadBase64: Buffer.from('{"errorMessage":"x"}').toString('base64') };
      assert.equal(await q.reschedule(l!, { visibleAt: clock.now() + 100, attempts: 1, systemRetries: 3, lastOutcome: outcome }), true);
      assert.deepEqual(await q.stats(), { ready: 0, delayed: 1, inFlight: 0 });
      assert.equal(await q.nextVisibleAt(), clock.now() + 100);
      clock.advance(99);
      assert.deepEqual(await q.lease({ max: 1, visibilityMs: 1000 }), []);
      clock.advance(1);
      const [again] = await q.lease({ max: 1, visibilityMs: 1000 });
      assert.equal(again?.event.attempts, 1);
      assert.equal(again?.event.systemRetries, 3);
      assert.equal(again?.event.deliveries, 2);
      assert.deepEqual(again?.event.lastOutcome, outcome);
      // The old token no longer owns the event.
      assert.equal(await q.reschedule(l!, { visibleAt: clock.now(), attempts: 9, systemRetries: 9 }), false);
      assert.equal(await q.ack(l!), false);
    });

    test('event-queue: extend keeps a held lease alive past its original timeout, and not a lost one', async () => {
      const q = await open();
      await q.enqueue(ev('a'));
      const [l] = await q.lease({ max: 1, visibilityMs: 1000 });
      clock.advance(900);
      assert.equal(await q.extend([l!], 1000), 1);
      assert.equal(await q.extend([], 1000), 0);
      clock.advance(900); // 1800 ms after the lease: expired without the extension
      assert.deepEqual(await q.lease({ max: 1, visibilityMs: 1000 }), []);
      clock.advance(100);
      const [again] = await q.lease({ max: 1, visibilityMs: 1000 });
      assert.ok(again);
      assert.equal(await q.extend([l!], 1000), 0);
    });

    test('event-queue: nextVisibleAt is the earliest moment any event becomes visible', async () => {
      const q = await open();
      assert.equal(await q.nextVisibleAt(), undefined);
      await q.enqueue(ev('a'));
      assert.equal(await q.nextVisibleAt(), clock.now());
      await q.lease({ max: 1, visibilityMs: 700 });
      assert.equal(await q.nextVisibleAt(), clock.now() + 700);
    });

    test('event-queue: events survive closing and reopening the database, and an unacked lease expires into a re-delivery', async () => {
      let q = await open();
      for (let i = 0; i < 5; i++) await q.enqueue(ev(`e${i}`));
      const leased = await q.lease({ max: 2, visibilityMs: 30_000 });
      assert.equal(await q.ack(leased[0]!), true);
      await env.restart();
      q = await open();
      assert.deepEqual(await q.stats(), { ready: 3, delayed: 0, inFlight: 1 });
      clock.advance(30_000);
      const ids = (await q.lease({ max: 10, visibilityMs: 1000 })).map((l) => l.event.requestId);
      assert.deepEqual(ids.sort(), ['e1', 'e2', 'e3', 'e4']);
    });

    test('event-queue: concurrent enqueues are group-committed and each resolves only after its commit', async () => {
      const q = await open();
      const n = 500;
      const results = await Promise.all(Array.from({ length: n }, (_, i) => q.enqueue(ev(`g${i}`, { functionName: `fn-${i % 7}` }))));
      assert.equal(results.length, n);
      assert.equal(results[42]!.requestId, 'g42');
      // Visible to another connection right away: committed, not merely buffered.
      assert.equal(await env.count(), n);
    });

    test('event-queue: a duplicate request id is rejected without failing the other writes of its batch', async () => {
      const q = await open();
      const [a, dup, b] = await Promise.allSettled([q.enqueue(ev('x')), q.enqueue(ev('x')), q.enqueue(ev('y'))]);
      assert.equal(a.status, 'fulfilled');
      assert.equal(dup.status, 'rejected');
      assert.match(String((dup as PromiseRejectedResult).reason), /unique/i);
      assert.equal(b.status, 'fulfilled');
      await assert.rejects(q.enqueue(ev('y')), /unique/i);
      assert.deepEqual(await q.stats(), { ready: 2, delayed: 0, inFlight: 0 });
    });

    test('event-queue: writes issued together settle together, and close() settles writes still waiting', async () => {
      const q = await open();
      const ids = await Promise.all(['a', 'b', 'c'].map((id) => q.enqueue(ev(id))));
      assert.deepEqual(ids.map((r) => r.requestId), ['a', 'b', 'c']);
      // Not awaited before close: close() still commits them, and their promises resolve.
      const late = [q.enqueue(ev('d')), q.enqueue(ev('e'))];
      q.close();
      assert.deepEqual((await Promise.all(late)).map((r) => r.requestId), ['d', 'e']);
      await assert.rejects(q.enqueue(ev('f')), /closed/);
      const reopened = await open();
      const leased = (await reopened.lease({ max: 10, visibilityMs: 1000 })).map((l) => l.event.requestId).sort();
      assert.deepEqual(leased, ['a', 'b', 'c', 'd', 'e']);
    });
  });
}

describe('event-queue on PostgreSQL: buckets, fencing, takeover', { skip: postgresSkipReason }, () => {
  runPgQueueCases(() => server!);
});
