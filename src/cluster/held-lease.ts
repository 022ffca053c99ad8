import type { Timer, TimerClock } from '../ports/clock.js';

/**
 * What a node may assume about a lease it renews in PostgreSQL, judged on its own monotonic clock.
 *
 * The database sets `expires_at = now() + lease` when it runs a renewal, and `now()` there is read
 * after the request left this node. So a renewal *sent* at monotonic time `s` that succeeded holds
 * the lease until at least `s + lease` in real time, whatever the network did afterwards. Counting
 * from the *answer's* arrival instead would be wrong: an answer delayed by 3 s (a slow network, a
 * GC pause, a paused database) would make the node believe in 3 s of lease the database never
 * granted, and another node could take the lease (or declare this one dead) while it still acts.
 * A margin (default a tenth of the lease) covers a database clock that slews or steps forward.
 *
 * Only durations are compared, never this node's wall clock with the database's: others' leases
 * are judged by `now()` in SQL, this node's own by elapsed monotonic time since a send.
 */
export class HeldLease {
  readonly #clock: TimerClock;
  readonly #validForMs: number;
  readonly #onChange: (held: boolean) => void;
  #validUntil = Number.NEGATIVE_INFINITY;
  #held = false;
  #timer: Timer | undefined;

  constructor(clock: TimerClock, leaseMs: number, marginMs: number, onChange: (held: boolean) => void) {
    this.#clock = clock;
    this.#validForMs = leaseMs - marginMs;
    this.#onChange = onChange;
  }

  /** True while a confirmed renewal still covers this moment. */
  get held(): boolean {
    const held = this.#clock.monotonic() < this.#validUntil;
    // Whoever looks first (this read or the timer) reports the fence, so a caller that sees
    // `held === false` has already seen the callbacks run.
    if (!held) this.#set(false);
    return held;
  }

  /** Monotonic ms left before the lease may have expired (0 when not held). */
  get remainingMs(): number {
    return Math.max(0, this.#validUntil - this.#clock.monotonic());
  }

  /** A renewal (or acquisition) sent at monotonic `sentAt` was confirmed by the database. */
  confirmed(sentAt: number): void {
    const until = sentAt + this.#validForMs;
    if (until <= this.#validUntil) return;
    this.#validUntil = until;
    this.#arm();
    this.#set(this.held);
  }

  /** The database said the lease is not ours (expired, taken, deleted): not held from now on. */
  lost(): void {
    this.#validUntil = Number.NEGATIVE_INFINITY;
    this.#disarm();
    this.#set(false);
  }

  stop(): void {
    this.#disarm();
  }

  #arm(): void {
    this.#disarm();
    const due = this.#validUntil - this.#clock.monotonic();
    if (due <= 0) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      void this.held;
    }, due);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #set(held: boolean): void {
    if (held === this.#held) return;
    this.#held = held;
    this.#onChange(held);
  }
}
