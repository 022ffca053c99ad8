/**
 * How many async deliveries the pollers keep in flight, adapted to what the host gives back
 * (beyond Lambda, whose pollers assume a free CPU per environment). Queued events have no caller
 * waiting: throughput is the aim. When a delivery takes about what it takes alone, more at once
 * is more throughput (a function waiting on I/O); when deliveries take N times that, N of them
 * share the CPUs and another one only adds a runtime to switch between. Measured on the bench's
 * core (a 1 ms echo drained from a queue of 3,000): 40 in flight 627–697 events/s, 4 in flight
 * 768–806, 1 in flight 830–852.
 *
 * The rule is TCP Vegas's, on delivery durations instead of round trips: every round (as many
 * deliveries as the limit) compares the round's mean duration with the no-load duration (the
 * shortest in the current and the previous window); `limit × (1 − noLoad / mean)` deliveries are
 * "queued". Above `beta` the limit comes down by half the excess — only if the CPUs are
 * saturated (see `observe`) — below `alpha` it goes up by a quarter, unless the pollers left it
 * unused (fewer than half of it in flight: an unused limit tells nothing). A loaded system never shows its no-load duration, and a minimum taken under load
 * would drift up with the limit; so each window opens with a probe, a few deliveries at `min` in
 * flight — skipped while the limit sits at `max` uncontended (a function waiting on I/O, where a
 * probe would only cost throughput).
 */
export interface DeliveryLimitSettings {
  /** Never fewer in flight (deliveries always continue); the probes run at this. */
  min: number;
  /** Never more (pollers × batch size). */
  max: number;
  /** Where it starts (after the first probe). */
  initial: number;
  /** Queued deliveries below which the limit grows. */
  alpha: number;
  /** Queued deliveries above which the limit shrinks. */
  beta: number;
  /** Deliveries per no-load window. */
  window: number;
  /** Deliveries at `min` in flight that make a probe. */
  probe: number;
}

export const DEFAULT_DELIVERY_LIMIT: Omit<DeliveryLimitSettings, 'max' | 'initial'> = {
  min: 1,
  alpha: 1,
  beta: 3,
  window: 1000,
  probe: 3,
};

export class DeliveryLimit {
  readonly #s: DeliveryLimitSettings;
  #limit: number;
  #roundSum = 0;
  #roundCount = 0;
  #roundUsed = 0;
  #windowMin = Number.POSITIVE_INFINITY;
  #previousMin = Number.POSITIVE_INFINITY;
  #windowCount = 0;
  /** Deliveries at `min` in flight the running probe still needs (0: no probe). */
  #probeLeft: number;
  /** The last round found no queueing at `max`: probes would tell nothing. */
  #uncontendedAtMax = false;

  constructor(settings: DeliveryLimitSettings) {
    this.#s = settings;
    this.#limit = Math.min(settings.max, Math.max(settings.min, settings.initial));
    this.#probeLeft = settings.probe;
  }

  /** Deliveries the pollers may keep in flight now. */
  get value(): number {
    return this.#probeLeft > 0 ? this.#s.min : this.#limit;
  }

  /** The limit between probes. */
  get limit(): number {
    return this.#limit;
  }

  /** The shortest recent delivery (ms), or undefined before any. */
  get noLoadMs(): number | undefined {
    const m = Math.min(this.#windowMin, this.#previousMin);
    return Number.isFinite(m) ? m : undefined;
  }

  /**
   * A delivery took `ms` (leased → settled); `inFlight` deliveries ran when it ended, itself
   * included. `contended` is asked only when a round found deliveries queued: whether the CPUs are
   * saturated now. Durations alone cannot tell queueing for a CPU from a function whose own
   * duration varies (a cache hit in 1 ms, a miss waiting 300 ms on a remote call): the limit comes
   * down only when the CPUs confirm it.
   */
  observe(ms: number, inFlight: number, contended: () => boolean = () => true): void {
    if (!(ms >= 0)) return;
    if (++this.#windowCount > this.#s.window) {
      this.#previousMin = this.#windowMin;
      this.#windowMin = Number.POSITIVE_INFINITY;
      this.#windowCount = 1;
      if (!this.#uncontendedAtMax) this.#probeLeft = this.#s.probe;
    }
    this.#windowMin = Math.min(this.#windowMin, ms);
    if (this.#probeLeft > 0) {
      if (inFlight <= this.#s.min) this.#probeLeft--;
      // The drain down to the probe and the probe itself are no round of the limit's.
      this.#roundSum = 0;
      this.#roundCount = 0;
      this.#roundUsed = 0;
      return;
    }
    this.#roundSum += ms;
    this.#roundUsed = Math.max(this.#roundUsed, inFlight);
    if (++this.#roundCount < this.#limit) return;
    const mean = this.#roundSum / this.#roundCount;
    const used = this.#roundUsed;
    this.#roundSum = 0;
    this.#roundCount = 0;
    this.#roundUsed = 0;
    const queued = this.#limit * (1 - this.noLoadMs! / mean);
    this.#uncontendedAtMax = this.#limit === this.#s.max && queued < this.#s.alpha;
    // Down by half the excess (from 40 at 40× the no-load duration to a handful in a few rounds);
    // up by a quarter (a function that turned to waiting on I/O gets its deliveries back soon).
    if (queued > this.#s.beta && contended()) this.#limit = Math.max(this.#s.min, this.#limit - Math.max(1, Math.floor((queued - this.#s.beta) / 2)));
    else if (queued < this.#s.alpha && used >= this.#limit / 2) this.#limit = Math.min(this.#s.max, this.#limit + Math.max(1, Math.floor(this.#limit / 4)));
  }
}
