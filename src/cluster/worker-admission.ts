/**
 * A worker's admission decision for one invocation (CLUSTER.md "Routing a sync invoke", step 3),
 * made in memory, synchronously, right before the local Invoker starts it — so two requests never
 * both take the last slot. Pure: the caller passes in what it counts.
 *
 * - warm: an idle environment of the version exists → run (no new environment, whatever the load);
 * - cold: under the worker's capacity (concurrent environments) and under the function's bounded
 *   share, ⌈(1+ε) · capacity / active functions⌉ (consistent hashing with bounded loads, Mirrokni,
 *   Thorup & Zadimoghaddam 2018: a hot function cannot crowd out the others routed here first);
 * - otherwise WorkerFull: the api tries its next candidate.
 */
export interface AdmissionInput {
  capacity: number;
  /** 1 + ε: how far above its fair share one function may go. */
  shareFactor: number;
  /** Invocations running on this worker now. */
  busy: number;
  /** Invocations of this function version running on this worker now. */
  busyForKey: number;
  /** Function versions with invocations running now, this one included if it has any. */
  activeKeys: number;
  /** Idle environments of this version, when the pool can tell; undefined: unknown (counted as none). */
  idle: number | undefined;
}

export type AdmissionDecision = 'warm' | 'cold' | 'full';

export function admit(a: AdmissionInput): AdmissionDecision {
  if (a.idle !== undefined && a.idle > 0) return 'warm';
  if (a.busy >= a.capacity) return 'full';
  return a.busyForKey < shareBound(a) ? 'cold' : 'full';
}

/** The most invocations one function version may hold here: its (1+ε) fair share, at least 1. */
export function shareBound(a: Pick<AdmissionInput, 'capacity' | 'shareFactor' | 'busyForKey' | 'activeKeys'>): number {
  // The function asking counts among the active ones even before its first invocation runs.
  const active = a.activeKeys + (a.busyForKey === 0 ? 1 : 0);
  return Math.max(1, Math.ceil((a.shareFactor * a.capacity) / active));
}
