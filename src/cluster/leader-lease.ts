import type pg from 'pg';
import type { Timer, TimerClock } from '../ports/clock.js';
import { ensureClusterSchema } from './cluster-schema.js';
import { HeldLease } from './held-lease.js';
import { timedQuery } from './timed-query.js';

export interface LeaderLeaseOptions {
  pool: pg.Pool;
  clock: TimerClock;
  /** This candidate's id (the node's member id). */
  holder: string;
  /** The lease's name: one leader per name (default `flint-leader`, the housekeeping leader). */
  name?: string;
  /** How often the leader renews and the others try to take an expired lease (default 1 s). */
  renewMs?: number;
  /** The lease each renewal grants (default 5 s). */
  leaseMs?: number;
  /** Step down this long before the lease could end (default a tenth of the lease). */
  marginMs?: number;
}

type TermListener = (term: number) => void;

/** The outcome of a statement run under a term that is no longer the current one. */
export const DEPOSED = 'deposed' as const;

/**
 * One leader among the candidates, by a row in `leader_leases` (River's leader election, in plain
 * SQL): the holder renews it every second; anyone may take it once it expired by the database's
 * clock, and taking it raises the **term**. Terms only grow, so work stamped with a term can be
 * fenced: `withTerm(term, fn)` runs `fn` in a transaction only while that term is current, holding
 * the lease row FOR SHARE so no takeover can commit until the work has.
 *
 * A leader that cannot renew steps down (onDeposed) when its own lease may have expired, counted
 * from the send time of its last confirmed renewal (HeldLease): before the database would let
 * anyone else take the lease, so two nodes never both believe they lead.
 */
export class LeaderLease {
  readonly holder: string;
  readonly name: string;
  readonly #pool: pg.Pool;
  readonly #clock: TimerClock;
  readonly #renewMs: number;
  readonly #leaseMs: number;
  readonly #lease: HeldLease;
  readonly #onElected = new Set<TermListener>();
  readonly #onDeposed = new Set<TermListener>();
  #term: number | undefined;
  #timer: Timer | undefined;
  #inflightSince: number | undefined;
  #stopped = false;

  private constructor(o: LeaderLeaseOptions) {
    this.holder = o.holder;
    this.name = o.name ?? 'flint-leader';
    this.#pool = o.pool;
    this.#clock = o.clock;
    this.#renewMs = o.renewMs ?? 1000;
    this.#leaseMs = o.leaseMs ?? 5000;
    const margin = o.marginMs ?? Math.floor(this.#leaseMs / 10);
    if (this.#renewMs >= this.#leaseMs - margin) throw new Error('leader lease: renewals must come more often than the lease less its margin');
    this.#lease = new HeldLease(o.clock, this.#leaseMs, margin, (held) => {
      if (held) this.#emit(this.#onElected, this.#term!);
      else this.#stepDown();
    });
  }

  /** Creates the tables if needed, makes a first attempt at the lease, then keeps trying / renewing. */
  static async start(o: LeaderLeaseOptions): Promise<LeaderLease> {
    const l = new LeaderLease(o);
    await ensureClusterSchema(o.pool);
    await l.#tick();
    l.#timer = o.clock.setInterval(() => void l.#tick(), l.#renewMs);
    l.#timer.unref();
    return l;
  }

  /** True while this node holds the lease by its own (conservative) reckoning. */
  isLeader(): boolean {
    return this.#term !== undefined && this.#lease.held;
  }

  /** The term this node leads under, or undefined when it does not lead. */
  get term(): number | undefined {
    return this.isLeader() ? this.#term : undefined;
  }

  /** Calls `fn(term)` each time this node becomes leader; returns the unsubscribe. */
  onElected(fn: TermListener): () => void {
    this.#onElected.add(fn);
    return () => this.#onElected.delete(fn);
  }

  /** Calls `fn(term)` when this node stops leading (lease lost, not renewable in time, or stop). */
  onDeposed(fn: TermListener): () => void {
    this.#onDeposed.add(fn);
    return () => this.#onDeposed.delete(fn);
  }

