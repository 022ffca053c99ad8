import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import * as errors from '../domain/errors.js';
import { AwsError } from '../domain/errors.js';
import type { InvokeRequest, InvokeResult } from '../ports/invoker.js';

/**
 * The internal invoke RPC's wire format (api/poller → worker, mutual TLS, HTTP/1.1 keep-alive):
 * `POST /invoke` with the InvokeRequest's fields in `x-flint-*` headers and the payload as the raw
 * body; the InvokeResult comes back the same way. Headers rather than a JSON envelope: the payload
 * (up to 6 MB) is never base64-encoded or copied into a document, and the worker can decide
 * admission from the headers alone.
 *
 * Outcomes, told apart by headers:
 * - a result: 200, result fields in headers, the payload as the body;
 * - a streamed result: 200 with `x-flint-stream: 1`, the chunks as the (chunked) body, the result's
 *   fields and the stream's error in the trailers;
 * - an error the local Invoker threw (AwsError): `x-flint-error: 1`, the error as JSON in the body;
 * - a refusal before anything ran: `x-flint-refused: WorkerFull | StaleEpoch | Fenced`.
 */
export const INVOKE_PATH = '/invoke';

export const H = {
  function: 'x-flint-function',
  qualifier: 'x-flint-qualifier',
  /** `function:version` the api routed by: the worker's admission key (warm environments, fair share). */
  route: 'x-flint-route',
  epoch: 'x-flint-epoch',
  /**
   * The api cannot read the membership either (PostgreSQL unreachable from it): a fenced worker
   * may then still serve warm invocations (static stability, docs/cluster.md).
   */
  blind: 'x-flint-blind',
  clientContext: 'x-flint-client-context',
  logType: 'x-flint-log-type',
  requestId: 'x-flint-request-id',
  traceId: 'x-flint-trace-id',
  enqueuedAt: 'x-flint-enqueued-at',
  /** The version a weighted alias drew on the api (InvokeRequest.version), the one the route names. */
  version: 'x-flint-version',
  async: 'x-flint-async',
  /** The caller takes a stream (InvokeRequest.onStream). */
  wantsStream: 'x-flint-want-stream',
  refused: 'x-flint-refused',
  error: 'x-flint-error',
  stream: 'x-flint-stream',
  streamContentType: 'x-flint-stream-content-type',
  executedVersion: 'x-flint-executed-version',
  statusCode: 'x-flint-status-code',
  functionError: 'x-flint-function-error',
  logResult: 'x-flint-log-result',
  functionArn: 'x-flint-function-arn',
  startType: 'x-flint-start-type',
  /** Trailers of a streamed result. */
  result: 'x-flint-result',
  streamError: 'x-flint-stream-error',
} as const;

export type Refusal = 'WorkerFull' | 'StaleEpoch' | 'Fenced';
export const REFUSALS: readonly Refusal[] = ['WorkerFull', 'StaleEpoch', 'Fenced'];

/** Request headers for an invocation (the payload goes as the body). */
export function requestHeaders(req: InvokeRequest, route: string, epoch: number, blind = false): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {
    [H.function]: encodeURIComponent(req.functionName),
    [H.route]: encodeURIComponent(route),
    [H.epoch]: String(epoch),
    'content-length': req.payload.length,
  };
  if (blind) h[H.blind] = '1';
  if (req.qualifier !== undefined) h[H.qualifier] = encodeURIComponent(req.qualifier);
  if (req.clientContext !== undefined) h[H.clientContext] = req.clientContext;
  if (req.logType !== undefined) h[H.logType] = req.logType;
  if (req.requestId !== undefined) h[H.requestId] = req.requestId;
  if (req.traceId !== undefined) h[H.traceId] = req.traceId;
  if (req.enqueuedAt !== undefined) h[H.enqueuedAt] = String(req.enqueuedAt);
  if (req.version !== undefined) h[H.version] = encodeURIComponent(req.version);
  if (req.async === true) h[H.async] = '1';
  if (req.onStream) h[H.wantsStream] = '1';
  return h;
}

