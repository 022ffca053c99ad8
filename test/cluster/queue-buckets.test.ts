import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueueBuckets, bucketsFor } from '../../src/cluster/queue-buckets.js';
import type { BucketLease, BucketLeaseStore } from '../../src/ports/queue-buckets.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** The lease rows in memory, with the PostgreSQL store's rules (test/store-conformance covers that one). */
class MemoryLeases implements BucketLeaseStore {
  readonly rows = new Map<number, { owner: string | undefined; token: number; expiresAt: number }>();
  down = false;

  async list(): Promise<BucketLease[]> {
    return [...this.rows].map(([bucket, r]) => ({ bucket, ...r }));
  }

  async acquire(owner: string, buckets: readonly number[], now: number, expiresAt: number): Promise<Map<number, number>> {
    this.#check();
    const out = new Map<number, number>();
    for (const b of buckets) {
      const r = this.rows.get(b);
      if (r && r.owner !== undefined && r.owner !== owner && r.expiresAt > now) continue;
      const token = !r ? 1 : r.owner === owner ? r.token : r.token + 1;
      this.rows.set(b, { owner, token, expiresAt });
      out.set(b, token);
    }
    return out;
  }

  async renew(owner: string, holdings: ReadonlyMap<number, number>, expiresAt: number): Promise<number[]> {
    this.#check();
    const out: number[] = [];
    for (const [b, token] of holdings) {
      const r = this.rows.get(b);
      if (r && r.owner === owner && r.token === token) { r.expiresAt = expiresAt; out.push(b); }
    }
    return out;
  }

  async release(owner: string, holdings: ReadonlyMap<number, number>): Promise<void> {
    this.#check();
    for (const [b, token] of holdings) {
      const r = this.rows.get(b);
      if (r && r.owner === owner && r.token === token) { r.owner = undefined; r.expiresAt = 0; }
    }
  }

  #check(): void {
    if (this.down) throw new Error('connection refused');
  }
}

test('queue-buckets: rendezvous splits the buckets among live pollers without overlap or gap', () => {
  const live = ['p1', 'p2', 'p3'];
  const shares = live.map((p) => bucketsFor(p, live, 64));
  const all = shares.flat().sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: 64 }, (_, i) => i));
  for (const s of shares) assert.ok(s.length >= 8, `each poller gets a real share: ${shares.map((x) => x.length)}`);
  assert.deepEqual(bucketsFor('p1', ['p1'], 4), [0, 1, 2, 3]);
  assert.deepEqual(bucketsFor('p4', live, 64), [], 'a poller not in the membership holds nothing');
});

test('queue-buckets: when a poller leaves, only its buckets move', () => {
  const before = ['p1', 'p2', 'p3'];
  const after = ['p1', 'p3'];
  for (const p of after) {
    const kept = bucketsFor(p, before, 64);
    const now = bucketsFor(p, after, 64);
    assert.ok(kept.every((b) => now.includes(b)), `${p} keeps every bucket it had`);
  }
  const moved = bucketsFor('p2', before, 64);
  assert.deepEqual([...bucketsFor('p1', after, 64), ...bucketsFor('p3', after, 64)].filter((b) => moved.includes(b)).sort((a, b) => a - b), moved);
});

test('queue-buckets: holdings are renewed in the background, and stop counting once renewals fail past the lease (self-fencing)', async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  const buckets = new QueueBuckets({ store, self: 'p1', livePollers: () => ['p1'], clock, bucketCount: 8, leaseMs: 3000 });
  await buckets.start();
  assert.equal(buckets.held().size, 8);
  await clock.advance(10_000);
  assert.equal(buckets.held().size, 8, 'renewed every leaseMs / 3');
  assert.ok(store.rows.get(0)!.expiresAt > clock.now());

  store.down = true;
  await clock.advance(2000);
  assert.equal(buckets.held().size, 8, 'still within the last renewed lease');
  await clock.advance(1500);
  assert.equal(buckets.held().size, 0, 'the lease ran out without a renewal: nothing is claimed from it');

  store.down = false;
  await clock.advance(1000);
  assert.equal(buckets.held().size, 8, 'renewed again once the store answers (nobody took the buckets: same tokens)');
  assert.ok([...buckets.held().values()].every((t) => t === 1));
  await buckets.stop();
  assert.equal(buckets.held().size, 0);
  assert.ok([...store.rows.values()].every((r) => r.owner === undefined), 'stop releases every bucket');
  assert.equal(clock.pending, 0, 'stop clears the renewal timer');
});

test('queue-buckets: a bucket rendezvous moves away is kept, but not claimed from, for the handoff time, then released', async () => {
  const clock = new FakeClock();
  const store = new MemoryLeases();
  let live = ['p1'];
  const p1 = new QueueBuckets({ store, self: 'p1', livePollers: () => live, clock, bucketCount: 16, leaseMs: 3000, handoffMs: 2000 });
  await p1.reconcile();
  live = ['p1', 'p2'];
  const p2 = new QueueBuckets({ store, self: 'p2', livePollers: () => live, clock, bucketCount: 16, leaseMs: 3000, handoffMs: 2000 });
  const share = bucketsFor('p2', live, 16);
  assert.ok(share.length > 0);

  await p1.reconcile();
  assert.deepEqual([...p1.held().keys()].sort((a, b) => a - b), bucketsFor('p1', live, 16), 'p1 stops claiming from p2\'s share at once');
  assert.ok(share.every((b) => store.rows.get(b)!.owner === 'p1'), 'but keeps the leases so its in-flight events can still be acknowledged');
  await p2.reconcile();
  assert.equal(p2.held().size, 0);

  // Rendezvous gives the share back before the handoff ended (p2 gone again): p1 claims from it again.
  live = ['p1'];
  await p1.reconcile();
  assert.equal(p1.held().size, 16);
  live = ['p1', 'p2'];
  await p1.reconcile();
  assert.equal(p1.held().size, 16 - share.length);

  await clock.advance(2000);
  await p1.reconcile();
  await p2.reconcile();
  assert.deepEqual([...p2.held().keys()].sort((a, b) => a - b), share);
  assert.ok([...p2.held().values()].every((t) => t === 2), 'a change of holder raises the token');
});
