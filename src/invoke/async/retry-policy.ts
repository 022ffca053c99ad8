/**
 * Lambda's retry rules for asynchronous invocation, as pure decisions on data (no clock, no I/O),
 * after "How Lambda handles errors and retries with asynchronous invocation" in the Lambda guide:
 *
 * - Function errors (the function ran and failed, including timeouts and runtime crashes) are
 *   retried up to MaximumRetryAttempts times (default 2): one minute before the 2nd attempt, two
 *   minutes before the 3rd.
 * - Throttles (429) and system errors (5xx) return the event to the queue and are retried with a
 *   delay growing exponentially from 1 second to at most 5 minutes, until the event is older than
 *   MaximumEventAgeInSeconds (default 6 hours). They do not use up retry attempts.
 * - An event older than its maximum age is discarded with condition `EventAgeExceeded`; an event
 *   whose retries are used up with `RetriesExhausted`.
 *
 * `timeScale` multiplies every delay and the maximum age (1 = Lambda's real timings; tests run
 * with e.g. 0.001 so a "minute" is 60 ms). Scaling both keeps their ratio, so which condition wins
 * is the same as in AWS.
 */

export const DEFAULT_MAX_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 6 * 3600;
/** Delays before the 2nd and 3rd attempt after a function error. */
export const FUNCTION_ERROR_DELAYS_MS = [60_000, 120_000] as const;
export const SYSTEM_RETRY_FIRST_DELAY_MS = 1_000;
export const SYSTEM_RETRY_MAX_DELAY_MS = 5 * 60_000;

export interface RetrySettings {
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
  timeScale: number;
}

export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

export type Decision =
  | { action: 'retry'; visibleAt: number; reason: 'function-error' | 'system-error' }
  | { action: 'drop'; condition: FailureCondition };

/** Scaled maximum event age in ms. */
export function maxEventAgeMs(s: RetrySettings): number {
  return s.maxEventAgeSeconds * 1000 * s.timeScale;
}

/**
 * Checked whenever an event is about to run. An event that reached its maximum age is expired:
 * `>=` so that a retry scheduled exactly at the age limit (MaximumEventAgeInSeconds 60 and the
 * one-minute retry delay) expires, as AWS records it (approximateInvokeCount 1, EventAgeExceeded).
 */
export function isExpired(enqueuedAt: number, now: number, s: RetrySettings): boolean {
  return now - enqueuedAt >= maxEventAgeMs(s);
}

/**
 * After a function error. `attempts` counts invocations that ran, this one included: with the
 * default of 2 retries, attempts 1 and 2 are retried and attempt 3 exhausts them.
 */
export function afterFunctionError(attempts: number, now: number, s: RetrySettings): Decision {
  const retriesUsed = attempts - 1;
  if (retriesUsed >= s.maxRetryAttempts) return { action: 'drop', condition: 'RetriesExhausted' };
  const base = FUNCTION_ERROR_DELAYS_MS[Math.min(retriesUsed, FUNCTION_ERROR_DELAYS_MS.length - 1)]!;
  return { action: 'retry', visibleAt: now + base * s.timeScale, reason: 'function-error' };
}

/**
 * After a throttle or system error; `systemRetries` counts those so far, this one included. The
 * age check happens when the event comes up again, as in Lambda (the record then says
 * EventAgeExceeded).
 */
export function afterSystemError(systemRetries: number, now: number, s: RetrySettings): Decision {
  return { action: 'retry', visibleAt: now + systemRetryDelayMs(systemRetries) * s.timeScale, reason: 'system-error' };
}

/** 1 s, 2 s, 4 s, ... capped at 5 minutes (unscaled). */
export function systemRetryDelayMs(systemRetries: number): number {
  const exp = Math.max(0, systemRetries - 1);
  // 2^9 s already exceeds the cap; avoid huge exponents.
  return Math.min(SYSTEM_RETRY_MAX_DELAY_MS, SYSTEM_RETRY_FIRST_DELAY_MS * 2 ** Math.min(exp, 20));
}

/**
 * How to treat an error the Invoker threw (the function did not run to an outcome):
 * - 'system': throttles and service-side failures — retried until the event expires;
 * - 'gone': the function or qualifier no longer exists — the event is discarded (nothing to run,
 *   and its event-invoke config went with it);
 * - 'permanent': a request the function can never accept — sent to the failure destinations now.
 */
export function classifyInvokeError(errorType: string | undefined): 'system' | 'gone' | 'permanent' {
  if (errorType === undefined) return 'system';
  if (errorType === 'ResourceNotFoundException') return 'gone';
  if (SYSTEM_ERROR_TYPES.has(errorType)) return 'system';
  // The 5xx family of the model (EC2*, ENI*, Subnet*, EFS*, KMS*... exceptions): Lambda retries them.
  if (/^(EC2|ENI|Subnet|EFS|KMS|SnapStart|InvalidSecurityGroup|InvalidSubnet)/.test(errorType)) return 'system';
  return 'permanent';
}

const SYSTEM_ERROR_TYPES = new Set([
  'TooManyRequestsException',
  'ServiceException',
  // The function is Pending / updating: Lambda keeps the event queued until it can run.
  'ResourceConflictException',
  'ResourceNotReadyException',
]);
