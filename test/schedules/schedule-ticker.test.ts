import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteScheduleStore } from '../../src/store/sqlite-schedule-store.js';
import { ScheduleTicker, flexibleOffset, MISSED_TICK_GRACE_MS, type TickJob } from '../../src/schedules/schedule-ticker.js';
import { parseScheduleExpression } from '../../src/schedules/schedule-expression.js';

const T0 = Date.parse('2026-03-07T00:00:00Z');
const MIN = 60_000;

function setup(dir?: string) {
  const db = new Database(dir ? join(dir, 'flint.db') : ':memory:');
  if (!dir || !(db.prepare("SELECT name FROM sqlite_master WHERE name = 'schedule_ticks'").get())) db.exec(MIGRATIONS.find((m) => m.id === 30)!.sql);
  return { db, store: new SqliteScheduleStore(db) };
}

function rig(opts: { expr: string; window?: number; start?: number; end?: number; timezone?: string; dir?: string; now?: number }) {
  const { db, store } = setup(opts.dir);
  const clock = { t: opts.now ?? T0, now() { return this.t; }, monotonic: () => performance.now() };
  const fired: number[] = [];
  let completed = 0;
  const job = (): TickJob => ({
    id: 'job',
    expression: parseScheduleExpression(opts.expr, { ...(opts.timezone ? { timezone: opts.timezone } : {}), allowAt: true })!,
    anchorMs: opts.start ?? T0,
    windowMs: (opts.window ?? 0) * MIN,
    ...(opts.start !== undefined ? { startMs: opts.start } : {}),
    ...(opts.end !== undefined ? { endMs: opts.end } : {}),
    fire: async (tick) => { fired.push(tick); },
    completed: () => { completed++; },
  });
  const ticker = new ScheduleTicker({ store, clock, jobs: () => [job()], log: () => {} });
  return { db, store, clock, fired, ticker, completed: () => completed };
}

test('rate(1 minute): one firing per tick, none twice, none missed, at the scheduled tick', async () => {
  const r = rig({ expr: 'rate(1 minute)' });
  r.store.resetTick('job', T0);
  assert.equal(await r.ticker.runDue(), 0);
  for (let i = 1; i <= 5; i++) {
    r.clock.t = T0 + i * MIN - 1;
    assert.equal(await r.ticker.runDue(), 0, 'not before its time');
    r.clock.t = T0 + i * MIN + 500;
    assert.equal(await r.ticker.runDue(), 1);
    assert.equal(await r.ticker.runDue(), 0, 'the same tick never twice');
  }
  assert.deepEqual(r.fired, [1, 2, 3, 4, 5].map((i) => T0 + i * MIN));
  // A pass 50 s late still fires its tick, once.
  r.clock.t = T0 + 6 * MIN + 50_000;
  assert.equal(await r.ticker.runDue(), 1);
  assert.equal(await r.ticker.runDue(), 0);
  assert.deepEqual(r.fired.slice(5), [T0 + 6 * MIN]);
});

