import type pg from 'pg';
import type { Timer, TimerClock } from '../ports/clock.js';
import { DEPOSED, type LeaderLease } from './leader-lease.js';
import { reapDeadMembers } from './membership.js';
import { reapConcurrencyTokens } from './concurrency-tokens.js';
import { reapOrphanAllocations } from './provisioned-allocations.js';

export interface HousekeepingOptions {
  leader: Pick<LeaderLease, 'term' | 'withTerm'>;
  clock: TimerClock;
  /** Deletes old cross-node function events through the given connection (ClusterFunctionEvents.prune). */
  pruneEvents(db: Pick<pg.Pool, 'query'>): Promise<void>;
  /** Default every 5 s. */
  intervalMs?: number;
  /** How long a dead member stays listed (`flint cluster status` shows it) before it is deleted; default 60 s. */
  deadMemberGraceMs?: number;
  /** Concurrency tokens of an api node dead this long are freed before they expire; default 60 s. */
  deadNodeTokenGraceMs?: number;
  /** Prune function events every this many passes (default 12: once a minute at 5 s). */
  pruneEvery?: number;
  log?(line: string): void;
}

export interface HousekeepingPass {
  term: number;
  tokens: number;
  members: string[];
  allocations: number;
  pruned: boolean;
}

/**
 * The leader's periodic chores (CLUSTER.md "Housekeeping runs on one api node chosen by a PG lease
 * with a term"): expired concurrency tokens (and those of dead api nodes), then dead members, then
 * provisioned-allocation rows of members gone, and now and then old function events. Each pass
 * runs in one transaction under the leader's term (LeaderLease.withTerm), so a deposed leader's
 * late pass commits nothing once a new term began. Tokens go before members: a token whose node
 * row is gone is kept until it expires (concurrency-tokens.ts).
 */
export class Housekeeping {
  readonly #o: HousekeepingOptions;
  #timer: Timer | undefined;
  #running = false;
  #passes = 0;

  constructor(o: HousekeepingOptions) {
    this.#o = o;
  }

  start(): void {
    this.#timer = this.#o.clock.setInterval(() => void this.runOnce().catch((err: unknown) => this.#o.log?.(`flint: housekeeping pass failed (next one retries): ${String(err)}`)), this.#o.intervalMs ?? 5000);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** One pass if this node leads now; undefined when it does not (or lost the term meanwhile). */
  async runOnce(): Promise<HousekeepingPass | undefined> {
    const term = this.#o.leader.term;
    if (term === undefined || this.#running) return undefined;
    this.#running = true;
    try {
      const prune = this.#passes++ % (this.#o.pruneEvery ?? 12) === 0;
      const out = await this.#o.leader.withTerm(term, async (client) => {
        const db = client as unknown as pg.Pool;
        const tokens = await reapConcurrencyTokens(db, { deadNodeGraceMs: this.#o.deadNodeTokenGraceMs ?? 60_000 });
        const members = await reapDeadMembers(db, this.#o.deadMemberGraceMs ?? 60_000);
        const allocations = await reapOrphanAllocations(db);
        if (prune) await this.#o.pruneEvents(client);
        return { term, tokens, members, allocations, pruned: prune };
      });
      if (out === DEPOSED) return undefined;
      if (out.members.length > 0) this.#o.log?.(`flint: housekeeping (term ${term}): removed dead member(s) ${out.members.join(', ')}`);
      if (out.tokens > 0) this.#o.log?.(`flint: housekeeping (term ${term}): freed ${out.tokens} expired concurrency token(s)`);
      return out;
    } finally {
      this.#running = false;
    }
  }
}
