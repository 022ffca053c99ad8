import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteEventQueue } from '../../src/store/sqlite-event-queue.js';
import type { NewQueuedEvent } from '../../src/ports/event-queue.js';

let dir: string;
let file: string;
let store: SqliteMetadataStore;
let t: number;
const clock = { now: () => t, monotonic: () => t };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flint-queue-'));
  file = join(dir, 'flint.db');
  store = new SqliteMetadataStore(file); // runs the migrations, including the queue's table
  t = 1_700_000_000_000;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const open = () => new SqliteEventQueue({ file, clock });
const ev = (id: string, extra: Partial<NewQueuedEvent> = {}): NewQueuedEvent => ({
  requestId: id,
  functionName: 'fn',
  qualifier: '$LATEST',
  payload: Buffer.from(JSON.stringify({ id })),
  origin: 'invoke',
  enqueuedAt: t,
  ...extra,
});

test('event-queue: enqueued events lease oldest first with their payload and fields intact', async () => {
  const q = open();
  await q.enqueue(ev('a', { clientContext: 'e30=', traceId: 'Root=1-abc' }));
  t += 1;
  await q.enqueue(ev('b'));
  const leases = await q.lease({ max: 10, visibilityMs: 1000 });
  assert.deepEqual(leases.map((l) => l.event.requestId), ['a', 'b']);
  const a = leases[0]!.event;
  assert.deepEqual(JSON.parse(a.payload.toString()), { id: 'a' });
  assert.equal(a.clientContext, 'e30=');
  assert.equal(a.traceId, 'Root=1-abc');
  assert.equal(a.attempts, 0);
  assert.equal(a.deliveries, 1);
  assert.equal(leases[0]!.leaseUntil, t + 1000);
  q.close();
});

test('event-queue: a leased event is invisible until its visibility timeout expires, then is delivered again', async () => {
  const q = open();
  await q.enqueue(ev('a'));
  const [first] = await q.lease({ max: 10, visibilityMs: 5000 });
  assert.ok(first);
  t += 4999;
  assert.deepEqual(await q.lease({ max: 10, visibilityMs: 5000 }), []);
  assert.deepEqual(await q.stats(), { ready: 0, delayed: 0, inFlight: 1 });
  t += 1;
  const [again] = await q.lease({ max: 10, visibilityMs: 5000 });
  assert.equal(again?.event.requestId, 'a');
  assert.equal(again?.event.deliveries, 2);
  // The first holder lost its lease: its ack must not delete the event the second holder owns.
  assert.equal(await q.ack(first), false);
  assert.equal(await q.ack(again!), true);
  assert.deepEqual(await q.stats(), { ready: 0, delayed: 0, inFlight: 0 });
  q.close();
});

test('event-queue: ack deletes the event and commits its follow-ups in the same transaction', async () => {
  const q = open();
  await q.enqueue(ev('a'));
  const [l] = await q.lease({ max: 1, visibilityMs: 1000 });
  assert.equal(await q.ack(l!, [ev('dest-1', { functionName: 'dest', origin: 'destination' })]), true);
  const [next] = await q.lease({ max: 10, visibilityMs: 1000 });
  assert.equal(next?.event.requestId, 'dest-1');
  assert.equal(next?.event.functionName, 'dest');
  assert.equal(next?.event.origin, 'destination');
  q.close();
});

test('event-queue: an ack whose follow-up cannot be written leaves the event in place (no partial commit)', async () => {
  const q = open();
  await q.enqueue(ev('a'));
  await q.enqueue(ev('taken'));
  const [l] = await q.lease({ max: 1, visibilityMs: 1000 });
  // 'taken' already exists: the follow-up violates the unique request id, so the whole ack rolls back.
  await assert.rejects(q.ack(l!, [ev('taken')]), /UNIQUE/);
  t += 1000;
  const ids = (await q.lease({ max: 10, visibilityMs: 1000 })).map((x) => x.event.requestId).sort();
  assert.deepEqual(ids, ['a', 'taken']);
  q.close();
});

