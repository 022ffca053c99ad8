/**
 * Durable state of the schedules (src/schedules): EventBridge Scheduler's schedules and schedule
 * groups, EventBridge rules with their targets, and the last tick fired per schedule. Documents
 * are JSON values under (kind, key); `claimTick` is the conditional write that makes each tick
 * fire once, also with several processes on one store.
 */
export type ScheduleDocumentKind = 'schedule' | 'schedule-group' | 'rule';

export interface ScheduleDocuments<T> {
  get(key: string): T | undefined;
  put(key: string, value: T): void;
  /** True when something was deleted. */
  delete(key: string): boolean;
  /** Every document, in key order. */
  list(): T[];
}

export interface ScheduleStore {
  documents<T>(kind: ScheduleDocumentKind): ScheduleDocuments<T>;
  /** The last tick (epoch ms) claimed for `job`, or the time its count started from. */
  lastTick(job: string): number | undefined;
  /** Every job's last tick at once: the ticker reads them in one query per pass, not one per job. */
  lastTicks(): Map<string, number>;
  /** Starts (or restarts, after an update) counting `job`'s ticks after `atMs`. */
  resetTick(job: string, atMs: number): void;
  /** Claims tick `tickMs` of `job`: true for exactly one caller, when no later tick was claimed. */
  claimTick(job: string, tickMs: number): boolean;
  forgetTick(job: string): void;
}
