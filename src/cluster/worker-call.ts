import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type IncomingHttpStatusHeader } from 'node:http2';
import type { AwsError } from '../domain/errors.js';
import type { InvokeRequest, InvokeResult, ResponseStream } from '../ports/invoker.js';
import { decodeError, H, INVOKE_PATH, REFUSALS, requestHeaders, resultOf, type Refusal, type ResultMeta } from './invoke-wire.js';
import type { WorkerSessions } from './worker-sessions.js';

/** How one call to one worker ended. */
export type CallOutcome =
  | { kind: 'result'; result: InvokeResult }
  /** The worker's Invoker threw: the caller's answer, as single-node Flint would give it. */
  | { kind: 'error'; error: AwsError }
  /** Refused before anything ran: another candidate may take it. */
  | { kind: 'refused'; reason: Refusal }
  /** No connection, or the stream was refused unprocessed: another candidate may take it. */
  | { kind: 'unreachable'; cause: Error }
  /** The connection failed once the request could have reached the worker: it may have run. */
  | { kind: 'lost'; cause: Error };

export interface CallTarget {
  /** `host:port` of the worker's internal listener. */
  address: string;
  epoch: number;
}

type StreamError = { errorType: string; errorMessage: string };

/**
 * Sends one invocation to one worker as a stream of its HTTP/2 session and reads the answer.
 * Whether a failure may be retried elsewhere depends only on whether the request could have
 * reached the worker: not before the session is up, nor for a stream the worker refused
 * unprocessed (REFUSED_STREAM, or past a GOAWAY's last stream); otherwise it might have run, and
 * CLUSTER.md forbids running a sync invoke twice.
 */
export function callWorker(sessions: WorkerSessions, target: CallTarget, req: InvokeRequest, route: string): Promise<CallOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (o: CallOutcome) => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
    const entry = sessions.get(target.address);
    let stream: ClientHttp2Stream;
    try {
      stream = entry.session.request({ ':method': 'POST', ':path': INVOKE_PATH, ...requestHeaders(req, route, target.epoch) });
    } catch (err) {
      return settle({ kind: 'unreachable', cause: err as Error });
    }
    let answered = false;
    const failed = (cause: Error) => {
      const unsent = !entry.connected() || (!answered && stream.rstCode === constants.NGHTTP2_REFUSED_STREAM);
      settle(unsent ? { kind: 'unreachable', cause } : { kind: 'lost', cause });
    };
    stream.on('error', failed);
    stream.on('response', (headers) => {
      answered = true;
      readAnswer(stream, headers, req, settle, failed);
    });
    stream.on('close', () => {
      if (!answered) failed(new Error(`the worker closed the stream before answering (code ${stream.rstCode})`));
    });
    stream.end(req.payload);
  });
}

function readAnswer(stream: ClientHttp2Stream, headers: IncomingHttpHeaders & IncomingHttpStatusHeader, req: InvokeRequest, settle: (o: CallOutcome) => void, failed: (e: Error) => void): void {
  const refused = headers[H.refused];
  if (typeof refused === 'string' && (REFUSALS as readonly string[]).includes(refused)) {
    stream.resume();
    return settle({ kind: 'refused', reason: refused as Refusal });
  }
  if (headers[H.stream] === '1') return readStream(stream, headers, req, settle, failed);
  const parts: Buffer[] = [];
  stream.on('data', (c: Buffer) => parts.push(c));
  stream.on('end', () => {
    const body = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    settle(headers[H.error] === '1' ? { kind: 'error', error: decodeError(body) } : { kind: 'result', result: resultOf(headers, body) });
  });
  stream.on('close', () => failed(new Error('the worker closed the stream before its answer was complete')));
}

/** A streamed answer: handed to the caller's onStream at once; the result comes with the trailers. */
function readStream(stream: ClientHttp2Stream, headers: IncomingHttpHeaders, req: InvokeRequest, settle: (o: CallOutcome) => void, failed: (e: Error) => void): void {
  const remote = new RemoteResponseStream(stream, decodeURIComponent(String(headers[H.streamContentType] ?? 'application/octet-stream')));
  let trailers: IncomingHttpHeaders = {};
  stream.on('trailers', (t) => (trailers = t));
  stream.on('end', () => {
    const streamError = trailers[H.streamError];
    if (typeof streamError === 'string') remote.failed(JSON.parse(decodeURIComponent(streamError)) as StreamError);
    const error = trailers[H.error];
    if (typeof error === 'string') return settle({ kind: 'error', error: decodeError(Buffer.from(decodeURIComponent(error))) });
    const meta = trailers[H.result];
    if (typeof meta !== 'string') return failed(new Error('the worker ended a streamed response without its result'));
    settle({ kind: 'result', result: { ...(JSON.parse(decodeURIComponent(meta)) as ResultMeta), payload: Buffer.alloc(0) } });
  });
  stream.on('close', () => {
    // Closed without its end: the worker died or the connection broke mid-stream.
    const cause = new Error('the worker closed the connection in the middle of a streamed response');
    remote.failed({ errorType: 'ServiceException', errorMessage: cause.message });
    failed(cause);
  });
  req.onStream?.(remote, { executedVersion: String(headers[H.executedVersion] ?? '') });
}

/** The worker's stream as the api's reader sees it: the response body's chunks as they arrive. */
class RemoteResponseStream implements ResponseStream {
  readonly contentType: string;
  readonly #stream: ClientHttp2Stream;
  #error: StreamError | undefined;

  constructor(stream: ClientHttp2Stream, contentType: string) {
    this.#stream = stream;
    this.contentType = contentType;
  }

  get error(): StreamError | undefined {
    return this.#error;
  }

  failed(e: StreamError): void {
    this.#error ??= e;
  }

  async *chunks(): AsyncGenerator<Buffer> {
    try {
      // A reader that stops early leaves the body to be drained (the stream handler does), not destroyed.
      for await (const c of this.#stream.iterator({ destroyOnReturn: false })) yield c as Buffer;
    } catch {
      // The connection broke: `error` says so once the stream closes.
    }
  }
}