test('event-queue: reschedule releases the lease and hides the event until visibleAt, keeping counters and outcome', async () => {
  const q = open();
  await q.enqueue(ev('a'));
  const [l] = await q.lease({ max: 1, visibilityMs: 60_000 });
  const outcome = { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled', payloadBase64: Buffer.from('{"errorMessage":"x"}').toString('base64') };
  assert.equal(await q.reschedule(l!, { visibleAt: t + 100, attempts: 1, systemRetries: 3, lastOutcome: outcome }), true);
  assert.deepEqual(await q.stats(), { ready: 0, delayed: 1, inFlight: 0 });
  assert.equal(await q.nextVisibleAt(), t + 100);
  t += 99;
  assert.deepEqual(await q.lease({ max: 1, visibilityMs: 1000 }), []);
  t += 1;
  const [again] = await q.lease({ max: 1, visibilityMs: 1000 });
  assert.equal(again?.event.attempts, 1);
  assert.equal(again?.event.systemRetries, 3);
  assert.deepEqual(again?.event.lastOutcome, outcome);
  // The old token no longer owns the event.
  assert.equal(await q.reschedule(l!, { visibleAt: t, attempts: 9, systemRetries: 9 }), false);
  q.close();
});

test('event-queue: extend keeps a held lease alive past its original timeout', async () => {
  const q = open();
  await q.enqueue(ev('a'));
  const [l] = await q.lease({ max: 1, visibilityMs: 1000 });
  t += 900;
  assert.equal(await q.extend([l!], 1000), 1);
  t += 900; // 1800 ms after the lease: expired without the extension
  assert.deepEqual(await q.lease({ max: 1, visibilityMs: 1000 }), []);
  t += 100;
  assert.equal((await q.lease({ max: 1, visibilityMs: 1000 })).length, 1);
  q.close();
});

test('event-queue: events survive closing and reopening the database, and an unacked lease expires into a re-delivery', async () => {
  let q = open();
  for (let i = 0; i < 5; i++) await q.enqueue(ev(`e${i}`));
  const leased = await q.lease({ max: 2, visibilityMs: 30_000 });
  await q.ack(leased[0]!);
  q.close();
  store.close();

  // A new process: new connections on the same file.
  store = new SqliteMetadataStore(file);
  q = open();
  assert.deepEqual(await q.stats(), { ready: 3, delayed: 0, inFlight: 1 });
  t += 30_000;
  const ids = (await q.lease({ max: 10, visibilityMs: 1000 })).map((l) => l.event.requestId);
  assert.deepEqual(ids.sort(), ['e1', 'e2', 'e3', 'e4']);
  q.close();
});

test('event-queue: concurrent enqueues are group-committed and each resolves only after its commit', async () => {
  const q = open();
  const n = 500;
  const results = await Promise.all(Array.from({ length: n }, (_, i) => q.enqueue(ev(`g${i}`))));
  assert.equal(results.length, n);
  assert.equal(results[42]!.requestId, 'g42');
  // Visible to another connection right away: committed, not merely buffered.
  const other = store.db.prepare('SELECT COUNT(*) AS n FROM async_events').get() as { n: number };
  assert.equal(other.n, n);
  q.close();
});

test('event-queue: a duplicate request id is rejected without failing the other writes of its batch', async () => {
  const q = open();
  const [a, dup, b] = await Promise.allSettled([q.enqueue(ev('x')), q.enqueue(ev('x')), q.enqueue(ev('y'))]);
  assert.equal(a.status, 'fulfilled');
  assert.equal(dup.status, 'rejected');
  assert.equal(b.status, 'fulfilled');
  assert.deepEqual(await q.stats(), { ready: 2, delayed: 0, inFlight: 0 });
  q.close();
});

test('event-queue: opening the queue on a database without its migration fails with a clear message', () => {
  const bare = join(dir, 'bare.db');
  assert.throws(() => new SqliteEventQueue({ file: bare, clock }), /no async_events table/);
});

test('event-queue: writes issued together settle together, and close() settles writes whose flush is still running', async () => {
  const q = open();
  // Issued in one turn: one transaction and one flush of the log; every caller hears back.
  const ids = await Promise.all(['a', 'b', 'c'].map((id) => q.enqueue(ev(id))));
  assert.deepEqual(ids.map((r) => r.requestId), ['a', 'b', 'c']);
  // Not awaited before close: close() commits and flushes them itself, and their promises resolve.
  const late = [q.enqueue(ev('d')), q.enqueue(ev('e'))];
  q.close();
  assert.deepEqual((await Promise.all(late)).map((r) => r.requestId), ['d', 'e']);
  await assert.rejects(q.enqueue(ev('f')), /closed/);
  const reopened = open();
  const leased = (await reopened.lease({ max: 10, visibilityMs: 1000 })).map((l) => l.event.requestId).sort();
  assert.deepEqual(leased, ['a', 'b', 'c', 'd', 'e']);
  reopened.close();
});

test('event-queue: only an enqueue waits for the log flush; a lease, ack or reschedule of the same commit answers at once', async () => {
  const q = open();
  await q.enqueue(ev('first'));
  const order: string[] = [];
  // Issued in one turn, so committed in one transaction: the enqueue is listed first, yet its
  // caller hears back only after the flush, while the lease's caller hears back at the commit.
  const enqueued = q.enqueue(ev('second')).then(() => order.push('enqueue'));
  const leased = q.lease({ max: 1, visibilityMs: 1000 }).then((l) => { order.push('lease'); return l; });
  const [lease] = await leased;
  await enqueued;
  assert.deepEqual(order, ['lease', 'enqueue']);
  const acked = q.ack(lease!).then(() => order.push('ack'));
  const third = q.enqueue(ev('third')).then(() => order.push('enqueue'));
  await Promise.all([acked, third]);
  assert.deepEqual(order, ['lease', 'enqueue', 'ack', 'enqueue']);
  q.close();
});

test('event-queue: an ack waits to join the next transaction (the lease that refills its slot), and commits alone within a few ms when none comes', async () => {
  const q = open();
  await Promise.all(['a', 'b', 'c'].map((id) => q.enqueue(ev(id))));
  const [a, b] = await q.lease({ max: 2, visibilityMs: 60_000 });
  const committed = (id: string) => store.db.prepare('SELECT COUNT(*) AS n FROM async_events WHERE request_id = ?').get(id) as { n: number };
  const changesBefore = store.db.prepare('PRAGMA data_version').pluck().get() as number;
  const acked = q.ack(a!);
  // A turn of the event loop later (where any other write would have been committed) the ack is
  // still waiting: nothing was written.
  await new Promise((r) => setImmediate(r));
  assert.equal(committed('a').n, 1, 'the ack waits for company');
  // The next lease commits it in its own transaction: one change of the file seen by another connection.
  const [c] = await q.lease({ max: 1, visibilityMs: 60_000 });
  assert.equal(await acked, true);
  assert.equal(c!.event.requestId, 'c');
  assert.equal(committed('a').n, 0);
  assert.equal((store.db.prepare('PRAGMA data_version').pluck().get() as number) - changesBefore, 1, 'ack and lease in one commit');
  // Alone, an ack still settles promptly (the wait is bounded).
  const began = performance.now();
  assert.equal(await q.ack(b!), true);
  assert.ok(performance.now() - began < 1_000);
  assert.equal(committed('b').n, 0);
  q.close();
});
