import type pg from 'pg';
import type { Timer, TimerClock } from '../ports/clock.js';
import type { ClusterMember, ClusterMembership, NodeRole } from '../ports/cluster-membership.js';
import { ensureClusterSchema } from './cluster-schema.js';
import { HeldLease } from './held-lease.js';
import { timedQuery } from './timed-query.js';

export interface MembershipOptions {
  pool: pg.Pool;
  clock: TimerClock;
  /** This process's id (a new process registers a new id). */
  id: string;
  roles: readonly NodeRole[];
  /** `host:port` of the internal (mutual TLS) listener. */
  address: string;
  /** An api node's front door, `scheme://host:port` (others forward SQS requests to the leader's). */
  apiUrl?: string;
  capacity: number;
  /** Heartbeat period (CLUSTER.md: 1 s). */
  heartbeatMs?: number;
  /** Lease granted by each heartbeat (CLUSTER.md: 5 s). */
  leaseMs?: number;
  /** Fence this long before the lease could end (default a tenth of the lease): see HeldLease. */
  fenceMarginMs?: number;
}

interface MemberRow {
  id: string;
  roles: string[];
  address: string;
  api_url: string | null;
  capacity: number;
  epoch: string;
  state: ClusterMember['state'];
  left_ms: number;
}

type Listener = () => void;

/**
 * This node's registration in the `members` table and its cached view of the others.
 *
 * - Each heartbeat renews the lease only if the database still holds it for this epoch
 *   (`lease_expires_at > now()`); otherwise, or when this node fenced itself meanwhile, it
 *   registers again under a new epoch (a cluster-wide sequence), so a request carrying an older
 *   epoch is known to predate a gap in the lease.
 * - Others' liveness is judged by the database's clock: the view carries, per member, the time left
 *   on its lease as `lease_expires_at - now()` computed in SQL, added to this node's clock reading
 *   taken *before* the query (so the view errs towards dead). No node compares its wall clock with
 *   another's.
 * - `fenced()` is this node's own judgement (HeldLease): true from the moment its lease may have
 *   expired without a confirmed renewal. A worker refuses new work while fenced, even if the api can
 *   still reach it (CLUSTER.md S2).
 */
export class Membership implements ClusterMembership {
  readonly self: string;
  readonly #pool: pg.Pool;
  readonly #clock: TimerClock;
  readonly #roles: readonly NodeRole[];
  readonly #address: string;
  readonly #apiUrl: string | null;
  readonly #capacity: number;
  readonly #heartbeatMs: number;
  readonly #leaseMs: number;
  readonly #lease: HeldLease;
  readonly #onFence = new Set<Listener>();
  readonly #onUnfence = new Set<Listener>();
  #epoch = 0;
  #state: 'active' | 'draining' = 'active';
  #view: ClusterMember[] = [];
  /** clock.now() / monotonic() when the view was last read successfully. */
  #viewAt = 0;
  #viewAtMono = Number.NEGATIVE_INFINITY;
  #timer: Timer | undefined;
  #inflightSince: number | undefined;
  #stopped = false;

