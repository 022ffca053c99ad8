import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextTick, parseScheduleExpression, type ScheduleExpression } from '../../src/schedules/schedule-expression.js';

const parse = (text: string, timezone?: string, allowAt = true): ScheduleExpression | undefined => parseScheduleExpression(text, { ...(timezone ? { timezone } : {}), allowAt });

function ticks(text: string, from: string, n: number, timezone?: string): string[] {
  const e = parse(text, timezone);
  assert.ok(e, `${text} should parse`);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = nextTick(e, t, Date.parse(from));
    if (next === undefined) break;
    out.push(new Date(next).toISOString());
    t = next;
  }
  return out;
}

test('rate(): singular exactly for 1, minutes/hours/days, counted from the anchor', () => {
  assert.deepEqual(ticks('rate(1 minute)', '2026-03-07T00:00:00Z', 2), ['2026-03-07T00:01:00.000Z', '2026-03-07T00:02:00.000Z']);
  assert.deepEqual(ticks('rate(5 minutes)', '2026-03-07T00:00:30Z', 1), ['2026-03-07T00:05:30.000Z']);
  assert.deepEqual(ticks('rate(2 hours)', '2026-03-07T00:00:00Z', 1), ['2026-03-07T02:00:00.000Z']);
  assert.deepEqual(ticks('rate(1 day)', '2026-03-07T00:00:00Z', 1), ['2026-03-08T00:00:00.000Z']);
  for (const bad of ['rate(1 minutes)', 'rate(5 minute)', 'rate(0 minutes)', 'rate(-1 minutes)', 'rate(1 second)', 'rate(1.5 hours)', 'rate(1  minute)', 'rate()', 'rate(1 week)']) {
    assert.equal(parse(bad), undefined, bad);
  }
});

test("cron(): AWS's six fields, 1-7 = SUN-SAT, ? required on one day field, L W # and n/step", () => {
  // Third Friday (6 = FRI) of each month.
  assert.deepEqual(ticks('cron(0 10 ? * 6#3 *)', '2026-03-07T00:00:00Z', 2), ['2026-03-20T10:00:00.000Z', '2026-04-17T10:00:00.000Z']);
  // Last day of the month; the weekday nearest the 15th (15 March 2026 is a Sunday → Monday 16th).
  assert.deepEqual(ticks('cron(0 12 L * ? *)', '2026-04-01T00:00:00Z', 2), ['2026-04-30T12:00:00.000Z', '2026-05-31T12:00:00.000Z']);
  assert.deepEqual(ticks('cron(0 12 15W * ? *)', '2026-03-07T00:00:00Z', 1), ['2026-03-16T12:00:00.000Z']);
  // Last Friday of the month.
  assert.deepEqual(ticks('cron(0 12 ? * 6L *)', '2026-03-07T00:00:00Z', 1), ['2026-03-27T12:00:00.000Z']);
  // 1 = Sunday, as SUN.
  assert.deepEqual(ticks('cron(0 0 ? * 1 *)', '2026-03-07T00:00:00Z', 1), ['2026-03-08T00:00:00.000Z']);
  assert.deepEqual(ticks('cron(0 0 ? * SUN *)', '2026-03-07T00:00:00Z', 1), ['2026-03-08T00:00:00.000Z']);
  // AWS's `0/15` (from 0 every 15), weekday names, ranges.
  assert.deepEqual(ticks('cron(0/15 10-16 ? * MON-FRI *)', '2026-03-07T00:00:00Z', 2), ['2026-03-09T10:00:00.000Z', '2026-03-09T10:15:00.000Z']);
  // The year field.
  assert.deepEqual(ticks('cron(0 8 1 * ? 2027)', '2026-03-07T00:00:00Z', 1), ['2027-01-01T08:00:00.000Z']);
  assert.deepEqual(ticks('cron(0 8 1 JAN ? 2026)', '2026-03-07T00:00:00Z', 1), []);
  for (const bad of [
    'cron(* * * * * *)', // both day fields set
    'cron(0 0 ? * ? *)', // both ?
    'cron(0 0 * * 1 *)',
    'cron(15 10 * *)', // five fields
    'cron(0 0 0 * ? * *)', // seven
    'cron(60 0 * * ? *)', 'cron(0 24 * * ? *)', 'cron(0 0 32 * ? *)', 'cron(0 0 * 13 ? *)', 'cron(0 0 ? * 8 *)', 'cron(0 0 ? * 0 *)', 'cron(0 0 * * ? 1969)', 'cron(0 0 * * ? 2200)',
    'cron(0 0 ? * 2#6 *)', 'cron(0/0 0 * * ? *)', 'cron(a 0 * * ? *)', 'cron(0 0 * * ? *', 'cron(0,  0 * * ? *)',
  ]) {
    assert.equal(parse(bad), undefined, bad);
  }
});

test('cron() in a time zone across DST: a time in the spring-forward gap is skipped, the repeated autumn hour fires once', () => {
  // 02:00 New York does not exist on 8 March 2026: no invocation that day (AWS Scheduler skips it).
  assert.deepEqual(ticks('cron(0 2 * * ? *)', '2026-03-07T00:00:00Z', 3, 'America/New_York'), ['2026-03-07T07:00:00.000Z', '2026-03-09T06:00:00.000Z', '2026-03-10T06:00:00.000Z']);
  // Every 30 minutes: 02:00 and 02:30 are skipped, 03:00 EDT (07:00Z) follows 01:30 EST (06:30Z).
  assert.deepEqual(ticks('cron(0/30 * * * ? *)', '2026-03-08T06:15:00Z', 3, 'America/New_York'), ['2026-03-08T06:30:00.000Z', '2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z']);
  // 01:30 happens twice on 1 November 2026: it fires once (the first, EDT).
  assert.deepEqual(ticks('cron(30 1 * * ? *)', '2026-10-31T00:00:00Z', 3, 'America/New_York'), ['2026-10-31T05:30:00.000Z', '2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  // Europe/Berlin: 09:00 local is 08:00Z in winter, 07:00Z after 29 March 2026.
  assert.deepEqual(ticks('cron(0 9 * * ? *)', '2026-03-28T00:00:00Z', 2, 'Europe/Berlin'), ['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z']);
});

test('at(): one tick, wall-clock time in the zone, Scheduler only, real dates only', () => {
  assert.deepEqual(ticks('at(2026-07-01T12:00:00)', '2026-03-07T00:00:00Z', 3), ['2026-07-01T12:00:00.000Z']);
  assert.deepEqual(ticks('at(2026-07-01T12:00:00)', '2026-03-07T00:00:00Z', 1, 'Asia/Tokyo'), ['2026-07-01T03:00:00.000Z']);
  assert.deepEqual(ticks('at(2026-12-01T12:00:00)', '2026-03-07T00:00:00Z', 1, 'America/New_York'), ['2026-12-01T17:00:00.000Z']);
  assert.equal(parse('at(2026-07-01T12:00:00)', undefined, false), undefined);
  for (const bad of ['at(2026-02-30T00:00:00)', 'at(2026-07-01 12:00:00)', 'at(2026-07-01T24:00:00)', 'at(2026-07-01T12:00)', 'at(2026-07-01T12:00:00Z)', 'in(5 minutes)', '']) {
    assert.equal(parse(bad), undefined, bad);
  }
});
