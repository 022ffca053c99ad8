/** Time source injected into core logic so tests can move time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A monotonic high-resolution reading in milliseconds (for durations). */
  monotonic(): number;
}

/** A pending timer of a `TimerClock`; `clear` it to cancel. */
export interface Timer {
  /** Lets the process exit while the timer is pending (Node's `unref`). */
  unref(): Timer;
}

/**
 * A clock that also schedules work: what idle reaping, wait limits and invocation timeouts run on,
 * so tests can drive them with a fake clock instead of real time (test/helpers/fake-clock.ts).
 */
export interface TimerClock extends Clock {
  /** Calls `fn` once after `ms` milliseconds (setTimeout). */
  setTimeout(fn: () => void, ms: number): Timer;
  /** Calls `fn` every `ms` milliseconds until cleared (setInterval). */
  setInterval(fn: () => void, ms: number): Timer;
  /** Cancels a timer of this clock (a no-op for one that already fired). */
  clearTimer(timer: Timer): void;
}