test('two tickers on one database fire each tick once between them (the conditional claim)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-ticks-'));
  try {
    const a = rig({ expr: 'rate(1 minute)', dir });
    const b = rig({ expr: 'rate(1 minute)', dir });
    a.store.resetTick('job', T0);
    for (let i = 1; i <= 20; i++) {
      a.clock.t = b.clock.t = T0 + i * MIN;
      await Promise.all([a.ticker.runDue(), b.ticker.runDue(), b.ticker.runDue()]);
    }
    const all = [...a.fired, ...b.fired].sort((x, y) => x - y);
    assert.deepEqual(all, Array.from({ length: 20 }, (_, i) => T0 + (i + 1) * MIN));
    a.db.close();
    b.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restart: a tick missed while down fires once within the grace (OFF), older ones are skipped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-ticks-'));
  try {
    const first = rig({ expr: 'rate(5 minutes)', dir });
    first.store.resetTick('job', T0);
    first.clock.t = T0 + 5 * MIN;
    assert.equal(await first.ticker.runDue(), 1);
    first.db.close();
    // Down from 5:00 to 10:30: the 10:00 tick is 30 s old (within 60 s grace) → fires once on start.
    const second = rig({ expr: 'rate(5 minutes)', dir, now: T0 + 10 * MIN + 30_000 });
    assert.equal(await second.ticker.runDue(), 1);
    assert.deepEqual(second.fired, [T0 + 10 * MIN]);
    assert.equal(await second.ticker.runDue(), 0);
    second.db.close();
    // Down from 10:30 to 26:00: 15:00 and 20:00 are skipped (older than the grace), 25:00 fires.
    const third = rig({ expr: 'rate(5 minutes)', dir, now: T0 + 26 * MIN + 1 });
    assert.equal(await third.ticker.runDue(), 0, '25:00 is just over 60 s old: skipped');
    third.db.close();
    const fourth = rig({ expr: 'rate(5 minutes)', dir, now: T0 + 30 * MIN + MISSED_TICK_GRACE_MS });
    assert.equal(await fourth.ticker.runDue(), 1);
    assert.deepEqual(fourth.fired, [T0 + 30 * MIN]);
    fourth.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('FLEXIBLE window: fires at its (stable) point in the window, and after a restart still once while the window lasts', async () => {
  const r = rig({ expr: 'rate(1 hour)', window: 15 });
  r.store.resetTick('job', T0);
  const tick = T0 + 60 * MIN;
  const offset = flexibleOffset('job', tick, 15 * MIN);
  assert.ok(offset >= 0 && offset < 15 * MIN);
  assert.equal(offset, flexibleOffset('job', tick, 15 * MIN), 'the same point after a restart');
  r.clock.t = tick + offset - 1;
  assert.equal(await r.ticker.runDue(), 0);
  r.clock.t = tick + offset;
  assert.equal(await r.ticker.runDue(), 1);
  assert.deepEqual(r.fired, [tick]);
  // Missed entirely while "down": 14 min into the next window it still fires; after 15 min it does not.
  r.clock.t = T0 + 120 * MIN + 14 * MIN;
  assert.equal(await r.ticker.runDue(), 1);
  r.clock.t = T0 + 180 * MIN + 15 * MIN + 1;
  assert.equal(await r.ticker.runDue(), 0);
  assert.equal(r.fired.length, 2);
});

test('at(): fires once, then the job is completed (ActionAfterCompletion applies)', async () => {
  const r = rig({ expr: 'at(2026-03-07T00:10:00)' });
  r.store.resetTick('job', T0);
  r.clock.t = T0 + 9 * MIN;
  assert.equal(await r.ticker.runDue(), 0);
  assert.equal(r.completed(), 0);
  r.clock.t = T0 + 10 * MIN + 1_000;
  assert.equal(await r.ticker.runDue(), 1);
  assert.equal(r.completed(), 1);
  r.clock.t = T0 + 11 * MIN;
  assert.equal(await r.ticker.runDue(), 0);
  assert.deepEqual(r.fired, [T0 + 10 * MIN]);
});

test('StartDate and EndDate bound the ticks; past the end the job is completed', async () => {
  const start = T0 + 10 * MIN;
  const end = T0 + 13 * MIN;
  const r = rig({ expr: 'rate(1 minute)', start, end });
  r.store.resetTick('job', T0);
  for (let m = 1; m <= 16; m++) {
    r.clock.t = T0 + m * MIN;
    await r.ticker.runDue();
  }
  assert.deepEqual(r.fired, [T0 + 10 * MIN, T0 + 11 * MIN, T0 + 12 * MIN, T0 + 13 * MIN]);
  assert.ok(r.completed() > 0);
});

test('cron in a time zone: the daily 02:00 New York job across the March DST change', async () => {
  const r = rig({ expr: 'cron(0 2 * * ? *)', timezone: 'America/New_York' });
  r.store.resetTick('job', T0);
  for (let h = 1; h <= 72; h++) {
    r.clock.t = T0 + h * 60 * MIN;
    await r.ticker.runDue();
  }
  // 8 March has no 02:00 in New York: skipped, as AWS Scheduler does.
  assert.deepEqual(r.fired.map((t) => new Date(t).toISOString()), ['2026-03-07T07:00:00.000Z', '2026-03-09T06:00:00.000Z']);
});
