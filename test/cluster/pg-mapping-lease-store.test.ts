import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PgMappingLeaseStore } from '../../src/store/pg/pg-mapping-lease-store.js';
import { startPostgres, postgresSkipReason, type TestPostgres } from '../helpers/postgres.js';
import { until } from './helpers/pools.js';

/** The mapping lease rows on a real PostgreSQL: races, fencing by token, expiry by the database's clock, release. */
const skip = postgresSkipReason;
let server: TestPostgres;
let pool: pg.Pool;
let store: PgMappingLeaseStore;

before(async () => {
  if (skip) return;
  server = await startPostgres({ fsync: false });
  pool = new pg.Pool({ connectionString: await server.createDatabase(), max: 6 });
  // Two nodes opening it at once: the DDL is serialised.
  [store] = await Promise.all([PgMappingLeaseStore.open(pool), PgMappingLeaseStore.open(pool)]);
});
after(async () => {
  await pool?.end();
  await server?.stop();
});

const uuids = Array.from({ length: 20 }, (_, i) => `m-${i}`);

test('pg mapping leases: two pollers racing for the same mappings each get a disjoint part, together all', { skip }, async () => {
  const [a, b] = await Promise.all([store.acquire('a', uuids, 60_000), store.acquire('b', uuids, 60_000)]);
  for (const u of uuids) assert.ok(a.has(u) !== b.has(u), `${u} taken by exactly one`);
  const rows = await store.list();
  assert.deepEqual(rows.map((r) => r.uuid).sort(), [...uuids].sort());
  assert.ok(rows.every((r) => r.leftMs > 50_000 && r.leftMs <= 60_000));
  // Taking again what one holds keeps the token; the other's unexpired leases are not taken.
  const again = await store.acquire('a', uuids, 60_000);
  assert.deepEqual(new Map([...again].sort()), new Map([...a].sort()));
  await store.release('a', a);
  await store.release('b', b);
  assert.deepEqual(await store.list(), [], 'released leases are gone');
});

test('pg mapping leases: renewal needs the owner and the token; an expired lease is taken with a new token and the old holder is fenced', { skip }, async () => {
  const a = await store.acquire('a', ['x'], 300);
  const tokenA = a.get('x')!;
  assert.deepEqual(await store.renew('b', a, 300), [], 'not the owner');
  assert.deepEqual(await store.renew('a', new Map([['x', tokenA + 1000]]), 300), [], 'not the token');
  assert.deepEqual(await store.renew('a', a, 300), ['x']);
  assert.equal((await store.acquire('b', ['x'], 60_000)).size, 0, 'unexpired: b waits');
  // Expiry is judged by the database's now(): b gets it once 300 ms passed there.
  let b = new Map<string, number>();
  await until('the lease expired', async () => (b = await store.acquire('b', ['x'], 60_000)).size === 1, 10_000);
  assert.notEqual(b.get('x'), tokenA, 'a new token');
  assert.deepEqual(await store.renew('a', a, 60_000), [], 'the old holder cannot renew');
  await store.release('a', a);
  assert.equal((await store.list())[0]?.owner, 'b', "a stale release leaves b's lease alone");
  await store.release('b', b);
  // Taken again after a release: still a token never used for it before.
  const c = await store.acquire('c', ['x'], 1000);
  assert.ok(c.get('x')! > b.get('x')!);
  await store.release('c', c);
});
