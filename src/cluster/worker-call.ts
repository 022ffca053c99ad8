import { request, type Agent } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AwsError } from '../domain/errors.js';
import type { InvokeRequest, InvokeResult, ResponseStream } from '../ports/invoker.js';
import { decodeError, H, INVOKE_PATH, REFUSALS, requestHeaders, resultOf, type Refusal, type ResultMeta } from './invoke-wire.js';

/** How one call to one worker ended. */
export type CallOutcome =
  | { kind: 'result'; result: InvokeResult }
  /** The worker's Invoker threw: the caller's answer, as single-node Flint would give it. */
  | { kind: 'error'; error: AwsError }
  /** Refused before anything ran: another candidate may take it. */
  | { kind: 'refused'; reason: Refusal }
  /** No connection: the request never left, so another candidate may take it. */
  | { kind: 'unreachable'; cause: Error }
  /** The connection failed once the request could have reached the worker: it may have run. */
  | { kind: 'lost'; cause: Error };

export interface CallTarget {
  /** `host:port` of the worker's internal listener. */
  address: string;
  epoch: number;
}

/**
 * Sends one invocation to one worker over the keep-alive mTLS agent and reads its answer. Whether
 * a failure may be retried elsewhere depends only on whether the request could have reached the
 * worker: before the TLS session is up (refused, reset, timed out connecting) it cannot; on an
 * established or reused connection it might have, and CLUSTER.md forbids running it twice.
 */
export function callWorker(agent: Agent, target: CallTarget, req: InvokeRequest, route: string, connectTimeoutMs: number): Promise<CallOutcome> {
  return new Promise((resolve) => {
    const { host, port } = splitAddress(target.address);
    let connected = false;
    let settled = false;
    const settle = (o: CallOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const failed = (cause: Error) => settle(connected ? { kind: 'lost', cause } : { kind: 'unreachable', cause });
    const r = request({ agent, host, port, method: 'POST', path: INVOKE_PATH, headers: requestHeaders(req, route, target.epoch) });
    const timer = setTimeout(() => {
      if (!connected) r.destroy(new Error(`connecting to worker ${target.address} timed out after ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    r.on('socket', (s) => {
      const tls = s as TLSSocket;
      if (r.reusedSocket || (!tls.connecting && tls.encrypted && tls.authorized)) connected = true;
      else tls.once('secureConnect', () => (connected = true));
    });
    r.on('error', failed);
    r.on('response', (res) => {
      connected = true;
      clearTimeout(timer);
      readAnswer(res, req, settle, failed);
    });
    r.end(req.payload);
  });
}

function readAnswer(res: IncomingMessage, req: InvokeRequest, settle: (o: CallOutcome) => void, failed: (e: Error) => void): void {
  const refused = res.headers[H.refused];
  if (typeof refused === 'string' && (REFUSALS as readonly string[]).includes(refused)) {
    res.resume();
    return settle({ kind: 'refused', reason: refused as Refusal });
  }
  if (res.headers[H.stream] === '1') return readStream(res, req, settle, failed);
  const parts: Buffer[] = [];
  res.on('data', (c: Buffer) => parts.push(c));
  res.on('error', failed);
  res.on('close', () => {
    if (!res.complete) return failed(new Error('the worker closed the connection before its answer was complete'));
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    settle(res.headers[H.error] === '1' ? { kind: 'error', error: decodeError(body) } : { kind: 'result', result: resultOf(res.headers, body) });
  });
}

/** A streamed answer: handed to the caller's onStream at once; the result comes with the trailers. */
function readStream(res: IncomingMessage, req: InvokeRequest, settle: (o: CallOutcome) => void, failed: (e: Error) => void): void {
  const stream = new RemoteResponseStream(res);
  const executedVersion = String(res.headers[H.executedVersion] ?? '');
  res.on('error', () => {});
  res.on('close', () => {
    if (!res.complete) {
      const cause = new Error('the worker closed the connection in the middle of a streamed response');
      stream.lost(cause);
      return failed(cause);
    }
    const t = res.trailers;
    const streamError = t[H.streamError];
    if (streamError) stream.failed(JSON.parse(decodeURIComponent(streamError)) as { errorType: string; errorMessage: string });
    const error = t[H.error];
    if (error) return settle({ kind: 'error', error: decodeError(Buffer.from(decodeURIComponent(error))) });
    const resultTrailer = t[H.result];
    const meta = resultTrailer ? (JSON.parse(decodeURIComponent(resultTrailer)) as ResultMeta) : undefined;
    if (!meta) return failed(new Error('the worker ended a streamed response without its result'));
    settle({ kind: 'result', result: { ...meta, payload: Buffer.alloc(0) } });
  });
  req.onStream?.(stream, { executedVersion });
}

/** The worker's stream as the api's reader sees it: the response body's chunks as they arrive. */
class RemoteResponseStream implements ResponseStream {
  readonly contentType: string;
  readonly #res: IncomingMessage;
  #error: { errorType: string; errorMessage: string } | undefined;

  constructor(res: IncomingMessage) {
    this.#res = res;
    this.contentType = decodeURIComponent(String(res.headers[H.streamContentType] ?? 'application/octet-stream'));
  }

  get error(): { errorType: string; errorMessage: string } | undefined {
    return this.#error;
  }

  failed(e: { errorType: string; errorMessage: string }): void {
    this.#error ??= e;
  }

  /** The worker died mid-stream: the reader sees the stream end with a service error. */
  lost(cause: Error): void {
    this.failed({ errorType: 'ServiceException', errorMessage: cause.message });
  }

  async *chunks(): AsyncGenerator<Buffer> {
    try {
      // A reader that stops early leaves the body to be drained (the stream handler does), not destroyed.
      for await (const c of this.#res.iterator({ destroyOnReturn: false })) yield c as Buffer;
    } catch {
      // The connection broke: `error` says so once the response closes.
    }
  }
}

/** `host:port`, `[v6]:port`. */
export function splitAddress(address: string): { host: string; port: number } {
  const cut = address.lastIndexOf(':');
  return { host: address.slice(0, cut).replace(/^\[|\]$/g, ''), port: Number(address.slice(cut + 1)) };
}
