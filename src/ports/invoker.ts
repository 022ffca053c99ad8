/**
 * The data plane's entry: run one invocation of a function version and wait for its outcome.
 * The sync Invoke API calls it directly; async pollers call it for each queued event.
 */
/** A function's streamed response as a reader sees it (InvokeWithResponseStream, RESPONSE_STREAM URLs). */
export interface ResponseStream {
  /** The Content-Type the runtime streamed with (a URL's prelude type for HttpResponseStream). */
  readonly contentType: string;
  /** The chunks as they arrive; ends when the function's stream ends. */
  chunks(): AsyncIterable<Buffer>;
  /** Set once the stream ended with an error (function error, timeout, size limit). */
  readonly error: { errorType: string; errorMessage: string } | undefined;
}

export interface InvokeRequest {
  functionName: string;
  qualifier?: string;
  payload: Buffer;
  /** Base64 JSON ClientContext (X-Amz-Client-Context). */
  clientContext?: string;
  /** 'Tail' returns the last 4 KB of the invocation's log, base64. */
  logType?: 'Tail' | 'None';
  /** Set by the async path so the invocation keeps the request id returned with the 202. */
  requestId?: string;
  /** The X-Amzn-Trace-Id header that came with the request (or was queued with the event). */
  traceId?: string;
  /** Epoch ms an async event was accepted (the trace's queue dwell time starts there). */
  enqueuedAt?: number;
  /**
   * The version an alias's weighted routing already drew for this request (a cluster's api node
   * draws, so that it routes to that version's worker and its warm environments). Honoured only
   * when it is a version the qualifier's alias routes to; otherwise the draw happens here.
   */
  version?: string;
  /** True when delivered by the async queue (throttles then become retriable, not 429s to a caller). */
  async?: boolean;
  /** Takes the response stream as it starts, when the function streams; absent: a stream is buffered (plain Invoke). */
  onStream?: (stream: ResponseStream, meta: { executedVersion: string }) => void;
}

export interface InvokeResult {
  requestId: string;
  statusCode: number;
  payload: Buffer;
  /** 'Unhandled' when the function failed (error body in payload). */
  functionError?: 'Unhandled' | 'Handled';
  logResult?: string;
  executedVersion: string;
  /** The ARN of the version (or alias) invoked. */
  functionArn: string;
  /** How the environment came to serve it: cold, pre-initialized (a pre-started runtime bound now) or warm. */
  startType?: 'cold' | 'pre-initialized' | 'warm';
  /** The trace header the function ran with, when the invocation was traced (a destination continues it). */
  traceId?: string;
}

export interface Invoker {
  /** Resolves with the outcome, or rejects with a LambdaError (not found, throttled, ...). */
  invoke(req: InvokeRequest): Promise<InvokeResult>;
}

/** The front door's view of the sync data plane: Invoke, plus DryRun's "exists and may be invoked" check. */
export interface SyncInvoker extends Invoker {
  /** Throws the error Invoke would for a missing or uninvokable target; runs nothing. */
  dryRun(functionName: string, qualifier: string | undefined): void;
}