  /**
   * Runs `fn` in a transaction only if `term` is this node's current term, locally and in the
   * database; otherwise (or if the lease changed hands first) nothing runs and the answer is
   * 'deposed'. What schedules fire and reaping delete goes through here.
   */
  async withTerm<T>(term: number, fn: (client: pg.PoolClient) => Promise<T>): Promise<T | typeof DEPOSED> {
    if (this.term !== term) return DEPOSED;
    return await withLeaderTerm(this.#pool, this.name, term, fn);
  }

  /** One statement under `term` (see withTerm). */
  async runFenced<R extends pg.QueryResultRow = pg.QueryResultRow>(term: number, text: string, values: unknown[] = []): Promise<pg.QueryResult<R> | typeof DEPOSED> {
    return await this.withTerm(term, (c) => c.query<R>(text, values));
  }

  /** Stops competing. A leader steps down first, then (resign) ends its lease so another takes over at once. */
  async stop(opts: { resign?: boolean } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    const term = this.#term;
    this.#lease.lost();
    if (term !== undefined && opts.resign !== false) {
      await this.#pool.query('UPDATE leader_leases SET expires_at = now() WHERE name = $1 AND holder = $2 AND term = $3', [this.name, this.holder, term]).catch(() => undefined);
    }
  }

  /**
   * How long a lease statement may take before it is abandoned (and its connection dropped): two
   * beats, or half the lease when that is longer — a slow database is not a dead one, and an
   * answer after the fence point is of no use anyway.
   */
  get #statementTimeoutMs(): number {
    return Math.max(2 * this.#renewMs, this.#leaseMs / 2);
  }

  async #tick(): Promise<void> {
    const mono = this.#clock.monotonic();
    if (this.#stopped || (this.#inflightSince !== undefined && mono - this.#inflightSince < this.#leaseMs)) return;
    const mine = (this.#inflightSince = mono);
    try {
      if (this.isLeader()) await this.#renew(this.#term!);
      else await this.#tryAcquire();
    } catch {
      // Database unreachable: a leader's lease runs out on its own (HeldLease steps it down).
    } finally {
      if (this.#inflightSince === mine) this.#inflightSince = undefined;
    }
  }

  async #renew(term: number): Promise<void> {
    const sentAt = this.#clock.monotonic();
    const r = await timedQuery(this.#pool, `UPDATE leader_leases SET expires_at = now() + $4 * interval '1 millisecond'
        WHERE name = $1 AND holder = $2 AND term = $3 AND expires_at > now()`, [this.name, this.holder, term, this.#leaseMs], this.#statementTimeoutMs);
    if (this.#stopped || this.#term !== term) return;
    if (r.rowCount === 1) this.#lease.confirmed(sentAt);
    else this.#lease.lost();
  }

  async #tryAcquire(): Promise<void> {
    const sentAt = this.#clock.monotonic();
    // Taken only when expired by the database's clock; the term goes up by one per new lease, so
    // a term names exactly one holder for exactly one unbroken stretch.
    const r = await timedQuery<{ term: string }>(this.#pool, `INSERT INTO leader_leases (name, holder, term, expires_at)
        VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
        ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, term = leader_leases.term + 1, expires_at = EXCLUDED.expires_at
        WHERE leader_leases.expires_at <= now()
        RETURNING term::text AS term`, [this.name, this.holder, this.#leaseMs], this.#statementTimeoutMs);
    if (r.rowCount !== 1) return;
    if (this.#stopped) {
      await this.#pool.query('UPDATE leader_leases SET expires_at = now() WHERE name = $1 AND holder = $2 AND term = $3', [this.name, this.holder, r.rows[0]!.term]);
      return;
    }
    this.#term = Number(r.rows[0]!.term);
    this.#lease.confirmed(sentAt);
  }

  #stepDown(): void {
    const term = this.#term;
    this.#term = undefined;
    if (term !== undefined) this.#emit(this.#onDeposed, term);
  }

  #emit(listeners: Set<TermListener>, term: number): void {
    for (const fn of listeners) {
      try { fn(term); } catch { /* a listener's failure is its own */ }
    }
  }
}

/**
 * Runs `fn` in a transaction if `term` is the current, unexpired term of lease `name` in the
 * database, holding the lease row FOR SHARE until COMMIT: a takeover (an UPDATE of that row) waits
 * for this work, so work of term N always commits before term N+1 begins. 'deposed' otherwise.
 */
export async function withLeaderTerm<T>(pool: pg.Pool, name: string, term: number, fn: (client: pg.PoolClient) => Promise<T>): Promise<T | typeof DEPOSED> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const held = await client.query('SELECT 1 FROM leader_leases WHERE name = $1 AND term = $2 AND expires_at > now() FOR SHARE', [name, term]);
    if (held.rowCount !== 1) {
      await client.query('ROLLBACK');
      return DEPOSED;
    }
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * A SQL condition true only while `term` is the current, unexpired term of lease `name`, for
 * fencing a single statement without a transaction (`UPDATE schedules … WHERE … AND <guard>`).
 * Weaker than withLeaderTerm: it checks the lease as of the statement's snapshot, so pair it with a
 * conditional UPDATE of the claimed row (two claims of one row still serialise on its row lock).
 */
export function leaderTermGuard(nameParam: number, termParam: number): string {
  return `EXISTS (SELECT 1 FROM leader_leases WHERE name = $${nameParam} AND term = $${termParam} AND expires_at > now())`;
}

export interface LeaderInfo {
  holder: string;
  term: number;
  /** Time left on the lease by the database's clock (negative: expired that long ago). */
  leftMs: number;
}

/** The lease as the database has it now (for `flint cluster status`), or undefined if never taken. */
export async function readLeader(pool: pg.Pool, name = 'flint-leader'): Promise<LeaderInfo | undefined> {
  const r = await pool.query<{ holder: string; term: string; left_ms: number }>(`SELECT holder, term::text AS term,
      (EXTRACT(EPOCH FROM (expires_at - now())) * 1000)::float8 AS left_ms FROM leader_leases WHERE name = $1`, [name]);
  const row = r.rows[0];
  return row ? { holder: row.holder, term: Number(row.term), leftMs: row.left_ms } : undefined;
}
