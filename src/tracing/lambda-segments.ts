import type { TracedOutcome } from '../ports/invocation-tracing.js';

/** An X-Ray segment or subsegment document (the fields Flint writes; PutTraceSegments may bring more). */
export interface SegmentDocument {
  id: string;
  name: string;
  start_time: number;
  end_time?: number;
  trace_id?: string;
  parent_id?: string;
  origin?: string;
  resource_arn?: string;
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  in_progress?: boolean;
  http?: { request?: Record<string, unknown>; response?: { status?: number; content_length?: number } };
  aws?: Record<string, unknown>;
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, unknown>;
  cause?: { exceptions?: Array<{ id?: string; type?: string; message?: string }> };
  subsegments?: SegmentDocument[];
  [more: string]: unknown;
}

/** What one traced invocation looked like, in epoch milliseconds. */
export interface InvocationTimings {
  traceId: string;
  /** The caller's segment (the incoming header's Parent). */
  parentId?: string;
  serviceSegmentId: string;
  functionSegmentId: string;
  functionName: string;
  functionArn: string;
  version: string;
  accountId: string;
  requestId: string;
  /** When Lambda received the request (sync) or the event (async). */
  receivedAt: number;
  /** When this attempt started (async: left the queue). */
  startedAt: number;
  /** When the outcome was known. */
  endedAt: number;
  async: boolean;
  newId(): string;
}

const sec = (ms: number) => Math.round(ms) / 1000;

/**
 * The segments Lambda records for an invocation: the service segment (`AWS::Lambda`, the time the
 * request spent in Lambda, with the queue's "Dwell Time" for async events) and, when the function
 * ran, the function segment (`AWS::Lambda::Function`) with its Initialization (cold starts),
 * Invocation and Overhead subsegments. A function error marks the function segment as a fault
 * (X-Ray's 5xx-class flag; the Invoke call itself still answered 200); a throttle marks the
 * service segment `error` + `throttle` (429), other service errors `error` (4xx) or `fault` (5xx).
 */
export function lambdaSegments(t: InvocationTimings, o: TracedOutcome): SegmentDocument[] {
  const status = o.serviceError?.status ?? 200;
  const service: SegmentDocument = {
    id: t.serviceSegmentId,
    name: t.functionName,
    start_time: sec(t.receivedAt),
    end_time: sec(t.endedAt),
    trace_id: t.traceId,
    ...(t.parentId !== undefined ? { parent_id: t.parentId } : {}),
    origin: 'AWS::Lambda',
    resource_arn: t.functionArn,
    http: { response: { status } },
    aws: { request_id: t.requestId, ...(t.async ? { invocation_type: 'Event' } : {}) },
    ...(status === 429 ? { error: true, throttle: true } : status >= 500 ? { fault: true } : status >= 400 ? { error: true } : {}),
    ...(o.serviceError ? { cause: { exceptions: [{ id: t.newId(), type: o.serviceError.type, message: o.serviceError.message }] } } : {}),
  };
  if (t.async && t.startedAt > t.receivedAt) {
    service.subsegments = [{ id: t.newId(), name: 'Dwell Time', start_time: sec(t.receivedAt), end_time: sec(t.startedAt) }];
  }
  if (o.serviceError || o.durationMs === undefined) return [service];

  const overhead = Math.max(0, o.overheadMs ?? 0);
  const invocationEnd = t.endedAt - overhead;
  const invocationStart = invocationEnd - o.durationMs;
  const initStart = o.initDurationMs !== undefined ? invocationStart - o.initDurationMs : undefined;
  const fnArn = t.functionArn;
  const sub = (name: string, from: number, to: number): SegmentDocument => ({ id: t.newId(), name, start_time: sec(from), end_time: sec(to), aws: { function_arn: fnArn } });
  const subsegments: SegmentDocument[] = [];
  if (initStart !== undefined) subsegments.push(sub('Initialization', initStart, invocationStart));
  subsegments.push(sub('Invocation', invocationStart, invocationEnd));
  if (overhead > 0) subsegments.push(sub('Overhead', invocationEnd, t.endedAt));
  const failed = o.functionError !== undefined;
  const fn: SegmentDocument = {
    id: t.functionSegmentId,
    name: t.functionName,
    start_time: sec(initStart ?? invocationStart),
    end_time: sec(t.endedAt),
    trace_id: t.traceId,
    parent_id: t.serviceSegmentId,
    origin: 'AWS::Lambda::Function',
    resource_arn: fnArn,
    aws: { function_arn: fnArn, resource_names: [t.functionName], account_id: t.accountId, function_version: t.version, request_id: t.requestId },
    annotations: { ColdStart: o.startType === 'cold' || o.startType === 'pre-initialized' },
    ...(failed ? { fault: true, cause: { exceptions: [{ id: t.newId(), type: o.errorType ?? 'Unhandled', message: o.errorType ?? 'Unhandled' }] } } : {}),
    subsegments,
  };
  return [service, fn];
}
