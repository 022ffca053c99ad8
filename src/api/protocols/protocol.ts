import type { IncomingHttpHeaders } from 'node:http';
import type { Operation, ServiceModel } from '../service-model.js';
import type { AwsError } from '../../domain/errors.js';

export interface EncodedResponse {
  status: number;
  headers: Record<string, string>;
  /** An async iterable is an event stream (InvokeWithResponseStream): written as it yields, chunked. */
  body: Buffer | string | AsyncIterable<Uint8Array>;
}

/** Whether an output member is a stream of event frames rather than bytes or JSON. */
export function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array> {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** A request as the front door has it once the body is read. */
export interface ProtocolRequest {
  method: string;
  /** The path as received, still percent-encoded. */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface OperationMatch {
  operation: Operation;
  /** rest-json: decoded values of the path's `{Name}` captures. */
  params?: Record<string, string>;
}

/**
 * One AWS wire protocol (rest-json, json 1.0/1.1, query + XML, smithy-rpc-v2-cbor) for one service
 * model: how a request names its operation, how input is decoded, how output and errors are
 * written. The front door picks the protocol per request from what the client sent; every
 * protocol of a model shares the model's shapes, validation, handlers and authorization.
 */
export interface Protocol {
  readonly name: string;
  /** The operation the request names, or undefined when it names none of the model's. */
  match(req: ProtocolRequest): OperationMatch | undefined;
  /** The operation name the request asked for, when it named one the model lacks (for the error text). */
  requestedName(req: ProtocolRequest): string | undefined;
  decode(match: OperationMatch, req: ProtocolRequest): Record<string, unknown>;
  encode(op: Operation, output: Record<string, unknown> | undefined, requestId: string): EncodedResponse;
  /** Every failure of a request in this protocol becomes a response here, in the protocol's shape. */
  encodeError(err: AwsError, requestId: string): EncodedResponse;
}

/**
 * The RPC protocols (json, rpc-v2-cbor, query) name an operation by its model name: only the
 * model's own operations count (never an inherited property such as `constructor`), and the
 * json and CBOR forms only by POST.
 */
export function namedOperation(model: ServiceModel, name: string | undefined | null, method = 'POST'): OperationMatch | undefined {
  if (!name || method !== 'POST' || !Object.hasOwn(model.operations, name)) return undefined;
  return { operation: model.operations[name]! };
}
