import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SegmentSpans } from '../../src/tracing/segment-spans.js';

test('segment spans: a segment and its subsegments become spans with X-Ray ids, parents and FaaS attributes', () => {
  const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:fn';
  const spans = new SegmentSpans().spans([{
    id: '1111111111111111', trace_id: '1-5759e988-bd862e3fe1be46a994272793', parent_id: '2222222222222222', name: 'fn', origin: 'AWS::Lambda::Function',
    start_time: 1465510280.5, end_time: 1465510280.75, resource_arn: arn, fault: true, cause: { exceptions: [{ type: 'Error', message: 'boom' }] },
    aws: { function_arn: arn, request_id: 'req-9', function_version: '3' }, annotations: { ColdStart: true },
    subsegments: [{ id: '3333333333333333', name: 'Invocation', start_time: 1465510280.5, end_time: 1465510280.7 }],
  }]);
  assert.equal(spans.length, 2);
  const [fn, inv] = spans;
  assert.deepEqual(fn!.spanContext().traceId, '5759e988bd862e3fe1be46a994272793');
  assert.equal(fn!.spanContext().spanId, '1111111111111111');
  assert.equal(fn!.parentSpanContext?.spanId, '2222222222222222');
  assert.equal(fn!.kind, SpanKind.SERVER);
  assert.deepEqual(fn!.startTime, [1465510280, 500000000]);
  assert.deepEqual(fn!.duration, [0, 250000000]);
  assert.deepEqual(fn!.status, { code: SpanStatusCode.ERROR, message: 'boom' });
  assert.equal(fn!.attributes['faas.invocation_id'], 'req-9');
  assert.equal(fn!.attributes['faas.coldstart'], true);
  assert.deepEqual(fn!.resource.attributes, {
    'service.name': 'fn', 'cloud.provider': 'aws', 'cloud.platform': 'aws_lambda', 'faas.name': 'fn',
    'cloud.region': 'eu-west-1', 'cloud.account.id': '123456789012', 'cloud.resource_id': arn, 'faas.version': '3',
  });
  assert.equal(inv!.parentSpanContext?.spanId, '1111111111111111');
  assert.equal(inv!.kind, SpanKind.INTERNAL);
  assert.equal(inv!.name, 'Invocation');
});

test('segment spans: documents without a valid trace id or segment id are skipped', () => {
  assert.deepEqual(new SegmentSpans().spans([{ id: 'x', trace_id: '1-5759e988-bd862e3fe1be46a994272793', name: 'a', start_time: 1 }, { id: '1111111111111111', trace_id: 'nope', name: 'b', start_time: 1 }]), []);
});
