import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTraceStore } from '../../src/store/sqlite-trace-store.js';
import { TraceRecorder } from '../../src/tracing/trace-recorder.js';
import { XRayService } from '../../src/tracing/xray-service.js';
import { AwsError } from '../../src/domain/errors.js';

const T0 = 1_700_000_000; // epoch seconds
const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const traceId = (sec: number, n: number) => `1-${hex8(sec)}-${n.toString(16).padStart(24, '0')}`;
const segId = (n: number) => n.toString(16).padStart(16, '0');

function setup(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'flint-traces-'));
  let nowMs = (T0 + 100) * 1000;
  const clock = { now: () => nowMs, monotonic: () => nowMs };
  const store = new SqliteTraceStore(join(dir, 'traces.db'));
  const recorder = new TraceRecorder({ store, clock });
  const xray = new XRayService({ store, recorder, clock });
  t.after(() => { store.close(); rmSync(dir, { recursive: true, force: true }); });
  return { xray, recorder, store, setNow: (ms: number) => (nowMs = ms) };
}

/** A Lambda-shaped trace: service segment + function segment (optionally faulty, cold). */
function lambdaTrace(n: number, sec: number, opts: { name?: string; fault?: boolean; cold?: boolean; ms?: number } = {}) {
  const id = traceId(sec, n);
  const name = opts.name ?? 'fn-a';
  const end = sec + (opts.ms ?? 100) / 1000;
  return [
    { id: segId(n * 2), trace_id: id, name, origin: 'AWS::Lambda', start_time: sec, end_time: end, http: { response: { status: 200 } }, aws: { request_id: `r${n}` }, resource_arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}` },
    { id: segId(n * 2 + 1), trace_id: id, parent_id: segId(n * 2), name, origin: 'AWS::Lambda::Function', start_time: sec + 0.01, end_time: end, annotations: { ColdStart: opts.cold ?? false }, ...(opts.fault ? { fault: true, cause: { exceptions: [{ id: segId(999), type: 'Error', message: 'boom' }] } } : {}) },
  ];
}

test('xray: GetTraceSummaries finds traces by their id time, summarizes them and applies filters', (t) => {
  const { xray, recorder } = setup(t);
  recorder.record(lambdaTrace(1, T0, { cold: true }));
  recorder.record(lambdaTrace(2, T0 + 10, { fault: true, ms: 900 }));
  recorder.record(lambdaTrace(3, T0 + 20, { name: 'fn-b' }));
  recorder.record(lambdaTrace(4, T0 + 5000));
  const all = xray.traceSummaries({ startTime: T0 - 1, endTime: T0 + 60 }) as any;
  assert.deepEqual(all.TraceSummaries.map((s: any) => s.Id), [traceId(T0, 1), traceId(T0 + 10, 2), traceId(T0 + 20, 3)]);
  const second = all.TraceSummaries[1];
  assert.equal(second.HasFault, true);
  assert.equal(second.ResponseTime, 0.9);
  assert.equal(second.EntryPoint.Type, 'AWS::Lambda');
  assert.equal(second.EntryPoint.Name, 'fn-a');
  assert.deepEqual(second.FaultRootCauses[0].Services[0].EntityPath[0].Exceptions, [{ Name: 'Error', Message: 'boom' }]);
  assert.deepEqual(all.TraceSummaries[0].Annotations.ColdStart, [{ AnnotationValue: { BooleanValue: true }, ServiceIds: [{ Name: 'fn-a', Names: ['fn-a'], Type: 'AWS::Lambda::Function' }] }]);
  assert.deepEqual(all.TraceSummaries[0].Http, { HttpStatus: 200 });
  const ids = (f: string) => (xray.traceSummaries({ startTime: T0 - 1, endTime: T0 + 60, filterExpression: f }) as any).TraceSummaries.map((s: any) => s.Id);
  assert.deepEqual(ids('service("fn-b")'), [traceId(T0 + 20, 3)]);
  assert.deepEqual(ids('fault'), [traceId(T0 + 10, 2)]);
  assert.deepEqual(ids('annotation.ColdStart = true'), [traceId(T0, 1)]);
  assert.deepEqual(ids('responsetime > 0.5 OR service("fn-b")'), [traceId(T0 + 10, 2), traceId(T0 + 20, 3)]);
  assert.deepEqual(ids('http.status = 200 AND NOT fault AND service("fn-a")'), [traceId(T0, 1)]);
  assert.throws(() => xray.traceSummaries({ startTime: T0, endTime: T0 + 1, filterExpression: 'service(' }), (e: AwsError) => e.type === 'InvalidRequestException');
  assert.throws(() => xray.traceSummaries({ startTime: T0 + 1, endTime: T0 }), (e: AwsError) => e.type === 'InvalidRequestException');
  assert.throws(() => xray.traceSummaries({ startTime: T0, endTime: T0 + 1, timeRangeType: 'Service' }), (e: AwsError) => e.type === 'InvalidRequestException');
  assert.throws(() => xray.traceSummaries({ startTime: T0, endTime: T0 + 1, nextToken: 'bad' }), (e: AwsError) => e.type === 'InvalidRequestException');
});

test('xray: TimeRangeType Event finds a trace by its segments\' times, not its id\'s', (t) => {
  const { xray, recorder } = setup(t);
  // An id minted at T0 whose segments ran an hour later (an async event that waited).
  const segs = lambdaTrace(7, T0).map((s) => ({ ...s, start_time: s.start_time + 3600, end_time: s.end_time + 3600 }));
  recorder.record(segs);
  assert.equal((xray.traceSummaries({ startTime: T0 + 3590, endTime: T0 + 3700 }) as any).TraceSummaries.length, 0);
  const byEvent = xray.traceSummaries({ startTime: T0 + 3590, endTime: T0 + 3700, timeRangeType: 'Event' }) as any;
  assert.deepEqual(byEvent.TraceSummaries.map((s: any) => s.Id), [traceId(T0, 7)]);
  assert.ok(byEvent.TraceSummaries[0].MatchedEventTime instanceof Date);
});

test('xray: GetTraceSummaries pages with NextToken, 100 traces a page', (t) => {
  const { xray, recorder } = setup(t);
  for (let i = 1; i <= 130; i++) recorder.record(lambdaTrace(i, T0 + i));
  const first = xray.traceSummaries({ startTime: T0, endTime: T0 + 1000 }) as any;
  assert.equal(first.TraceSummaries.length, 100);
  assert.ok(first.NextToken);
  const second = xray.traceSummaries({ startTime: T0, endTime: T0 + 1000, nextToken: first.NextToken }) as any;
  assert.equal(second.TraceSummaries.length, 30);
  assert.equal(second.NextToken, undefined);
  assert.equal(new Set([...first.TraceSummaries, ...second.TraceSummaries].map((s: any) => s.Id)).size, 130);
});

test('xray: BatchGetTraces returns segment documents as stored, unknown ids as unprocessed, 5 a page', (t) => {
  const { xray, recorder } = setup(t);
  for (let i = 1; i <= 6; i++) recorder.record(lambdaTrace(i, T0 + i));
  const ids = [1, 2, 3, 4, 5, 6].map((i) => traceId(T0 + i, i));
  const out = xray.batchGetTraces([traceId(T0, 42), ...ids.slice(0, 2)], undefined) as any;
  assert.deepEqual(out.UnprocessedTraceIds, [traceId(T0, 42)]);
  assert.equal(out.Traces.length, 2);
  const doc = JSON.parse(out.Traces[0].Segments[0].Document);
  assert.equal(doc.trace_id, ids[0]);
  assert.equal(out.Traces[0].Duration, 0.1);
  const page1 = xray.batchGetTraces(ids, undefined) as any;
  assert.equal(page1.Traces.length, 5);
  const page2 = xray.batchGetTraces(ids, page1.NextToken) as any;
  assert.deepEqual(page2.Traces.map((x: any) => x.Id), [ids[5]]);
});

test('xray: PutTraceSegments stores valid segments and reports each invalid one', (t) => {
  const { xray } = setup(t);
  const good = { id: segId(77), trace_id: traceId(T0, 77), name: 'my-app', start_time: T0, end_time: T0 + 0.5, annotations: { tenant: 'blue' } };
  const out = xray.putTraceSegments([
    JSON.stringify(good),
    'not json',
    JSON.stringify({ ...good, id: 'short' }),
    JSON.stringify({ ...good, id: segId(78), trace_id: '1-abc' }),
    JSON.stringify({ ...good, id: segId(79), end_time: undefined }),
  ]) as any;
  assert.deepEqual(out.UnprocessedTraceSegments.map((u: any) => [u.Id, u.ErrorCode]), [[undefined, 'InvalidSegment'], ['short', 'InvalidSegment'], [segId(78), 'InvalidSegment'], [segId(79), 'InvalidSegment']]);
  const found = xray.traceSummaries({ startTime: T0 - 1, endTime: T0 + 1, filterExpression: 'annotation.tenant = "blue"' }) as any;
  assert.deepEqual(found.TraceSummaries.map((s: any) => s.Id), [traceId(T0, 77)]);
});

test('xray: traces older than the 30-day retention are pruned', (t) => {
  const { xray, recorder, setNow } = setup(t);
  recorder.record(lambdaTrace(1, T0));
  recorder.record(lambdaTrace(2, T0 + 20 * 86400));
  setNow((T0 + 31 * 86400) * 1000);
  assert.equal(recorder.prune(), 1);
  const left = xray.traceSummaries({ startTime: T0 - 1, endTime: T0 + 40 * 86400 }) as any;
  assert.deepEqual(left.TraceSummaries.map((s: any) => s.Id), [traceId(T0 + 20 * 86400, 2)]);
});

test('xray: odd but valid-at-the-top documents from PutTraceSegments do not break summaries', (t) => {
  const { xray } = setup(t);
  const doc = { id: segId(90), trace_id: traceId(T0, 90), name: 'odd', start_time: T0, end_time: T0 + 1, fault: true, subsegments: { not: 'a list' }, cause: { exceptions: 'nope' }, annotations: { ok: 1, nested: { x: 1 } } };
  assert.deepEqual((xray.putTraceSegments([JSON.stringify(doc)]) as any).UnprocessedTraceSegments, []);
  const s = (xray.traceSummaries({ startTime: T0 - 1, endTime: T0 + 2 }) as any).TraceSummaries[0];
  assert.equal(s.HasFault, true);
  assert.deepEqual(Object.keys(s.Annotations), ['ok']);
});
