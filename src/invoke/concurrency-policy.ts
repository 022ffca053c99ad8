/**
 * Lambda's concurrency rules as a pure decision (the counting half of LocalStack's "counting
 * service", AWS's "Lambda function scaling" page):
 *   1. Reserved concurrency 0 throttles every invocation.
 *   2. An invocation of a version or alias with provisioned concurrency uses a provisioned slot
 *      while one of its allocated slots is free.
 *   3. Otherwise a function with reserved concurrency runs while fewer than that many of its
 *      invocations run (ReservedFunctionConcurrentInvocationLimitExceeded beyond).
 *   4. Otherwise it draws on the account's unreserved pool: the account limit minus what functions
 *      reserved or provisioned (ConcurrentInvocationLimitExceeded when the pool is used up).
 */
export type LeaseKind = 'provisioned' | 'reserved' | 'unreserved';

export type ThrottleReason = 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded';

export interface ConcurrencyUsage {
  /** Invocations running on the unreserved pool. */
  unreserved: number;
  /** Invocations running per function (every kind). */
  byFunction: ReadonlyMap<string, number>;
  /** Provisioned slots in use per `function SEP qualifier`. */
  provisioned: ReadonlyMap<string, number>;
}

export interface LeaseRequest {
  functionName: string;
  /** Qualifier as addressed (alias or version) — provisioned concurrency belongs to it. */
  qualifier?: string;
  /** The function's reserved concurrency, when set. */
  reserved?: number;
  /** Provisioned environments allocated for the qualifier (0 when none). */
  provisionedAllocated: number;
  accountLimit: number;
  /** Executions the account's functions took out of the pool (reservations and provisioned configs of unreserved functions). */
  committed: number;
}

export type LeaseDecision = { kind: LeaseKind } | { kind: 'throttle'; reason: ThrottleReason };

export const provisionedKey = (functionName: string, qualifier: string) => `${functionName}\u0000${qualifier}`;

export function decideLease(usage: ConcurrencyUsage, req: LeaseRequest): LeaseDecision {
  if (req.reserved === 0) return { kind: 'throttle', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' };
  const running = usage.byFunction.get(req.functionName) ?? 0;
  if (req.qualifier !== undefined && req.provisionedAllocated > 0) {
    const inUse = usage.provisioned.get(provisionedKey(req.functionName, req.qualifier)) ?? 0;
    if (inUse < req.provisionedAllocated && (req.reserved === undefined || running < req.reserved)) return { kind: 'provisioned' };
  }
  if (req.reserved !== undefined) {
    return running < req.reserved ? { kind: 'reserved' } : { kind: 'throttle', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' };
  }
  return usage.unreserved < req.accountLimit - req.committed ? { kind: 'unreserved' } : { kind: 'throttle', reason: 'ConcurrentInvocationLimitExceeded' };
}
