import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { History, type Report } from './history.js';
import { asyncDelivery, environmentsServingTwoVersions, maxConcurrency, overlappingRunsInOneEnvironment, scheduleFirings, spread, runsOnAfter, invokeOutcomesAfter, sqsDelivery } from './invariants.js';

const run = (id: string, start: number, end: number, extra: Partial<Report> = {}): Report => ({ id, fn: 'f', version: '$LATEST', env: `e-${id}`, worker: 'w1', start, end, ...extra });

test('history: records outcomes (ok, failed with a status, unknown without one) and reads the function reports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flint-history-'));
  try {
    const h = new History(join(dir, 'reports.jsonl'));
    assert.deepEqual(h.reports(), []);
    await h.record('invoke', 'a', 'api1', async () => ({ status: 200, report: run('a', 1, 2) }));
    await h.record('enqueue', 'b', 'api2', async () => { throw Object.assign(new Error('down'), { name: 'ServiceException', $metadata: { httpStatusCode: 503 } }); });
    await h.record('invoke', 'c', 'api1', async () => { throw new Error('socket hang up'); });
    assert.deepEqual(h.ops.map((o) => [o.seq, o.kind, o.outcome, o.status]), [[1, 'invoke', 'ok', 200], [2, 'enqueue', 'fail', 503], [3, 'invoke', 'unknown', undefined]]);
    assert.equal(h.ops[0]!.report!.id, 'a');
    assert.ok(h.ops.every((o) => o.end! >= o.start));
    appendFileSync(join(dir, 'reports.jsonl'), `${JSON.stringify(run('x', 1, 2))}\n${JSON.stringify(run('y', 2, 3))}\n`);
    assert.deepEqual(h.reports().map((r) => r.id), ['x', 'y']);
    h.fault('kill w1');
    assert.match(h.summary(), /"invoke:ok:200":1.*kill w1.*reports 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('invariants: accepted async events lost and duplicated; rejected ones do not count', () => {
  const ops = [
    { seq: 1, kind: 'enqueue', id: 'a', via: 'api1', start: 0, outcome: 'ok', status: 202 },
    { seq: 2, kind: 'enqueue', id: 'b', via: 'api1', start: 0, outcome: 'ok', status: 202 },
    { seq: 3, kind: 'enqueue', id: 'c', via: 'api1', start: 0, outcome: 'fail', status: 503 },
  ] as const;
  const r = asyncDelivery(ops, [run('a', 1, 2), run('a', 3, 4)]);
  assert.deepEqual(r, { accepted: 2, lost: ['b'], duplicates: 1 });
  assert.deepEqual(asyncDelivery(ops, [run('a', 1, 2), run('b', 1, 2)]), { accepted: 2, lost: [], duplicates: 0 });
});

test('invariants: concurrency from the function\'s own start/end reports; touching intervals do not overlap', () => {
  const reports = [run('a', 0, 10), run('b', 5, 15), run('c', 10, 20), run('d', 12, 13), run('x', 0, 100, { fn: 'other' })];
  assert.deepEqual(maxConcurrency(reports, 'f'), { max: 3, at: 12 });
  assert.deepEqual(maxConcurrency([run('a', 0, 10), run('b', 10, 20)], 'f'), { max: 1, at: 0 });
  assert.deepEqual(maxConcurrency([], 'f'), { max: 0, at: 0 });
});

test('invariants: an environment serving two versions, or two requests at once, is reported', () => {
  const ok = [run('a', 0, 1, { env: 'e1' }), run('b', 2, 3, { env: 'e1' }), run('c', 0, 1, { env: 'e2', version: '2' })];
  assert.deepEqual(environmentsServingTwoVersions(ok), []);
  assert.deepEqual(overlappingRunsInOneEnvironment(ok), []);
  const bad = [...ok, run('d', 5, 6, { env: 'e1', version: '2' }), run('e', 2, 4, { env: 'e2', version: '2' })];
  assert.deepEqual(environmentsServingTwoVersions(bad), ['e1: f:$LATEST, f:2']);
  assert.deepEqual(overlappingRunsInOneEnvironment([run('a', 0, 5, { env: 'e1' }), run('b', 4, 6, { env: 'e1' })]), ['e1: a and b']);
});

test('invariants: schedules fired twice or never; spread over workers within (1+ε) of the mean; runs after a fault', () => {
  const reports = [run('s1', 0, 1, { schedule: 's1' }), run('s2', 0, 1, { schedule: 's2' }), run('s2b', 0, 1, { schedule: 's2' })];
  assert.deepEqual(scheduleFirings(reports, ['s1', 's2', 's3']), { missing: ['s3'], twice: ['s2'] });
  const envs = (worker: string, n: number) => Array.from({ length: n }, (_, i) => run(`${worker}-${i}`, 0, 1, { worker }));
  const even = spread([...envs('w1', 10), ...envs('w2', 11), ...envs('w3', 9)], ['w1', 'w2', 'w3'], 0.25);
  assert.deepEqual(even, { perWorker: { w1: 10, w2: 11, w3: 9 }, mean: 10, max: 11, within: true });
  assert.equal(spread([...envs('w1', 20), ...envs('w2', 5), ...envs('w3', 5)], ['w1', 'w2', 'w3'], 0.25).within, false);
  assert.deepEqual(runsOnAfter([run('a', 5, 6), run('b', 15, 16), run('c', 15, 16, { worker: 'w2' })], 'w1', 10).map((r) => r.id), ['b']);
  const ops = [{ seq: 1, kind: 'invoke', id: 'a', via: 'api1', start: 5, outcome: 'fail' }, { seq: 2, kind: 'invoke', id: 'b', via: 'api1', start: 15, outcome: 'ok' }] as const;
  assert.deepEqual(invokeOutcomesAfter(ops, 10), { ok: 1, failed: [] });
  assert.equal(invokeOutcomesAfter(ops, 0).failed.length, 1);
});

test('invariants: SQS sends acknowledged but never received are lost; failed or unanswered sends do not count', () => {
  const ops = [
    { seq: 1, kind: 'sqs-send', id: 'm1', via: 'api1', start: 1, end: 2, outcome: 'ok', status: 200 },
    { seq: 2, kind: 'sqs-send', id: 'm2', via: 'api1', start: 3, end: 4, outcome: 'ok', status: 200 },
    { seq: 3, kind: 'sqs-send', id: 'm3', via: 'api1', start: 5, end: 6, outcome: 'fail', status: 503 },
    { seq: 4, kind: 'sqs-send', id: 'm4', via: 'api1', start: 7, end: 9, outcome: 'unknown' },
    { seq: 5, kind: 'sqs-send', id: 'm5', via: 'api1', start: 11, end: 12, outcome: 'ok', status: 200 },
  ] as const;
  assert.deepEqual(sqsDelivery(ops, new Set(['m1', 'm5']), 10), { accepted: 3, acceptedBefore: 2, acceptedAfter: 1, lost: ['m2'] });
  assert.deepEqual(sqsDelivery(ops, new Set(['m1', 'm2', 'm5']), 10).lost, []);
});
