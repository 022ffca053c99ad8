import { performance } from 'node:perf_hooks';
import type { Clock, Timer, TimerClock } from '../ports/clock.js';

export const systemClock: TimerClock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearTimer: (timer: Timer) => clearTimeout(timer as NodeJS.Timeout),
};

/**
 * `clock` as a TimerClock: its own timers when it has them (a test's fake clock), else the
 * system's — a clock given only to skew the time (`now`) still schedules in real time.
 */
export function withTimers(clock: Clock): TimerClock {
  if ('setTimeout' in clock && 'clearTimer' in clock) return clock as TimerClock;
  return { now: () => clock.now(), monotonic: () => clock.monotonic(), setTimeout: systemClock.setTimeout, setInterval: systemClock.setInterval, clearTimer: systemClock.clearTimer };
}
