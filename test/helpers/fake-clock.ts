import type { Timer, TimerClock } from '../../src/ports/clock.js';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  every?: number;
  cleared: boolean;
}

/**
 * A TimerClock whose time moves only when a test says so: `advance(ms)` runs every timer due by
 * then in order (and the promise callbacks they release), so idle, wait and timeout logic is tested
 * without waiting in real time.
 */
export class FakeClock implements TimerClock {
  #now: number;
  #mono = 0;
  #seq = 0;
  readonly #timers = new Set<Pending>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#mono;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, undefined);
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.#add(fn, ms, Math.max(1, ms));
  }

  clearTimer(timer: Timer): void {
    const p = timer as unknown as { pending?: Pending };
    if (p.pending) {
      p.pending.cleared = true;
      this.#timers.delete(p.pending);
    }
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const until = this.#mono + ms;
    await settle();
    for (;;) {
      const next = [...this.#timers].filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#step(next.at - this.#mono);
      if (next.every !== undefined) next.at += next.every;
      else this.#timers.delete(next);
      next.fn();
      await settle();
    }
    this.#step(until - this.#mono);
    await settle();
  }

  #step(ms: number): void {
    this.#mono += ms;
    this.#now += ms;
  }

  #add(fn: () => void, ms: number, every: number | undefined): Timer {
    const pending: Pending = { at: this.#mono + Math.max(0, ms), seq: this.#seq++, fn, cleared: false, ...(every !== undefined ? { every } : {}) };
    this.#timers.add(pending);
    const timer = { pending, unref: () => timer };
    return timer;
  }
}

/** Lets queued promise callbacks (and the ones they queue) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
