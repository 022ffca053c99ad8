import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import type { ScheduleStore } from '../../src/ports/schedule-store.js';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { SqliteScheduleStore } from '../../src/store/sqlite-schedule-store.js';
import { PgScheduleStore } from '../../src/store/pg/pg-schedule-store.js';
import { postgresSkipReason, startPostgres, type TestPostgres } from '../helpers/postgres.js';

/** One suite for every ScheduleStore driver (SQLite, PostgreSQL), then two PG tickers racing. */
let server: TestPostgres | undefined;
before(async () => { if (!postgresSkipReason) server = await startPostgres({ fsync: false }); });
after(async () => { await server?.stop(); });

const drivers: Array<{ name: string; skip: string | undefined; open(): Promise<{ store: ScheduleStore; done(): void }> }> = [
  {
    name: 'sqlite',
    skip: undefined,
    async open() {
      const meta = new SqliteMetadataStore(':memory:');
      return { store: new SqliteScheduleStore(meta.db), done: () => meta.close() };
    },
  },
  {
    name: 'postgres',
    skip: postgresSkipReason,
    async open() {
      const store = new PgScheduleStore(await server!.createDatabase());
      return { store, done: () => store.close() };
    },
  },
];

for (const d of drivers) {
  describe(`schedule store (${d.name})`, { skip: d.skip }, () => {
    let store: ScheduleStore;
    let done: () => void;
    before(async () => ({ store, done } = await d.open()));
    after(() => done());

    test('documents: put, get, delete, and list in key order; kinds are separate', () => {
      const schedules = store.documents<{ Name: string }>('schedule');
      const groups = store.documents<{ Name: string }>('schedule-group');
      assert.equal(schedules.get('default/a'), undefined);
      for (const k of ['default/b', 'default/a', 'Default/z', 'g2/a']) schedules.put(k, { Name: k });
      groups.put('default/a', { Name: 'group' });
      assert.deepEqual(schedules.get('default/a'), { Name: 'default/a' });
      assert.deepEqual(schedules.list().map((s) => s.Name), ['Default/z', 'default/a', 'default/b', 'g2/a']);
      schedules.put('default/a', { Name: 'updated' });
      assert.deepEqual(schedules.get('default/a'), { Name: 'updated' });
      assert.deepEqual(groups.list(), [{ Name: 'group' }]);
      assert.equal(schedules.delete('default/a'), true);
      assert.equal(schedules.delete('default/a'), false);
      assert.equal(schedules.list().length, 3);
    });

    test('ticks: a job counts from resetTick; each later tick is claimed once; earlier or equal ticks never', () => {
      const job = 'scheduler:default/every-minute';
      assert.equal(store.lastTick(job), undefined);
      assert.equal(store.claimTick(job, 1000), false, 'a job that was never started has no ticks to claim');
      store.resetTick(job, 1000);
      assert.equal(store.lastTick(job), 1000);
      assert.equal(store.claimTick(job, 1000), false);
      assert.equal(store.claimTick(job, 61_000), true);
      assert.equal(store.claimTick(job, 61_000), false, 'the same tick fires once');
      assert.equal(store.claimTick(job, 31_000), false, 'no tick before the last claimed one');
      assert.equal(store.lastTick(job), 61_000);
      assert.equal(store.claimTick(job, 1_767_225_600_000), true, 'epoch milliseconds of today fit');
      assert.equal(store.lastTick(job), 1_767_225_600_000);
      store.resetTick(job, 5000);
      assert.equal(store.lastTick(job), 5000, 'an update restarts the count, also backwards');
      store.forgetTick(job);
      assert.equal(store.lastTick(job), undefined);
      assert.equal(store.claimTick(job, 99_000), false);
    });

    test('ticks: lastTicks reads every job\'s last tick at once, as lastTick reads each', () => {
      store.resetTick('rule:a', 1_767_225_600_000);
      store.resetTick('rule:b', 2000);
      assert.equal(store.claimTick('rule:b', 62_000), true);
      const all = store.lastTicks();
      assert.equal(all.get('rule:a'), 1_767_225_600_000);
      assert.equal(all.get('rule:b'), 62_000);
      assert.equal(all.has('scheduler:default/every-minute'), false, 'a forgotten job is gone');
      for (const [job, tick] of all) assert.equal(store.lastTick(job), tick);
    });
  });
}

describe('schedule store (postgres): two tickers on one database', { skip: postgresSkipReason }, () => {
  test('two processes claiming the current tick over and over fire each tick exactly once between them', async (t) => {
    const url = await server!.createDatabase();
    const job = 'scheduler:default/race';
    const store = new PgScheduleStore(url);
    store.resetTick(job, 0);
    // Both start at the same wall-clock time, far enough out for the child to have loaded.
    const startAt = Date.now() + 3000;
    const endAt = startAt + 1500;
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'pg-tick-claimer.ts'), url, job, String(startAt), String(endAt)], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => { out += String(c); });
      const finished = once(child, 'exit');
      await new Promise((r) => setTimeout(r, startAt - Date.now()));
      const mine: number[] = [];
      while (Date.now() < endAt) {
        const tick = Math.floor(Date.now() / 2) * 2;
        if (store.claimTick(job, tick)) mine.push(tick);
      }
      const [code] = await finished;
      assert.equal(code, 0);
      const theirs = JSON.parse(out) as number[];
      const twice = mine.filter((tick) => theirs.includes(tick));
      assert.deepEqual(twice, [], 'no tick fired on both nodes');
      assert.equal(store.lastTick(job), Math.max(...mine, ...theirs));
      t.diagnostic(`this node won ${mine.length} ticks, the other ${theirs.length}`);
    } finally {
      child.kill();
      store.close();
    }
  });
});
