/**
 * What the data plane asks of tracing: a trace header for the runtime and, when the invocation is
 * sampled, a record of it. The invoke service calls `begin` only when a header came with the
 * request or the function's TracingConfig is Active, so an untraced warm invoke allocates nothing.
 */
export interface TraceStart {
  functionName: string;
  /** The executed version (`$LATEST` or a number). */
  version: string;
  /** The ARN the caller invoked (version or alias qualified when it named one). */
  functionArn: string;
  requestId: string;
  /** The incoming `X-Amzn-Trace-Id` (or the one queued with an async event); malformed ones are ignored. */
  header: string | undefined;
  /** The function's TracingConfig.Mode: `Active` or `PassThrough`. */
  mode: string;
  /** True for an event delivered from the async queue. */
  async: boolean;
  /** Epoch ms the async event was accepted (its dwell time in the queue runs from here). */
  enqueuedAt?: number;
}

/** How an invocation ended, for the segments' timings and error flags. */
export interface TracedOutcome {
  startType?: 'cold' | 'pre-initialized' | 'warm';
  initDurationMs?: number;
  durationMs?: number;
  /** Platform time after the runtime's reply (draining the function's output) until the outcome. */
  overheadMs?: number;
  /** `Unhandled`: the function failed (the segment gets `fault`). */
  functionError?: string;
  errorType?: string;
  /** The invocation did not run: a service error (throttle, 5xx, ...), by AWS error type and status. */
  serviceError?: { type: string; status: number; message: string };
}

export interface TracedInvocation {
  /** The header the runtime gets (`Lambda-Runtime-Trace-Id`, `_X_AMZN_TRACE_ID`). */
  readonly header: string;
  /** True when this invocation's segments are recorded. */
  readonly sampled: boolean;
  /** Records the segments (a no-op when not sampled). */
  finish(outcome: TracedOutcome): void;
}

export interface InvocationTracing {
  begin(start: TraceStart): TracedInvocation;
}
