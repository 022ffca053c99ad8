import type { Timer, TimerClock } from '../ports/clock.js';

/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;

/**
 * What host-aware placement knows of one function version: moving averages of its warm invocation
 * durations and of its environments' start times, and the requests waiting (first come, first
 * served) for one of its busy environments to free up.
 */
export class VersionFigures<E> {
  #runMs: number | undefined;
  #startMs: number | undefined;
  readonly #waiters: Array<{ give(entry: E): void }> = [];

  get typicalRunMs(): number | undefined {
    return this.#runMs;
  }

  get typicalStartMs(): number | undefined {
    return this.#startMs;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  get hasWaiters(): boolean {
    return this.#waiters.length > 0;
  }

  ran(ms: number): void {
    this.#runMs = this.#runMs === undefined ? ms : this.#runMs + ALPHA * (ms - this.#runMs);
  }

  started(ms: number): void {
    this.#startMs = this.#startMs === undefined ? ms : this.#startMs + ALPHA * (ms - this.#startMs);
  }

  /** Resolves with an entry handed over by `give`, or undefined once `ms` passed. */
  waitForFree(clock: TimerClock, ms: number): Promise<E | undefined> {
    return new Promise((resolve) => {
      let timer: Timer | undefined;
      const waiter = {
        give: (entry: E) => {
          if (timer) clock.clearTimer(timer);
          resolve(entry);
        },
      };
      timer = clock.setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(undefined);
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  /** Gives `entry` to the longest-waiting request (the caller checked `hasWaiters`). */
  give(entry: E): void {
    this.#waiters.shift()?.give(entry);
  }
}
