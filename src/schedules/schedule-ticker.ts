import { createHash } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { ScheduleStore } from '../ports/schedule-store.js';
import { nextTick, type ScheduleExpression } from './schedule-expression.js';

/**
 * A tick missed while Flint was down (or busy) still fires when found this late at most, for a
 * schedule without a flexible window. AWS Scheduler does not replay past invocations; Flint fires
 * a missed tick once on start when it is still within its flexible window, or within this grace
 * for `FlexibleTimeWindow.Mode` OFF and EventBridge rules, and skips older ones.
 */
export const MISSED_TICK_GRACE_MS = 60_000;

/** One schedule as the ticker sees it (a Scheduler schedule or an EventBridge rule). */
export interface TickJob {
  /** Unique across kinds: the tick row's key. */
  id: string;
  expression: ScheduleExpression;
  /** `rate()` counts its ticks from here (the start date, else the creation or last update). */
  anchorMs: number;
  /** FLEXIBLE's MaximumWindowInMinutes in ms; 0 for OFF. */
  windowMs: number;
  startMs?: number;
  endMs?: number;
  /** Runs the target for `tickMs` (the scheduled time, before any flexible offset). */
  fire(tickMs: number): Promise<void>;
  /** No tick is left (at() fired, EndDate passed): ActionAfterCompletion applies. */
  completed?(): void;
}

/**
 * The one durable scheduler behind Scheduler's schedules and EventBridge's scheduled rules. Each
 * pass (every second from src/schedules/schedules.ts; tests call `runDue()` after moving their clock) looks, for every job, at the
 * ticks after the last claimed one, fires those whose fire time has come, and claims each with a
 * conditional write first, so a tick fires once even with two tickers on one store.
 */
export class ScheduleTicker {
  readonly #store: ScheduleStore;
  readonly #clock: Clock;
  readonly #jobs: () => TickJob[];
  readonly #log: (line: string) => void;

  constructor(deps: { store: ScheduleStore; clock: Clock; jobs: () => TickJob[]; log: (line: string) => void }) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#jobs = deps.jobs;
    this.#log = deps.log;
  }

  /** Fires every due tick once; resolves with how many fired. Callers run one pass at a time. */
  async runDue(): Promise<number> {
    let fired = 0;
    // One read of every job's last tick per pass (in a cluster each read is a round trip the
    // leader's event loop waits for); a claim still re-checks it in the database.
    const lastTicks = this.#store.lastTicks();
    for (const job of this.#jobs()) {
      try {
        fired += await this.#runJob(job, lastTicks.get(job.id));
      } catch (err) {
        this.#log(`flint: schedule ${job.id}: ${String(err)}`);
      }
    }
    return fired;
  }

  async #runJob(job: TickJob, stored: number | undefined): Promise<number> {
    const now = this.#clock.now();
    let last = stored;
    if (last === undefined) {
      this.#store.resetTick(job.id, now);
      last = now;
    }
    // Ticks whose whole window (or grace) is over are skipped, never replayed.
    const span = job.windowMs > 0 ? job.windowMs : MISSED_TICK_GRACE_MS;
    let from = Math.max(last, now - span - 1, job.startMs !== undefined ? job.startMs - 1 : -Infinity);
    let fired = 0;
    for (;;) {
      const tick = nextTick(job.expression, from, job.anchorMs);
      if (tick === undefined || (job.endMs !== undefined && tick > job.endMs)) {
        job.completed?.();
        return fired;
      }
      if (tick + flexibleOffset(job.id, tick, job.windowMs) > now) return fired;
      if (this.#store.claimTick(job.id, tick)) {
        fired++;
        await job.fire(tick);
      }
      from = tick;
    }
  }
}

/**
 * FLEXIBLE: the tick fires at a pseudo-random point of its window, derived from the schedule and
 * the tick so that a restart keeps the same point (and a tick whose point passed while Flint was
 * down fires at once on start while the window lasts).
 */
export function flexibleOffset(jobId: string, tickMs: number, windowMs: number): number {
  if (windowMs <= 0) return 0;
  const h = createHash('sha256').update(`${jobId}\u0000${tickMs}`).digest();
  return h.readUInt32BE(0) % windowMs;
}
