import type pg from 'pg';
import type { Timer, TimerClock } from '../ports/clock.js';
import { timedQuery } from './timed-query.js';

/** The node that leads now, as last read: its id, term and front door. */
export interface KnownLeader {
  holder: string;
  term: number;
  /** `scheme://host:port` of its front door (api nodes register it in `members.api_url`). */
  apiUrl: string | undefined;
}

/**
 * Who leads the cluster, for the nodes that need to reach it (SQS requests and the pollers' queue
 * calls go to the leader): the `leader_leases` row joined with the holder's member row, read every
 * `refreshMs` (default 1 s) and at once when a caller says the leader it was given did not answer.
 * A lease that expired by the database's clock counts as no leader.
 */
export class LeaderDirectory {
  readonly #pool: pg.Pool;
  readonly #clock: TimerClock;
  readonly #lease: string;
  readonly #refreshMs: number;
  #leader: KnownLeader | undefined;
  #timer: Timer | undefined;
  #reading: Promise<void> | undefined;

  constructor(o: { pool: pg.Pool; clock: TimerClock; lease?: string; refreshMs?: number }) {
    this.#pool = o.pool;
    this.#clock = o.clock;
    this.#lease = o.lease ?? 'flint-leader';
    this.#refreshMs = o.refreshMs ?? 1000;
  }

  /** The leader as last read (undefined: none, or not read yet). */
  get leader(): KnownLeader | undefined {
    return this.#leader;
  }

  async start(): Promise<void> {
    await this.refresh().catch(() => undefined);
    this.#timer = this.#clock.setInterval(() => void this.refresh().catch(() => undefined), this.#refreshMs);
    this.#timer.unref();
  }

  /** Reads the lease now (calls made meanwhile share the read). */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  stop(): void {
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  async #read(): Promise<void> {
    const r = await timedQuery<{ holder: string; term: string; api_url: string | null }>(this.#pool,
      `SELECT l.holder, l.term::text AS term, m.api_url FROM leader_leases l LEFT JOIN members m ON m.id = l.holder
        WHERE l.name = $1 AND l.expires_at > now()`, [this.#lease], 3000);
    const row = r.rows[0];
    this.#leader = row ? { holder: row.holder, term: Number(row.term), apiUrl: row.api_url ?? undefined } : undefined;
  }
}
