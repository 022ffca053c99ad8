import type { Timer, TimerClock } from '../ports/clock.js';

/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;
/** Warm invocations whose shortest tells what the handler takes without contention. */
const RECENT = 16;

/**
 * What host-aware placement knows of one function version: moving averages of its warm invocation
 * durations and of its environments' start times, and the requests waiting (first come, first
 * served) for one of its busy environments to free up.
 */
export class VersionFigures<E> {
  #runMs: number | undefined;
  #startMs: number | undefined;
  readonly #recent = new Float64Array(RECENT);
  #runs = 0;
  readonly #waiters: Array<{ give(entry: E): void; wake(): void }> = [];

  get typicalRunMs(): number | undefined {
    return this.#runMs;
  }

  /**
   * The shortest of the last 16 warm invocations, each without the time its runtime waited for a
   * CPU: what the handler itself takes. On a loaded host a CPU-bound handler's wall time stretches
   * with the run queue (a 1 ms echo averaged 50 ms with the host at load 40) — that part is run
   * queue wait, subtracted where the sandbox reports it; where it does not, the shortest still
   * helps (now and then one runs at once). A sleeper never finishes sooner than its sleep.
   */
  get fastestRunMs(): number | undefined {
    if (this.#runs === 0) return undefined;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < Math.min(this.#runs, RECENT); i++) min = Math.min(min, this.#recent[i]!);
    return min;
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

  /**
   * A warm invocation took `ms` of wall time, `ownMs` of it not waiting for a CPU (the wall time
   * where the runtime's wait is unknown). The typical duration stays wall time (what a request
   * waiting behind it waits); "short" is judged on `ownMs`.
   */
  ran(ms: number, ownMs = ms): void {
    this.#recent[this.#runs++ % RECENT] = ownMs;
    this.#runMs = this.#runMs === undefined ? ms : this.#runMs + ALPHA * (ms - this.#runMs);
  }

  started(ms: number): void {
    this.#startMs = this.#startMs === undefined ? ms : this.#startMs + ALPHA * (ms - this.#startMs);
  }

  /**
   * Queues for an entry handed over by `give` (first come, first served). Past `patienceMs` it asks
   * `impatient` — which either starts one more environment for the queue (undefined: the request
   * keeps its place and takes whichever frees first) or answers how much longer to be patient —
   * and keeps its place either way; past `maxWaitMs`, or when `wakeOne` picks it, it resolves
   * undefined.
   */
  waitForFree(clock: TimerClock, w: { patienceMs: number; maxWaitMs: number; impatient(): number | undefined }): Promise<E | undefined> {
    return new Promise((resolve) => {
      let patience: Timer | undefined;
      let deadline: Timer | undefined;
      const done = (entry: E | undefined) => {
        if (patience) clock.clearTimer(patience);
        if (deadline) clock.clearTimer(deadline);
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(entry);
      };
      const waiter = { give: (entry: E) => done(entry), wake: () => done(undefined) };
      const arm = (ms: number) => {
        patience = ms < w.maxWaitMs ? clock.setTimeout(() => {
          patience = undefined;
          const more = w.impatient();
          if (more !== undefined) arm(more);
        }, ms) : undefined;
      };
      arm(w.patienceMs);
      if (Number.isFinite(w.maxWaitMs)) deadline = clock.setTimeout(() => done(undefined), w.maxWaitMs);
      this.#waiters.push(waiter);
    });
  }

  /** Gives `entry` to the longest-waiting request (the caller checked `hasWaiters`). */
  give(entry: E): void {
    this.#waiters[0]?.give(entry);
  }

  /** Every waiting request stops waiting (the pool closes). */
  wakeAll(): void {
    for (const w of [...this.#waiters]) w.wake();
  }

  /** The longest-waiting request stops waiting and runs on its own (an environment started for the queue failed). */
  wakeOne(): void {
    this.#waiters[0]?.wake();
  }
}
