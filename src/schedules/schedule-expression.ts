import { Cron } from 'croner';

/**
 * EventBridge's schedule expressions, parsed once and asked for ticks:
 * - `rate(value unit)`: unit minute|minutes|hour|hours|day|days, singular exactly when value is 1
 *   (AWS refuses `rate(1 minutes)` and `rate(5 minute)`);
 * - `cron(minutes hours day-of-month month day-of-week year)`: AWS's six fields, day-of-week 1–7 =
 *   SUN–SAT, one of day-of-month/day-of-week must be `?`, `L`, `W` and `#` as AWS documents;
 * - `at(yyyy-mm-ddThh:mm:ss)` (Scheduler only): one tick, wall-clock time in the schedule's zone.
 * Cron matching is croner's (Quartz weekday numbering, year field, time zones), with Scheduler's
 * daylight saving rules: a local time skipped by a spring-forward gap does not fire, one repeated
 * in the autumn fires once.
 */
export type ScheduleExpression =
  | { kind: 'rate'; text: string; periodMs: number }
  | { kind: 'cron'; text: string; cron: Cron }
  | { kind: 'at'; text: string; local: string; atMs: number };

const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** Returns the parsed expression, or undefined when AWS would refuse it. */
export function parseScheduleExpression(text: string, opts: { timezone?: string; allowAt: boolean }): ScheduleExpression | undefined {
  const m = /^(rate|cron|at)\((.*)\)$/.exec(text);
  if (!m) return undefined;
  const body = m[2]!;
  if (m[1] === 'rate') {
    const r = /^(\d+) (minute|minutes|hour|hours|day|days)$/.exec(body);
    if (!r) return undefined;
    const value = Number(r[1]);
    const plural = r[2]!.endsWith('s');
    if (value < 1 || (value === 1) === plural) return undefined;
    return { kind: 'rate', text, periodMs: value * RATE_UNITS[r[2]!.replace(/s$/, '')]! };
  }
  if (m[1] === 'at') {
    if (!opts.allowAt) return undefined;
    const a = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
    if (!a) return undefined;
    const [y, mo, d, h, mi, s] = a.slice(1).map(Number) as [number, number, number, number, number, number];
    const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    if (probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
    const atMs = zonedToEpoch(y, mo, d, h, mi, s, opts.timezone ?? 'UTC');
    return { kind: 'at', text, local: body, atMs };
  }
  const cron = awsCron(body, opts.timezone ?? 'UTC');
  return cron ? { kind: 'cron', text, cron } : undefined;
}

/**
 * The first tick strictly after `afterMs`, or undefined when none is left. `rate` ticks are
 * `anchorMs + k·period`: a StartDate anchor is itself the first tick; a creation-time anchor is
 * already counted (ticks start one period after creation).
 */
export function nextTick(expr: ScheduleExpression, afterMs: number, anchorMs: number): number | undefined {
  if (expr.kind === 'rate') {
    if (afterMs < anchorMs) return anchorMs;
    const k = Math.floor((afterMs - anchorMs) / expr.periodMs) + 1;
    return anchorMs + k * expr.periodMs;
  }
  if (expr.kind === 'at') return expr.atMs > afterMs ? expr.atMs : undefined;
  // A local time that a spring-forward gap skips does not fire (croner would move it to the first
  // time after the gap): "your schedule invocation gets skipped if the cron expression falls on a
  // non-existent date and time" (Scheduler's daylight saving time notes).
  let from = new Date(afterMs);
  for (let i = 0; i < 8; i++) {
    const next = expr.cron.nextRun(from);
    if (!next) return undefined;
    if (expr.cron.match(next)) return next.getTime();
    from = next;
  }
  return undefined;
}

const FIELD = {
  minutes: /^(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?)*$/,
  hours: /^(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?)*$/,
  dom: /^(\?|L|LW|\d{1,2}W|(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?(,(\*|\d{1,2}(-\d{1,2})?)(\/\d{1,2})?)*)$/,
  month: /^(\*|(\d{1,2}|[A-Z]{3})(-(\d{1,2}|[A-Z]{3}))?)(\/\d{1,2})?(,(\*|(\d{1,2}|[A-Z]{3})(-(\d{1,2}|[A-Z]{3}))?)(\/\d{1,2})?)*$/,
  dow: /^(\?|L|(\d|[A-Z]{3})L|(\d|[A-Z]{3})#[1-5]|(\*|(\d|[A-Z]{3})(-(\d|[A-Z]{3}))?)(\/\d)?(,(\*|(\d|[A-Z]{3})(-(\d|[A-Z]{3}))?)(\/\d)?)*)$/,
  year: /^(\*|\d{4}(-\d{4})?)(\/\d{1,3})?(,(\*|\d{4}(-\d{4})?)(\/\d{1,3})?)*$/,
};
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** AWS's six-field cron, checked field by field (ranges as AWS documents them), then handed to croner. */
function awsCron(body: string, timezone: string): Cron | undefined {
  const fields = body.split(' ');
  if (fields.length !== 6 || fields.some((f) => f === '')) return undefined;
  const [min, hour, dom, month, dow, year] = fields.map((f) => f.toUpperCase()) as [string, string, string, string, string, string];
  if (!FIELD.minutes.test(min) || !FIELD.hours.test(hour) || !FIELD.dom.test(dom) || !FIELD.month.test(month) || !FIELD.dow.test(dow) || !FIELD.year.test(year)) return undefined;
  // "You can't specify the Day-of-month and Day-of-week fields in the same cron expression. If you
  // specify a value (or a *) in one of the fields, you must use a ? in the other."
  if ((dom === '?') === (dow === '?')) return undefined;
  if (!inRange(min, 0, 59) || !inRange(hour, 0, 23) || !inRange(dom.replace(/W$/, ''), 1, 31) || !inRange(month, 1, 12, MONTHS) || !inRange(dow.replace(/(L|#\d)$/, ''), 1, 7, DAYS) || !inRange(year, 1970, 2199)) return undefined;
  // Croner: seconds first, `?` means any, Quartz weekday numbering (1 = Sunday) like AWS.
  // AWS's `start/step` (`0/15`) is croner's `start-max/step`.
  const pattern = ['0', stepFrom(min, 59), stepFrom(hour, 23), dom === '?' ? '*' : stepFrom(dom, 31), stepFrom(month, 12), dow === '?' ? '*' : stepFrom(dow, 7), stepFrom(year, 2199)].join(' ');
  try {
    return new Cron(pattern, { timezone, alternativeWeekdays: true, paused: true, domAndDow: true });
  } catch {
    return undefined;
  }
}

function stepFrom(field: string, max: number): string {
  return field.split(',').map((part) => part.replace(/^(\d+|[A-Z]{3})\/(\d+)$/, `$1-${max}/$2`)).join(',');
}

function inRange(field: string, lo: number, hi: number, names: string[] = []): boolean {
  if (field === '?' || field === 'L' || field === 'LW') return true;
  for (const part of field.split(',')) {
    const [range, step] = part.split('/') as [string, string | undefined];
    if (step !== undefined && Number(step) < 1) return false;
    if (range === '*') continue;
    for (const v of range.split('-')) {
      const n = names.includes(v) ? 1 + names.indexOf(v) - (lo === 0 ? 1 : 0) : Number(v);
      if (!Number.isInteger(n) || n < lo || n > hi) return false;
    }
  }
  return true;
}

/** Whether `zone` is an IANA time zone name this runtime knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Epoch ms of a wall-clock time in `zone` (a time inside a DST gap moves forward by the gap). */
export function zonedToEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number, zone: string): number {
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  let guess = asUtc - offsetMs(asUtc, zone);
  guess = asUtc - offsetMs(guess, zone);
  return guess;
}

function offsetMs(epochMs: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(epochMs));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(epochMs / 1000) * 1000;
}