/** The InvokeRequest the headers describe (without onStream: the server adds its own). */
export function requestOf(h: IncomingHttpHeaders, payload: Buffer): InvokeRequest {
  const qualifier = one(h[H.qualifier]);
  const clientContext = one(h[H.clientContext]);
  const logType = one(h[H.logType]);
  const requestId = one(h[H.requestId]);
  const traceId = one(h[H.traceId]);
  const enqueuedAt = one(h[H.enqueuedAt]);
  const version = one(h[H.version]);
  return {
    functionName: decodeURIComponent(one(h[H.function]) ?? ''),
    payload,
    ...(qualifier !== undefined ? { qualifier: decodeURIComponent(qualifier) } : {}),
    ...(clientContext !== undefined ? { clientContext } : {}),
    ...(logType === 'Tail' || logType === 'None' ? { logType } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(traceId !== undefined ? { traceId } : {}),
    ...(enqueuedAt !== undefined ? { enqueuedAt: Number(enqueuedAt) } : {}),
    ...(version !== undefined ? { version: decodeURIComponent(version) } : {}),
    ...(one(h[H.async]) === '1' ? { async: true } : {}),
  };
}

/** A result's fields but the payload, as headers (or, for a stream, as one JSON trailer). */
export type ResultMeta = Omit<InvokeResult, 'payload'>;

export function resultHeaders(r: ResultMeta): OutgoingHttpHeaders {
  const h: OutgoingHttpHeaders = {
    [H.requestId]: r.requestId,
    [H.statusCode]: String(r.statusCode),
    [H.executedVersion]: r.executedVersion,
    [H.functionArn]: r.functionArn,
  };
  if (r.functionError !== undefined) h[H.functionError] = r.functionError;
  if (r.logResult !== undefined) h[H.logResult] = r.logResult;
  if (r.startType !== undefined) h[H.startType] = r.startType;
  if (r.traceId !== undefined) h[H.traceId] = r.traceId;
  return h;
}

export function resultOf(h: IncomingHttpHeaders, payload: Buffer): InvokeResult {
  const functionError = one(h[H.functionError]);
  const logResult = one(h[H.logResult]);
  const startType = one(h[H.startType]);
  const traceId = one(h[H.traceId]);
  return {
    requestId: one(h[H.requestId]) ?? '',
    statusCode: Number(one(h[H.statusCode]) ?? 200),
    payload,
    executedVersion: one(h[H.executedVersion]) ?? '',
    functionArn: one(h[H.functionArn]) ?? '',
    ...(functionError === 'Unhandled' || functionError === 'Handled' ? { functionError } : {}),
    ...(logResult !== undefined ? { logResult } : {}),
    ...(startType === 'cold' || startType === 'warm' || startType === 'pre-initialized' ? { startType } : {}),
    ...(traceId !== undefined ? { traceId } : {}),
  };
}

interface WireError {
  type: string;
  message: string;
  status?: number;
  fields?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * An error as it crosses the wire. An AwsError keeps its type, message, status, body fields and
 * headers, so the api answers exactly as the worker's front door would have; anything else is the
 * front door's "unknown error" (ServiceException), its cause left in the worker's log.
 */
export function encodeError(err: unknown): Buffer {
  const e: WireError = err instanceof AwsError
    ? { type: err.type, message: err.message, ...(err.status !== undefined ? { status: err.status } : {}), fields: err.fields, headers: err.headers }
    : { type: 'ServiceException', message: 'An internal error occurred on the worker.' };
  return Buffer.from(JSON.stringify(e));
}

/** Lambda's typed error classes by wire type, so `instanceof TooManyRequestsException` still holds on the api. */
const TYPED = new Map<string, new (message: string, opts?: { fields?: Record<string, unknown>; headers?: Record<string, string> }) => AwsError>();
for (const C of Object.values(errors)) {
  if (typeof C !== 'function' || C === AwsError || !(C.prototype instanceof AwsError)) continue;
  const Ctor = C as new (message: string) => AwsError;
  TYPED.set(new Ctor('').type, Ctor);
}

export function decodeError(body: Buffer): AwsError {
  let e: WireError;
  try {
    e = JSON.parse(body.toString('utf8')) as WireError;
  } catch {
    return new errors.ServiceException('The worker answered with an unreadable error.');
  }
  const opts = { ...(e.fields ? { fields: e.fields } : {}), ...(e.headers ? { headers: e.headers } : {}) };
  const Typed = TYPED.get(e.type);
  if (Typed) {
    const made = new Typed(e.message, opts);
    if (made.status === e.status) return made;
  }
  return new AwsError(e.type, e.message, { ...opts, ...(e.status !== undefined ? { status: e.status } : {}) });
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
