import { test, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PgEventQueue } from '../../src/store/pg/pg-event-queue.js';
import { PgBucketLeaseStore } from '../../src/store/pg/pg-bucket-lease-store.js';
import { PgQueueWakeups } from '../../src/store/pg/pg-queue-wakeups.js';
import { bucketChoices } from '../../src/store/pg/bucket-placer.js';
import { QueueBuckets, bucketsFor } from '../../src/cluster/queue-buckets.js';
import type { LeasedEvent, NewQueuedEvent } from '../../src/ports/event-queue.js';
import type { TestPostgres } from '../helpers/postgres.js';
import { manualClock } from './manual-clock.js';

/** A poller as a node runs it: its own connections, its bucket leases, its queue. */
interface Poller {
  id: string;
  buckets: QueueBuckets;
  queue: PgEventQueue;
  pool: pg.Pool;
}

/**
 * PostgreSQL-only cases of the event queue: what buckets, their leases and fencing tokens promise
 * when several pollers share one queue (docs/cluster.md "Async and ESM distribution").
 */
export function runPgQueueCases(server: () => TestPostgres): void {
  const clock = manualClock(1_700_000_000_000);
  let url = '';
  let admin: pg.Pool;
  const pollers: Poller[] = [];
  /** Run after each case, before the pollers' pools end (a LISTEN connection holds one of them). */
  const cleanups: Array<() => Promise<void>> = [];

  before(async () => {
    url = await server().createDatabase();
    admin = new pg.Pool({ connectionString: url, max: 2 });
    await PgBucketLeaseStore.open(admin);
  });
  after(async () => { await admin?.end(); });
  beforeEach(async () => {
    clock.set(1_700_000_000_000);
    await admin.query('TRUNCATE async_events, queue_bucket_leases');
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
    // A "dead" poller is left as it was: only its connections are closed.
    for (const p of pollers.splice(0)) {
      p.queue.close();
      await p.queue.whenIdle();
      await p.pool.end();
    }
  });

  const startPoller = async (id: string, live: () => readonly string[], leaseMs = 5000): Promise<Poller> => {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    const buckets = new QueueBuckets({ store: await PgBucketLeaseStore.open(pool), self: id, livePollers: live, clock, leaseMs, handoffMs: 0 });
    await buckets.reconcile();
    const p = { id, buckets, pool, queue: await PgEventQueue.open({ pool, clock, holdings: buckets }) };
    pollers.push(p);
    return p;
  };

  const ev = (id: string, functionName = 'fn'): NewQueuedEvent => ({
    requestId: id, functionName, qualifier: '$LATEST', payload: Buffer.from(id), origin: 'invoke', enqueuedAt: clock.now(),
  });

  const bucketDepths = async (): Promise<Map<number, number>> => {
    const r = await admin.query<{ bucket: number; n: string }>('SELECT bucket, count(*) AS n FROM async_events GROUP BY bucket');
    return new Map(r.rows.map((row) => [row.bucket, Number(row.n)]));
  };

  test('pg event-queue: two pollers hold disjoint buckets covering all, and never lease the same event', async () => {
    const live = () => ['poller-a', 'poller-b'];
    const a = await startPoller('poller-a', live);
    const b = await startPoller('poller-b', live);
    const heldA = new Set(a.buckets.held().keys());
    const heldB = new Set(b.buckets.held().keys());
    assert.deepEqual([...heldA].sort((x, y) => x - y), bucketsFor('poller-a', live(), 64));
    assert.equal([...heldA].filter((x) => heldB.has(x)).length, 0);
    assert.equal(heldA.size + heldB.size, 64);
    assert.ok(heldA.size > 0 && heldB.size > 0);

    const total = 300;
    await Promise.all(Array.from({ length: total }, (_, i) => a.queue.enqueue(ev(`e${i}`, `fn-${i % 40}`))));
    const seen = new Map<string, string>();
    const drain = async (p: Poller) => {
      for (;;) {
        const leases = await p.queue.lease({ max: 7, visibilityMs: 60_000 });
        if (leases.length === 0) return;
        for (const l of leases) {
          assert.equal(seen.get(l.event.requestId), undefined, `${l.event.requestId} leased by ${seen.get(l.event.requestId)} and ${p.id}`);
          seen.set(l.event.requestId, p.id);
          assert.ok((p === a ? heldA : heldB).has(bucketOf(l)), 'leased from a bucket the poller holds');
        }
      }
    };
    const bucketRows = new Map((await admin.query<{ request_id: string; bucket: number }>('SELECT request_id, bucket FROM async_events')).rows.map((r) => [r.request_id, r.bucket]));
    const bucketOf = (l: LeasedEvent) => bucketRows.get(l.event.requestId)!;
    await Promise.all([drain(a), drain(b), drain(a), drain(b)]);
    assert.equal(seen.size, total);
    assert.ok([...seen.values()].includes('poller-a') && [...seen.values()].includes('poller-b'));
  });

  test('pg event-queue: a takeover after the holder\'s lease expired fences its ack, extend and reschedule; the new holder redelivers', async () => {
    let live = ['poller-a'];
    const a = await startPoller('poller-a', () => live);
    await a.queue.enqueue(ev('x'));
    const [stale] = await a.queue.lease({ max: 1, visibilityMs: 30_000 });
    assert.ok(stale);
    const tokenBefore = (await admin.query<{ token: string }>('SELECT token FROM queue_bucket_leases WHERE bucket = $1', [bucketChoices('fn', 64)[0]])).rows[0]!.token;

    // Poller A stops renewing (paused, cut off); its lease runs out and B takes every bucket over.
    live = ['poller-b'];
    clock.advance(5001);
    assert.equal(a.buckets.held().size, 0, 'A counts nothing as held once its lease ran out');
    const b = await startPoller('poller-b', () => live);
    assert.equal(b.buckets.held().size, 64);
    const tokenAfter = (await admin.query<{ token: string }>('SELECT token FROM queue_bucket_leases WHERE bucket = $1', [bucketChoices('fn', 64)[0]])).rows[0]!.token;
    assert.equal(Number(tokenAfter), Number(tokenBefore) + 1, 'the fencing token rises on takeover');

    assert.equal(await a.queue.extend([stale], 30_000), 0);
    assert.equal(await a.queue.reschedule(stale, { visibleAt: clock.now(), attempts: 1, systemRetries: 0 }), false);
    assert.equal(await a.queue.ack(stale, [ev('follow-up')]), false);
    assert.equal(await a.queue.ack(stale), false);
    // A's renewal now fails (the row names B): A holds nothing, and claims nothing.
    await a.buckets.reconcile();
    assert.equal(a.buckets.held().size, 0);

    // B redelivers once A's visibility timeout has passed.
    assert.deepEqual(await b.queue.lease({ max: 10, visibilityMs: 30_000 }), []);
    clock.advance(30_000);
    await b.buckets.reconcile();
    const [again] = await b.queue.lease({ max: 10, visibilityMs: 30_000 });
    assert.equal(again?.event.requestId, 'x');
    assert.equal(again?.event.deliveries, 2);
    assert.equal(await b.queue.ack(again!), true);
    assert.deepEqual(await b.queue.stats(), { ready: 0, delayed: 0, inFlight: 0 });
  });

  test('pg event-queue: a poller that lost a bucket and took it back cannot complete what it leased before (fenced by token)', async () => {
    let live = ['poller-a'];
    const a = await startPoller('poller-a', () => live);
    await a.queue.enqueue(ev('x'));
    const [stale] = await a.queue.lease({ max: 1, visibilityMs: 60_000 });
    live = ['poller-b'];
    clock.advance(5001);
    const b = await startPoller('poller-b', () => live);
    await b.buckets.stop();
    live = ['poller-a'];
    await a.buckets.reconcile();
    assert.equal(a.buckets.held().size, 64, 'A holds the buckets again, under new tokens');
    assert.equal(await a.queue.ack(stale!), false);
    clock.advance(60_000);
    await a.buckets.reconcile();
    const [again] = await a.queue.lease({ max: 1, visibilityMs: 60_000 });
    assert.equal(again?.event.deliveries, 2);
    assert.equal(await a.queue.ack(again!), true);
  });

  test('pg event-queue: a holder whose lease expired without a takeover has its acks refused until it renews', async () => {
    const a = await startPoller('poller-a', () => ['poller-a']);
    await a.queue.enqueue(ev('x'));
    const [l] = await a.queue.lease({ max: 1, visibilityMs: 60_000 });
    clock.advance(5001);
    assert.equal(await a.queue.ack(l!), false);
    await a.buckets.reconcile(); // nobody took the buckets: the renewal keeps the same tokens
    assert.equal(await a.queue.ack(l!), true);
  });

  test('pg event-queue: no accepted event is lost when a poller dies mid-lease; the survivor redelivers the unacknowledged ones', async () => {
    let live = ['poller-a'];
    const a = await startPoller('poller-a', () => live);
    const total = 60;
    const accepted = (await Promise.all(Array.from({ length: total }, (_, i) => a.queue.enqueue(ev(`e${i}`, `fn-${i % 9}`))))).map((r) => r.requestId);
    const done = new Set<string>();
    const leased = await a.queue.lease({ max: 25, visibilityMs: 20_000 });
    assert.equal(leased.length, 25);
    for (const l of leased.slice(0, 10)) if (await a.queue.ack(l)) done.add(l.event.requestId);
    assert.equal(done.size, 10);
    const unacked = new Set(leased.slice(10).map((l) => l.event.requestId));

    // A dies (no release, no renewal). B joins, alone in the membership, after A's bucket leases expire.
    live = ['poller-b'];
    clock.advance(6000);
    const b = await startPoller('poller-b', () => live);
    const redelivered = new Set<string>();
    for (let round = 0; round < 10 && done.size < total; round++) {
      for (;;) {
        const ls = await b.queue.lease({ max: 16, visibilityMs: 20_000 });
        if (ls.length === 0) break;
        for (const l of ls) {
          if (l.event.deliveries > 1) redelivered.add(l.event.requestId);
          assert.equal(await b.queue.ack(l), true);
          done.add(l.event.requestId);
        }
      }
      clock.advance(20_000);
      await b.buckets.reconcile();
    }
    assert.deepEqual([...done].sort(), [...accepted].sort());
    assert.deepEqual([...redelivered].sort(), [...unacked].sort());
    assert.equal(Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM async_events')).rows[0]!.n), 0);
  });

  test('pg event-queue: enqueue puts a function\'s events in the shorter of its two buckets, and spreads functions over the buckets', async () => {
    const api = await startPoller('poller-a', () => ['poller-a']);
    const burst = 101;
    await Promise.all(Array.from({ length: burst }, (_, i) => api.queue.enqueue(ev(`hot${i}`, 'hot-function'))));
    let depths = await bucketDepths();
    const [b1, b2] = bucketChoices('hot-function', 64);
    assert.notEqual(b1, b2);
    assert.deepEqual([...depths.keys()].sort((x, y) => x - y), [b1, b2].sort((x, y) => x - y));
    assert.ok(Math.abs(depths.get(b1)! - depths.get(b2)!) <= 1, `one function's burst is split evenly: ${[...depths.values()]}`);

    await admin.query('TRUNCATE async_events');
    const fresh = await PgEventQueue.open({ pool: api.pool, clock, bucketCount: 64 });
    const functions = 256;
    for (let i = 0; i < functions; i++) await fresh.enqueue(ev(`f${i}`, `function-${i}`));
    fresh.close();
    depths = await bucketDepths();
    const counts = Array.from({ length: 64 }, (_, b) => depths.get(b) ?? 0);
    assert.equal(counts.reduce((s, n) => s + n, 0), functions);
    // Best-of-2 keeps the fullest bucket close to the mean (4); a single hash would leave ~1 in 64 buckets empty and some at 9+.
    assert.ok(Math.min(...counts) >= 1, `every bucket used: ${counts}`);
    assert.ok(Math.max(...counts) <= 7, `no bucket far above the mean: ${counts}`);
  });

  test('pg event-queue: a node without bucket holdings enqueues but leases nothing', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    const api = await PgEventQueue.open({ pool, clock });
    await api.enqueue(ev('x'));
    assert.deepEqual(await api.lease({ max: 5, visibilityMs: 1000 }), []);
    assert.deepEqual(await api.stats(), { ready: 1, delayed: 0, inFlight: 0 });
    assert.equal(await api.nextVisibleAt(), clock.now());
    api.close();
    await api.whenIdle();
    await pool.end();
  });

  test('pg event-queue: an enqueue on one node wakes the poller holding its bucket (NOTIFY), not the others', async () => {
    const live = () => ['poller-a', 'poller-b'];
    const a = await startPoller('poller-a', live);
    const b = await startPoller('poller-b', live);
    const wakes = { a: 0, b: 0 };
    const heardB: number[][] = [];
    let wakeA!: () => void;
    const aWoken = new Promise<void>((r) => { wakeA = r; });
    let wakeB!: () => void;
    const bWoken = new Promise<void>((r) => { wakeB = r; });
    let listening = false;
    const listenA = await PgQueueWakeups.listen({ pool: a.pool, holdings: a.buckets, onWake: () => { wakes.a++; if (listening) wakeA(); } });
    cleanups.push(() => listenA.stop());
    const listenB = await PgQueueWakeups.listen({ pool: b.pool, holdings: b.buckets, onWake: (buckets) => { wakes.b++; if (listening) { heardB.push([...buckets]); wakeB(); } } });
    cleanups.push(() => listenB.stop());
    // Each wakes once on connecting (events may have been enqueued while nobody listened).
    assert.deepEqual(wakes, { a: 1, b: 1 });
    wakes.a = 0;
    wakes.b = 0;
    listening = true;
    // A function whose buckets are both A's, enqueued through a node that holds no buckets.
    const fn = Array.from({ length: 500 }, (_, i) => `fn-${i}`).find((f) => bucketChoices(f, 64).every((x) => a.buckets.held().has(x)))!;
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    const api = await PgEventQueue.open({ pool, clock });
    cleanups.push(async () => { api.close(); await api.whenIdle(); await pool.end(); });
    await api.enqueue(ev('x', fn));
    await aWoken;
    assert.equal(wakes.a, 1);
    // B hears notifications in commit order: when the one for its own bucket wakes it, the one
    // before (for A's bucket) has passed it over.
    const fnB = Array.from({ length: 500 }, (_, i) => `fn-${i}`).find((f) => bucketChoices(f, 64).every((x) => b.buckets.held().has(x)))!;
    await api.enqueue(ev('z', fnB));
    await bWoken;
    assert.equal(heardB.length, 1);
    assert.ok(heardB[0]!.length === 1 && bucketChoices(fnB, 64).includes(heardB[0]![0]!), `B woke for its own bucket only: ${JSON.stringify(heardB)}`);
  });

  test('pg queue-buckets: a joining poller gets its rendezvous share once the holder hands it over, with a raised token', async () => {
    let live = ['poller-a'];
    const a = await startPoller('poller-a', () => live);
    assert.equal(a.buckets.held().size, 64);
    live = ['poller-a', 'poller-b'];
    const b = await startPoller('poller-b', () => live);
    // A still holds everything (unexpired): B gets nothing until A's next round releases B's share.
    assert.equal(b.buckets.held().size, 0);
    await a.buckets.reconcile();
    await b.buckets.reconcile();
    assert.deepEqual([...a.buckets.held().keys()].sort((x, y) => x - y), bucketsFor('poller-a', live, 64));
    assert.deepEqual([...b.buckets.held().keys()].sort((x, y) => x - y), bucketsFor('poller-b', live, 64));
    for (const [bucket, token] of b.buckets.held()) assert.equal(token, 2, `bucket ${bucket} changed hands once`);
    // Stopping releases at once: A takes B's buckets back without waiting for an expiry.
    await b.buckets.stop();
    live = ['poller-a'];
    await a.buckets.reconcile();
    assert.equal(a.buckets.held().size, 64);
    const rows = await (await PgBucketLeaseStore.open(admin)).list();
    assert.ok(rows.every((r) => r.owner === 'poller-a'));
  });
}