  private constructor(o: MembershipOptions) {
    this.self = o.id;
    this.#pool = o.pool;
    this.#clock = o.clock;
    this.#roles = [...o.roles];
    this.#address = o.address;
    this.#apiUrl = o.apiUrl ?? null;
    this.#capacity = o.capacity;
    this.#heartbeatMs = o.heartbeatMs ?? 1000;
    this.#leaseMs = o.leaseMs ?? 5000;
    const margin = o.fenceMarginMs ?? Math.floor(this.#leaseMs / 10);
    if (this.#heartbeatMs >= this.#leaseMs - margin) throw new Error('membership: the heartbeat must be shorter than the lease less its margin');
    this.#lease = new HeldLease(o.clock, this.#leaseMs, margin, (held) => this.#emit(held ? this.#onUnfence : this.#onFence));
  }

  /** Creates the tables if needed, registers (a first epoch), reads the members, and starts the heartbeat. */
  static async start(o: MembershipOptions): Promise<Membership> {
    const m = new Membership(o);
    await ensureClusterSchema(o.pool);
    await m.#register();
    await m.refresh();
    m.#timer = o.clock.setInterval(() => void m.#beat(), m.#heartbeatMs);
    m.#timer.unref();
    return m;
  }

  /** The epoch of the current registration (raised on each re-registration). */
  get epoch(): number {
    return this.#epoch;
  }

  get state(): 'active' | 'draining' {
    return this.#state;
  }

  /**
   * Members as last read; a member whose lease ran out since is reported dead — while this node can
   * read the table. When it cannot (its refreshes failed for longer than a lease), the view stays as
   * it was at the last read instead of aging everyone out: a node cut off from the database cannot
   * tell a dead member from its own blindness, and CLUSTER.md's static stability wants an api node
   * to keep routing warm invocations on its last known membership (workers that did lose their
   * lease refuse on their own: they are fenced).
   */
  members(): readonly ClusterMember[] {
    const judgeAt = this.viewAgeMs() > this.#leaseMs ? this.#viewAt : this.#clock.now();
    return this.#view.map((m) => (m.state !== 'dead' && m.leaseExpiresAt <= judgeAt ? { ...m, state: 'dead' } : m));
  }

  /** How old the view is: ms since the members table was last read successfully. */
  viewAgeMs(): number {
    return this.#clock.monotonic() - this.#viewAtMono;
  }

  /** True when this node's lease may have expired without a confirmed renewal: take no new work. */
  fenced(): boolean {
    return this.#stopped || !this.#lease.held;
  }

  /** Calls `fn` each time the node fences itself; returns the unsubscribe. */
  onFence(fn: Listener): () => void {
    this.#onFence.add(fn);
    return () => this.#onFence.delete(fn);
  }

  /** Calls `fn` each time the node holds a lease again (after registering anew: a new epoch). */
  onUnfence(fn: Listener): () => void {
    this.#onUnfence.add(fn);
    return () => this.#onUnfence.delete(fn);
  }

  /** Reads the members table now (the background refresh does this each heartbeat). */
  async refresh(): Promise<void> {
    const sentAt = this.#clock.now();
    const sentAtMono = this.#clock.monotonic();
    const r = await timedQuery<MemberRow>(this.#pool, `SELECT id, roles, address, api_url, capacity, epoch::text AS epoch, state,
        (EXTRACT(EPOCH FROM (lease_expires_at - now())) * 1000)::float8 AS left_ms FROM members ORDER BY id`, [], this.#statementTimeoutMs);
    this.#view = r.rows.map((row) => ({
      id: row.id,
      roles: row.roles as NodeRole[],
      address: row.address,
      ...(row.api_url ? { apiUrl: row.api_url } : {}),
      capacity: row.capacity,
      epoch: Number(row.epoch),
      leaseExpiresAt: sentAt + row.left_ms,
      state: row.left_ms <= 0 ? 'dead' : row.state,
    }));
    this.#viewAt = sentAt;
    this.#viewAtMono = sentAtMono;
  }

  /** Marks this node draining: routers stop sending new work; the lease goes on until `leave()`. */
  async drain(): Promise<void> {
    this.#state = 'draining';
    await this.#pool.query(`UPDATE members SET state = 'draining' WHERE id = $1`, [this.self]);
  }

  /** Clean stop: no more heartbeats, and the row is deleted so nobody waits for the lease to run out. */
  async leave(): Promise<void> {
    this.stop();
    await this.#pool.query('DELETE FROM members WHERE id = $1', [this.self]);
  }

  /** Stops heartbeating without deleting the row (a crash, as others see it); fences at once. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) this.#clock.clearTimer(this.#timer);
    const wasHeld = this.#lease.held;
    this.#lease.stop();
    if (wasHeld) this.#emit(this.#onFence);
  }

  /**
   * How long a lease statement may take before it is abandoned (and its connection dropped): two
   * beats, or half the lease when that is longer — a slow database is not a dead one, and an
   * answer after the fence point is of no use anyway.
   */
  get #statementTimeoutMs(): number {
    return Math.max(2 * this.#heartbeatMs, this.#leaseMs / 2);
  }

  async #beat(): Promise<void> {
    // One heartbeat at a time, but one stuck longer than a lease (a connection that hangs without a
    // timeout) is abandoned so a fresh attempt can run once the database answers again.
    const mono = this.#clock.monotonic();
    if (this.#inflightSince !== undefined && mono - this.#inflightSince < this.#leaseMs) return;
    const mine = (this.#inflightSince = mono);
    try {
      if (this.#lease.held) await this.#renew();
      else await this.#register();
      if (!this.#stopped) await this.refresh();
    } catch {
      // Unreachable database: the lease runs out on its own (HeldLease fences); retry next beat.
    } finally {
      if (this.#inflightSince === mine) this.#inflightSince = undefined;
    }
  }

  async #renew(): Promise<void> {
    const sentAt = this.#clock.monotonic();
    const epoch = this.#epoch;
    const r = await timedQuery(this.#pool, `UPDATE members SET lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE id = $1 AND epoch = $2 AND lease_expires_at > now() RETURNING epoch`, [this.self, epoch, this.#leaseMs], this.#statementTimeoutMs);
    if (this.#stopped || epoch !== this.#epoch) return;
    if (r.rowCount === 1) this.#lease.confirmed(sentAt);
    else {
      // The database let the lease lapse (or the row was reaped): fenced until registered anew.
      this.#lease.lost();
      await this.#register();
    }
  }

  async #register(): Promise<void> {
    const sentAt = this.#clock.monotonic();
    const r = await timedQuery<{ epoch: string }>(this.#pool, `INSERT INTO members (id, roles, address, capacity, epoch, lease_expires_at, state, started_at, api_url)
        VALUES ($1, $2, $3, $4, nextval('member_epochs'), now() + $5 * interval '1 millisecond', $6, now(), $7)
        ON CONFLICT (id) DO UPDATE SET roles = EXCLUDED.roles, address = EXCLUDED.address, capacity = EXCLUDED.capacity, api_url = EXCLUDED.api_url,
          epoch = EXCLUDED.epoch, lease_expires_at = EXCLUDED.lease_expires_at, state = EXCLUDED.state
        RETURNING epoch::text AS epoch`, [this.self, this.#roles, this.#address, this.#capacity, this.#leaseMs, this.#state, this.#apiUrl], this.#statementTimeoutMs);
    if (this.#stopped) return;
    this.#epoch = Number(r.rows[0]!.epoch);
    this.#lease.confirmed(sentAt);
  }

  #emit(listeners: Set<Listener>): void {
    for (const fn of listeners) {
      try { fn(); } catch { /* a listener's failure is its own */ }
    }
  }
}

/**
 * Deletes members whose lease ran out more than `graceMs` ago (by the database's clock): the
 * leader's housekeeping. Until then they stay listed as dead, which `flint cluster status` shows.
 */
export async function reapDeadMembers(db: pg.Pool | pg.ClientBase, graceMs: number): Promise<string[]> {
  const r = await db.query<{ id: string }>(`DELETE FROM members WHERE lease_expires_at < now() - $1 * interval '1 millisecond' RETURNING id`, [graceMs]);
  return r.rows.map((x) => x.id);
}
