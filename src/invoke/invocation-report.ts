import type { StartType } from '../ports/metrics.js';
import type { InvocationOutcome } from './environment-contract.js';
import { errorTypeOf, invalidEntrypoint, runtimeExited, timedOut, type PlatformError } from './function-errors.js';
import type { InvocationLog } from './invocation-log.js';
import type { InitProblem } from './runtime-start.js';

/** One finished invocation, as the REPORT line and the billing record see it. */
export interface InvocationRecord {
  requestId: string;
  durationMs: number;
  /** Set on the invocation that paid for its environment's init (an on-demand cold start). */
  initDurationMs?: number;
  startType: StartType;
  memorySizeMb: number;
  /** Peak memory of the sandbox, where measurable. */
  usedBytes: number | undefined;
  errorType?: string;
  status?: 'timeout' | 'error';
}

/** Billed duration and memory of an invocation (pure). */
export function billing(r: Pick<InvocationRecord, 'durationMs' | 'initDurationMs' | 'memorySizeMb' | 'usedBytes'>): { billedDurationMs: number; maxMemoryUsedMb: number } {
  // Since August 2025 Lambda bills the init phase of on-demand cold starts with the invocation.
  const billedDurationMs = Math.ceil(r.durationMs + (r.initDurationMs ?? 0));
  const maxMemoryUsedMb = Math.min(r.memorySizeMb, Math.ceil((r.usedBytes ?? 0) / (1024 * 1024)));
  return { billedDurationMs, maxMemoryUsedMb };
}

/**
 * Closes an invocation's log — END and REPORT lines, one write of its lines before the response is
 * sent — and returns its outcome without the payload (LogType Tail's log, durations, billing).
 */
export function reportInvocation(log: InvocationLog, now: number, r: InvocationRecord): Omit<InvocationOutcome, 'payload'> {
  log.flush();
  const { billedDurationMs, maxMemoryUsedMb } = billing(r);
  const { requestId, durationMs, initDurationMs, errorType, status } = r;
  log.sys(log.platform.end(now, { requestId, durationMs, status: status ?? (errorType ? 'error' : 'success'), ...(errorType ? { errorType } : {}) }));
  log.sys(
    log.platform.report(now, {
      requestId,
      durationMs,
      billedDurationMs,
      memorySizeMb: r.memorySizeMb,
      maxMemoryUsedMb,
      ...(initDurationMs !== undefined ? { initDurationMs } : {}),
      ...(status ? { status } : {}),
      ...(errorType ? { errorType } : {}),
    }),
  );
  const lines = log.end();
  // One write of the invocation's lines before its response is sent: they survive a kill -9 of
  // the server from here on (LogType Tail is served from `lines`).
  log.commit();
  return {
    log: lines.map((l) => l + '\n').join(''),
    durationMs,
    billedDurationMs,
    startType: r.startType,
    ...((r.usedBytes ?? 0) > 0 ? { maxMemoryUsedMb } : {}),
    ...(initDurationMs !== undefined ? { initDurationMs } : {}),
    ...(errorType ? { errorType } : {}),
  };
}

/** The error document an invocation gets when its environment's init failed, as Lambda words it. */
export function initFailureError(problem: InitProblem, requestId: string, initTimeoutMs: number): PlatformError | { errorType?: string; payload: Buffer } {
  if (problem.kind === 'reported') return { payload: problem.failure.payload, errorType: errorTypeOf(problem.failure.payload, problem.failure.errorType) };
  if (problem.kind === 'exit') return runtimeExited(requestId, problem.exit);
  if (problem.kind === 'entrypoint') return invalidEntrypoint(requestId, problem.message);
  return timedOut(requestId, initTimeoutMs / 1000);
}
