import { randomBytes } from 'node:crypto';
import { formatTraceHeader, newTraceRoot, parseTraceHeader } from '../../domain/trace-header.js';

/**
 * The trace header kept with a queued event. A valid incoming header is kept as sent; a malformed
 * one is dropped (Lambda ignores it). Without one, an Active function's event gets its trace id
 * now, at acceptance — Lambda's trace of an async invocation starts when the event is received,
 * and every attempt (retries included) belongs to that one trace — with the sampling decision
 * left to delivery (no `Sampled` field). A PassThrough function's event carries nothing.
 */
export function queuedTraceHeader(incoming: string | undefined, mode: string | undefined, nowMs: number): { traceId: string } | Record<string, never> {
  if (incoming !== undefined && parseTraceHeader(incoming) !== undefined) return { traceId: incoming };
  if (mode !== 'Active') return {};
  return { traceId: formatTraceHeader({ root: newTraceRoot(nowMs, randomBytes(12).toString('hex')), extra: [] }) };
}
