import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteMetadataStore } from '../../src/store/sqlite-metadata-store.js';
import { costOf, DEFAULT_PRICES, loadPriceTable, parsePriceTable } from '../../src/history/price-table.js';
import { UsageMeter } from '../../src/history/usage-meter.js';
import { parseSince, renderUsage } from '../../src/cli/usage-command.js';
import type { InvocationRecord } from '../../src/ports/metrics.js';

test('usage cost: requests at $0.20 per million plus GB-seconds at the architecture\'s rate', () => {
  const cases: Array<{ requests: number; billedMs: number; memoryMb: number; arch: string; usd: number }> = [
    { requests: 1_000_000, billedMs: 0, memoryMb: 128, arch: 'x86_64', usd: 0.2 },
    // 1 GB for 1 s = 1 GB-second.
    { requests: 0, billedMs: 1000, memoryMb: 1024, arch: 'x86_64', usd: 0.0000166667 },
    { requests: 0, billedMs: 1000, memoryMb: 1024, arch: 'arm64', usd: 0.0000133334 },
    // 3M requests of 120 ms at 512 MB (AWS's pricing example shape): 180,000 GB-s.
    { requests: 3_000_000, billedMs: 3_000_000 * 120, memoryMb: 512, arch: 'x86_64', usd: 0.6 + 180_000 * 0.0000166667 },
    // An architecture the table does not know is priced as x86_64.
    { requests: 0, billedMs: 2000, memoryMb: 512, arch: 'riscv', usd: 0.0000166667 },
  ];
  for (const c of cases) {
    const got = costOf({ requests: c.requests, mbMs: c.billedMs * c.memoryMb }, c.arch, DEFAULT_PRICES);
    assert.ok(Math.abs(got - c.usd) < 1e-12, `${JSON.stringify(c)}: ${got}`);
  }
});

test('price table: a JSON file overrides the members it names and keeps the other defaults; bad values are refused', () => {
  const t = parsePriceTable('{"gbSecond":{"arm64":0.00001}}');
  assert.equal(t.gbSecond['arm64'], 0.00001);
  assert.equal(t.gbSecond['x86_64'], 0.0000166667);
  assert.equal(t.requestsPerMillion, 0.2);
  assert.equal(parsePriceTable('{"requestsPerMillion":0}').requestsPerMillion, 0);
  assert.throws(() => parsePriceTable('{"requestsPerMillion":-1}'), /non-negative/);
  assert.throws(() => loadPriceTable('/x.json', () => '{"gbSecond":3}'), /FLINT_PRICE_TABLE \/x\.json: .*gbSecond/);
  assert.equal(loadPriceTable(undefined, () => { throw new Error('not read'); }), DEFAULT_PRICES);
});

test('--since: durations count back from now, ISO times are absolute, anything else is refused', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  const cases: Array<[string, string]> = [
    ['24h', '2026-12-03T12:00:00.000Z'],
    ['30m', '2026-12-04T11:30:00.000Z'],
    ['90s', '2026-12-04T11:58:30.000Z'],
    ['7d', '2026-11-27T12:00:00.000Z'],
    ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00.000Z'],
  ];
  for (const [text, want] of cases) assert.equal(new Date(parseSince(text, now)).toISOString(), want, text);
  assert.throws(() => parseSince('yesterday', now), /--since/);
});

function meterFixture() {
  const dir = mkdtempSync(join(tmpdir(), 'flint-usage-'));
  const store = new SqliteMetadataStore(join(dir, 'flint.db'));
  let now = Date.parse('2026-12-04T12:00:30Z');
  const archs: Record<string, string> = { a: 'x86_64', b: 'arm64' };
  const meter = new UsageMeter({ store, clock: { now: () => now, monotonic: () => now }, prices: DEFAULT_PRICES, architectureOf: (fn) => { if (!archs[fn]) throw new Error('gone'); return archs[fn]; } });
  const rec = (functionName: string, billedDurationMs: number, memorySizeMb = 128): InvocationRecord => ({ functionName, version: '$LATEST', startType: 'warm', durationMs: billedDurationMs, billedDurationMs, memorySizeMb, outcome: 'success', async: false });
  return { meter, rec, advance: (ms: number) => { now += ms; }, now: () => now, close: () => { store.close(); rmSync(dir, { recursive: true, force: true }); } };
}

test('usage meter: sums requests and GB-seconds per function and architecture; --since counts whole minutes from the one holding it', (t) => {
  const f = meterFixture();
  t.after(f.close);
  f.meter.record(f.rec('a', 100));
  f.meter.record(f.rec('b', 1000, 1024));
  f.advance(120_000);
  const laterMinute = f.now();
  f.meter.record(f.rec('a', 300, 256));
  f.meter.record(f.rec('gone', 10));
  const all = f.meter.usage();
  assert.deepEqual(all.map((l) => [l.functionName, l.architecture, l.requests, l.billedMs]), [['a', 'x86_64', 2, 400], ['b', 'arm64', 1, 1000], ['gone', 'x86_64', 1, 10]]);
  assert.equal(all[0]!.gbSeconds, (100 * 128 + 300 * 256) / 1024 / 1000);
  assert.ok(Math.abs(all[1]!.costUsd - (0.2 / 1e6 + 0.0000133334)) < 1e-15);
  const recent = f.meter.usage({ sinceMs: laterMinute + 10_000 });
  assert.deepEqual(recent.map((l) => [l.functionName, l.requests]), [['a', 1], ['gone', 1]]);
  assert.deepEqual(f.meter.usage({ functionName: 'b' }).map((l) => l.requests), [1]);
  assert.deepEqual(f.meter.totals().map((l) => l.requests), [2, 1, 1]);
});

test('usage meter: the wrapped metrics still see every invocation and throttle', (t) => {
  const f = meterFixture();
  t.after(f.close);
  const seen: string[] = [];
  const wrapped = f.meter.wrap({ invocation: (r) => seen.push(`inv ${r.functionName}`), throttle: (fn, reason) => seen.push(`throttle ${fn} ${reason}`) });
  wrapped.invocation(f.rec('a', 5));
  wrapped.throttle('a', 'reserved');
  assert.deepEqual(seen, ['inv a', 'throttle a reserved']);
  assert.equal(f.meter.usage()[0]!.requests, 1);
});

test('flint usage table: one row per function, right-aligned numbers and a total', () => {
  const text = renderUsage([
    { functionName: 'a', architecture: 'x86_64', requests: 2, gbSeconds: 0.5, costUsd: 0.0000087 },
    { functionName: 'bb', architecture: 'arm64', requests: 10, gbSeconds: 1, costUsd: 0.0000153 },
  ]);
  assert.equal(text, [
    'FUNCTION  ARCH    REQUESTS  GB-SECONDS  COST (USD)',
    'a         x86_64         2    0.500000  0.00000870',
    'bb        arm64         10    1.000000  0.00001530',
    'TOTAL                   12    1.500000  0.00002400',
    '',
  ].join('\n'));
});
