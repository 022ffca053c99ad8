import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvocationTracer } from '../../src/tracing/invocation-tracer.js';
import { TraceSampler } from '../../src/tracing/trace-sampler.js';
import type { TraceRecorder } from '../../src/tracing/trace-recorder.js';
import type { SegmentDocument } from '../../src/tracing/lambda-segments.js';
import type { TraceStart } from '../../src/ports/invocation-tracing.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:fn';
const ROOT = '1-5759e988-bd862e3fe1be46a994272793';

function setup(opts: { rate?: number } = {}) {
  let now = 1_700_000_000_000;
  const clock = { now: () => now, monotonic: () => now };
  const recorded: SegmentDocument[][] = [];
  const recorder = { record: (docs: SegmentDocument[]) => recorded.push(docs) } as unknown as TraceRecorder;
  const tracer = new InvocationTracer({ clock, recorder, sampler: new TraceSampler({ clock, fixedRate: opts.rate ?? 0, random: () => 0.5 }) });
  const start = (over: Partial<TraceStart>): TraceStart => ({ functionName: 'fn', version: '$LATEST', functionArn: ARN, requestId: 'req-1', header: undefined, mode: 'PassThrough', async: false, ...over });
  return { tracer, recorded, start, advance: (ms: number) => (now += ms), now: () => now };
}

test('tracer: PassThrough with Sampled=1 records, keeps the Root and names the function segment as Parent for the runtime', () => {
  const { tracer, recorded, start, advance } = setup();
  const t = tracer.begin(start({ header: `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1` }));
  assert.equal(t.sampled, true);
  assert.match(t.header, new RegExp(`^Root=${ROOT};Parent=[0-9a-f]{16};Sampled=1;Lineage=a87bd80c:1$`));
  advance(250);
  t.finish({ startType: 'cold', initDurationMs: 100, durationMs: 120, overheadMs: 5 });
  const [service, fn] = recorded[0]!;
  assert.equal(service!.origin, 'AWS::Lambda');
  assert.equal(service!.parent_id, '53995c3f42cd8ad8');
  assert.equal(service!.trace_id, ROOT);
  assert.deepEqual(service!.aws, { request_id: 'req-1' });
  assert.equal(fn!.origin, 'AWS::Lambda::Function');
  assert.equal(fn!.parent_id, service!.id);
  assert.equal(t.header.split(';')[1], `Parent=${fn!.id}`);
  assert.deepEqual(fn!.annotations, { ColdStart: true });
  assert.deepEqual(fn!.subsegments!.map((s) => s.name), ['Initialization', 'Invocation', 'Overhead']);
  const [init, inv, over] = fn!.subsegments!;
  assert.equal(Math.round((init!.end_time! - init!.start_time) * 1000), 100);
  assert.equal(Math.round((inv!.end_time! - inv!.start_time) * 1000), 120);
  assert.equal(inv!.end_time, over!.start_time);
  assert.equal(over!.end_time, fn!.end_time);
  assert.equal(fn!.fault, undefined);
});

test('tracer: PassThrough without a header decision does not record; Sampled=0 is respected even when Active', () => {
  const { tracer, recorded, start } = setup({ rate: 1 });
  const a = tracer.begin(start({ header: `Root=${ROOT};Parent=53995c3f42cd8ad8` }));
  assert.equal(a.sampled, false);
  assert.equal(a.header, `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=0`);
  a.finish({ durationMs: 1 });
  const b = tracer.begin(start({ header: `Root=${ROOT};Sampled=0`, mode: 'Active' }));
  assert.equal(b.sampled, false);
  b.finish({ durationMs: 1 });
  assert.equal(recorded.length, 0);
});

test('tracer: Active without a header starts a trace; the sampler takes 1 per second, then the fixed rate', () => {
  const { tracer, start, advance } = setup({ rate: 0 });
  const first = tracer.begin(start({ mode: 'Active' }));
  assert.equal(first.sampled, true);
  assert.match(first.header, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
  assert.equal(tracer.begin(start({ mode: 'Active' })).sampled, false);
  advance(1000);
  assert.equal(tracer.begin(start({ mode: 'Active' })).sampled, true);
});

test('tracer: a malformed header is ignored as Lambda does (Active starts its own trace)', () => {
  const { tracer, start } = setup();
  const t = tracer.begin(start({ header: 'Root=nonsense;Sampled=1', mode: 'Active' }));
  assert.equal(t.sampled, true);
  assert.doesNotMatch(t.header, /nonsense/);
  assert.equal(tracer.begin(start({ header: 'Root=nonsense;Sampled=1' })).sampled, false);
});

test('tracer: a function error marks the function segment as a fault; a throttle marks the service segment error+throttle (429)', () => {
  const { tracer, recorded, start } = setup();
  tracer.begin(start({ header: `Root=${ROOT};Sampled=1` })).finish({ startType: 'warm', durationMs: 3, functionError: 'Unhandled', errorType: 'Error' });
  const [, fn] = recorded[0]!;
  assert.equal(fn!.fault, true);
  assert.deepEqual(fn!.annotations, { ColdStart: false });
  assert.equal(fn!.cause!.exceptions![0]!.type, 'Error');
  assert.deepEqual(fn!.subsegments!.map((s) => s.name), ['Invocation']);
  tracer.begin(start({ header: `Root=${ROOT};Sampled=1` })).finish({ serviceError: { type: 'TooManyRequestsException', status: 429, message: 'Rate Exceeded.' } });
  const throttled = recorded[1]!;
  assert.equal(throttled.length, 1);
  assert.equal(throttled[0]!.error, true);
  assert.equal(throttled[0]!.throttle, true);
  assert.equal(throttled[0]!.http!.response!.status, 429);
});

test('tracer: an async event\'s service segment starts at acceptance, with its queue wait as Dwell Time', () => {
  const { tracer, recorded, start, now, advance } = setup();
  const enqueuedAt = now() - 2000;
  const t = tracer.begin(start({ header: `Root=${ROOT};Sampled=1`, async: true, enqueuedAt }));
  advance(10);
  t.finish({ startType: 'warm', durationMs: 5 });
  const [service] = recorded[0]!;
  assert.equal(service!.start_time, enqueuedAt / 1000);
  assert.equal(service!.subsegments![0]!.name, 'Dwell Time');
  assert.equal(Math.round((service!.subsegments![0]!.end_time! - service!.subsegments![0]!.start_time) * 1000), 2000);
  assert.equal(service!.aws!['invocation_type'], 'Event');
});
