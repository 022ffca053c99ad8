import type { Timer, TimerClock } from '../ports/clock.js';
import { reapConcurrencyTokens } from './concurrency-tokens.js';
import { DEPOSED, type LeaderLease } from './leader-lease.js';
import { reapDeadMembers } from './membership.js';

export interface HousekeepingOptions {
  leader: LeaderLease;
  clock: TimerClock;
  /** How often the leader sweeps (default 5 s). */
  everyMs?: number;
  /** A dead member stays listed (`flint cluster status` shows it dead) this long before its row goes (default 60 s). */
  deadMemberGraceMs?: number;
  /** A dead api node's concurrency tokens are freed this long after its lease ended (default 0: see reapConcurrencyTokens). */
  deadNodeTokenGraceMs?: number;
  log?(line: string): void;
}

/**
 * The leader's periodic sweep (CLUSTER.md "Housekeeping runs on one api node chosen by a PG
 * lease"): concurrency tokens that outlived their invocation or their api node, then members dead
 * for longer than the grace — in that order, because a token whose node row is gone is only freed
 * by its own expiry. Each sweep runs under the leader's term (withTerm), so a deposed leader's
 * late sweep does nothing.
 */
export class ClusterHousekeeping {
  readonly #o: HousekeepingOptions;
  #timer: Timer | undefined;
  #running = false;
  readonly #unsubscribe: Array<() => void> = [];

  constructor(o: HousekeepingOptions) {
    this.#o = o;
  }

  /** Sweeps every `everyMs` while this node leads; idle otherwise. */
  start(): void {
    this.#unsubscribe.push(this.#o.leader.onElected(() => this.#arm()), this.#o.leader.onDeposed(() => this.#disarm()));
    if (this.#o.leader.isLeader()) this.#arm();
  }

  stop(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.#disarm();
  }

  /** One sweep now, if this node leads: what it removed, or 'deposed'. */
  async sweep(): Promise<{ tokens: number; members: string[] } | typeof DEPOSED> {
    const term = this.#o.leader.term;
    if (term === undefined) return DEPOSED;
    return await this.#o.leader.withTerm(term, async (c) => {
      const tokens = await reapConcurrencyTokens(c, { deadNodeGraceMs: this.#o.deadNodeTokenGraceMs ?? 0 });
      const members = await reapDeadMembers(c, this.#o.deadMemberGraceMs ?? 60_000);
      return { tokens, members };
    });
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = this.#o.clock.setInterval(() => void this.#tick(), this.#o.everyMs ?? 5000);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  async #tick(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const r = await this.sweep();
      if (r !== DEPOSED && (r.tokens > 0 || r.members.length > 0)) this.#o.log?.(`flint: cluster: housekeeping freed ${r.tokens} concurrency token(s), removed dead member(s) ${r.members.join(', ') || 'none'}`);
    } catch (err) {
      this.#o.log?.(`flint: cluster: housekeeping failed (next sweep retries): ${(err as Error).message}`);
    } finally {
      this.#running = false;
    }
  }
}
