import type { Clock } from '../ports/clock.js';

/**
 * The sampling decision Lambda takes for an Active function invoked without a decision in the
 * header: X-Ray's default rule — a reservoir of `reservoirPerSecond` requests each second, then
 * `fixedRate` of the rest (1 per second and 5% on AWS, not configurable per function there).
 * Flint makes the rate configurable (FLINT_TRACE_SAMPLE_RATE) so a developer can trace everything.
 */
export class TraceSampler {
  readonly #clock: Clock;
  readonly #reservoir: number;
  readonly #rate: number;
  readonly #random: () => number;
  #second = -1;
  #taken = 0;

  constructor(opts: { clock: Clock; fixedRate: number; reservoirPerSecond?: number; random?: () => number }) {
    this.#clock = opts.clock;
    this.#rate = opts.fixedRate;
    this.#reservoir = opts.reservoirPerSecond ?? 1;
    this.#random = opts.random ?? Math.random;
  }

  sample(): boolean {
    const second = Math.floor(this.#clock.now() / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#taken = 0;
    }
    if (this.#taken < this.#reservoir) {
      this.#taken++;
      return true;
    }
    return this.#rate >= 1 || this.#random() < this.#rate;
  }
}
