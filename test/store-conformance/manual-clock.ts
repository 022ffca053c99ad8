import type { Timer, TimerClock } from '../../src/ports/clock.js';

/** A clock whose time moves only when a test moves it (synchronously); its timers are real ones. */
export interface ManualClock extends TimerClock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start: number): ManualClock {
  let t = start;
  return {
    now: () => t,
    monotonic: () => t,
    set: (ms) => { t = ms; },
    advance: (ms) => { t += ms; },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    setInterval: (fn, ms) => setInterval(fn, ms),
    clearTimer: (timer: Timer) => clearTimeout(timer as unknown as NodeJS.Timeout),
  };
}
