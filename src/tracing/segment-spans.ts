import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type SpanContext } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { isTraceRoot, otelTraceId } from '../domain/trace-header.js';
import type { SegmentDocument } from './lambda-segments.js';

const SCOPE = { name: 'flint.lambda', version: '1' };

const hr = (seconds: number): HrTime => {
  const s = Math.floor(seconds);
  return [s, Math.round((seconds - s) * 1e9)];
};
const sub = (a: HrTime, b: HrTime): HrTime => {
  let s = a[0] - b[0];
  let n = a[1] - b[1];
  if (n < 0) {
    s -= 1;
    n += 1e9;
  }
  return s < 0 ? [0, 0] : [s, n];
};

/**
 * X-Ray segments as OpenTelemetry spans: one span per segment and subsegment, same ids (an X-Ray
 * segment id is 8 bytes like a span id; the trace id maps by otelTraceId), parents as X-Ray links
 * them (`parent_id`, or the enclosing segment for a subsegment). Resource attributes follow the
 * OpenTelemetry FaaS conventions for Lambda: service.name and faas.name are the function's name,
 * cloud.resource_id its ARN; span attributes carry faas.invocation_id, faas.coldstart and
 * faas.trigger. Errors and faults set the span status to ERROR.
 */
export class SegmentSpans {
  readonly #resources = new Map<string, Resource>();

  spans(segments: ReadonlyArray<SegmentDocument>): ReadableSpan[] {
    const out: ReadableSpan[] = [];
    for (const seg of segments) {
      const traceId = String(seg.trace_id ?? '');
      if (!isTraceRoot(traceId) || !/^[0-9a-f]{16}$/.test(seg.id)) continue;
      const otelId = otelTraceId(traceId);
      const resource = this.#resource(seg);
      const walk = (doc: SegmentDocument, parent: string | undefined, top: boolean) => {
        out.push(this.#span(doc, otelId, parent, resource, top, seg));
        if (Array.isArray(doc.subsegments)) for (const child of doc.subsegments) if (typeof child === 'object' && child !== null && typeof child.id === 'string' && /^[0-9a-f]{16}$/.test(child.id)) walk(child, doc.id, false);
      };
      walk(seg, seg.parent_id, true);
    }
    return out;
  }

  #resource(seg: SegmentDocument): Resource {
    const aws = seg.aws ?? {};
    const arn = String(seg.resource_arn ?? aws['function_arn'] ?? '');
    const key = `${seg.name}\u0000${arn}\u0000${seg.origin ?? ''}`;
    let r = this.#resources.get(key);
    if (r) return r;
    const parts = arn.split(':');
    const lambda = typeof seg.origin === 'string' && seg.origin.startsWith('AWS::Lambda');
    const attrs: Attributes = { 'service.name': seg.name, 'cloud.provider': 'aws' };
    if (lambda) {
      attrs['cloud.platform'] = 'aws_lambda';
      attrs['faas.name'] = seg.name;
      if (parts.length >= 7) {
        attrs['cloud.region'] = parts[3]!;
        attrs['cloud.account.id'] = parts[4]!;
        attrs['cloud.resource_id'] = arn;
      }
      if (typeof aws['function_version'] === 'string') attrs['faas.version'] = aws['function_version'];
    } else if (typeof seg.origin === 'string') {
      attrs['cloud.platform'] = seg.origin;
    }
    r = resourceFromAttributes(attrs);
    if (this.#resources.size > 1000) this.#resources.clear();
    this.#resources.set(key, r);
    return r;
  }

  #span(doc: SegmentDocument, traceId: string, parent: string | undefined, resource: Resource, top: boolean, seg: SegmentDocument): ReadableSpan {
    const startTime = hr(Number(doc.start_time) || 0);
    const endTime = hr(Number(doc.end_time ?? doc.start_time) || 0);
    const attributes: Attributes = {};
    if (top && seg.origin !== undefined) attributes['aws.xray.origin'] = seg.origin;
    const aws = doc.aws ?? {};
    const requestId = aws['request_id'];
    if (typeof requestId === 'string') {
      attributes['faas.invocation_id'] = requestId;
      attributes['aws.request_id'] = requestId;
    }
    if (top && typeof seg.origin === 'string' && seg.origin.startsWith('AWS::Lambda')) {
      attributes['faas.trigger'] = aws['invocation_type'] === 'Event' ? 'pubsub' : 'other';
      if (typeof doc.resource_arn === 'string') attributes['aws.lambda.invoked_arn'] = doc.resource_arn;
    }
    for (const [k, v] of Object.entries(typeof doc.annotations === 'object' && doc.annotations !== null ? doc.annotations : {})) {
      attributes[`aws.xray.annotations.${k}`] = v;
      if (k === 'ColdStart' && typeof v === 'boolean') attributes['faas.coldstart'] = v;
    }
    const status = doc.http?.response?.status;
    if (typeof status === 'number') attributes['http.response.status_code'] = status;
    if (doc.error) attributes['aws.xray.error'] = true;
    if (doc.fault) attributes['aws.xray.fault'] = true;
    if (doc.throttle) attributes['aws.xray.throttle'] = true;
    const exception = Array.isArray(doc.cause?.exceptions) ? doc.cause.exceptions[0] : undefined;
    if (exception?.type) attributes['error.type'] = exception.type;
    const failed = doc.fault === true || doc.error === true;
    const ctx: SpanContext = { traceId, spanId: doc.id, traceFlags: TraceFlags.SAMPLED, isRemote: false };
    const parentCtx: SpanContext | undefined = parent !== undefined ? { traceId, spanId: parent, traceFlags: TraceFlags.SAMPLED, isRemote: top } : undefined;
    return {
      name: doc.name,
      kind: top ? SpanKind.SERVER : SpanKind.INTERNAL,
      spanContext: () => ctx,
      ...(parentCtx ? { parentSpanContext: parentCtx } : {}),
      startTime,
      endTime,
      status: failed ? { code: SpanStatusCode.ERROR, message: exception?.message ?? exception?.type ?? (doc.fault ? 'fault' : 'error') } : { code: SpanStatusCode.UNSET },
      attributes,
      links: [],
      events: [],
      duration: sub(endTime, startTime),
      ended: true,
      resource,
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
  }
}
