/** Time source injected into core logic so tests can move time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** A monotonic high-resolution reading in milliseconds (for durations). */
  monotonic(): number;
}
