import type { Timer, TimerClock } from '../ports/clock.js';
import type { MappingLeaseStore, MappingOwnership } from '../ports/mapping-leases.js';
import { mappingsFor } from './mapping-owner.js';

/** What the shards steer: this node's event source pollers. */
export interface ShardedPollers {
  /** UUIDs of every stored mapping (throws when the store cannot be read). */
  uuids(): readonly string[];
  /** Reconciles the pollers with `owns` (starts the owned, stops the others) in the background. */
  resync(): void;
  /** True while a mapping's poller runs or is being started or stopped here. */
  busy(uuid: string): boolean;
}

export interface MappingShardsOptions {
  store: MappingLeaseStore;
  /** This poller's id (unique per process: a restarted poller is a new holder). */
  self: string;
  /** Ids of the pollers alive now (cluster membership, this node included). */
  livePollers: () => readonly string[];
  clock: TimerClock;
  /** How long a lease lasts unless renewed (default 5 s, as membership's). */
  leaseMs?: number;
  /** How often leases are renewed and the rendezvous assignment re-applied (default 1 s). */
  renewEveryMs?: number;
  /** Taken off the lease when judging it on this node (a database clock that slews; default a tenth). */
  marginMs?: number;
  log?: (line: string) => void;
}

interface Holding {
  token: number;
  /** Monotonic ms until which this node may act on the lease: counted from when the renewal was sent. */
  validUntil: number;
  /** Rendezvous gave the mapping to another poller: stopped here, released once its poller stopped. */
  releasing: boolean;
}

/**
 * Which event source mappings this poller node runs. Rendezvous hashing of the mapping UUID over
 * the live pollers says which it should run; a lease row per mapping in PostgreSQL says which it
 * may. Each round renews the leases, marks those rendezvous moved away as releasing (their
 * pollers stop at once; the lease is kept, renewed, until the in-flight batch finished, then
 * released), and takes the ones it should run that are free or whose holder's lease expired.
 * Two nodes therefore never run one mapping at once, even while their member lists disagree:
 * the second waits for the first's release or lease expiry. A node that cannot renew stops
 * owning a mapping when its lease may have run out (counted from the renewal's send), before
 * the database lets another node take it.
 */
export class MappingShards implements MappingOwnership {
  readonly #opts: MappingShardsOptions;
  readonly #leaseMs: number;
  readonly #marginMs: number;
  readonly #holdings = new Map<string, Holding>();
  #target: ShardedPollers | undefined;
  #timer: Timer | undefined;
  /** Fires when the first holding's validity ends, so its poller stops then rather than at the next round. */
  #fence: Timer | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;

  constructor(opts: MappingShardsOptions) {
    this.#opts = opts;
    this.#leaseMs = opts.leaseMs ?? 5000;
    this.#marginMs = opts.marginMs ?? Math.floor(this.#leaseMs / 10);
  }

  /** The pollers to steer (built after the shards: the event sources take the shards as their ownership). */
  attach(target: ShardedPollers): void {
    this.#target = target;
  }

  owns(uuid: string): boolean {
    const h = this.#holdings.get(uuid);
    return h !== undefined && !h.releasing && this.#opts.clock.monotonic() < h.validUntil;
  }

  /** The mappings this node runs now. */
  owned(): string[] {
    return [...this.#holdings.keys()].filter((u) => this.owns(u)).sort();
  }

  /** Takes the first leases, then keeps them in the background until stop(). */
  async start(): Promise<void> {
    await this.reconcile().catch((err: unknown) => this.#opts.log?.(`flint: event source mapping leases: ${String(err)}`));
    if (this.#stopped || this.#timer) return;
    this.#timer = this.#opts.clock.setInterval(() => {
      this.reconcile().catch((err: unknown) => this.#opts.log?.(`flint: event source mapping leases: ${String(err)}`));
    }, this.#opts.renewEveryMs ?? 1000);
    this.#timer.unref();
  }

  /** One round of renew / hand over / take over. Rounds do not overlap: a call during one waits for it. */
  reconcile(): Promise<void> {
    if (this.#round) return this.#round;
    this.#round = this.#reconcile().finally(() => {
      this.#round = undefined;
      this.#armFence();
    });
    return this.#round;
  }

  async #reconcile(): Promise<void> {
    const target = this.#target;
    if (this.#stopped || !target) return;
    const { store, self, clock } = this.#opts;
    const validFor = this.#leaseMs - this.#marginMs;

    if (this.#holdings.size > 0) {
      const sentAt = clock.monotonic();
      try {
        const renewed = new Set(await store.renew(self, this.#tokens([...this.#holdings.keys()]), this.#leaseMs));
        for (const [uuid, h] of this.#holdings) {
          if (renewed.has(uuid)) h.validUntil = sentAt + validFor;
          // Another poller took it after our lease expired (or it was never renewed in time): not ours.
          else this.#holdings.delete(uuid);
        }
      } catch (err) {
        // Unreachable database: the holdings lapse by themselves when their validity ends.
        this.#opts.log?.(`flint: event source mapping leases not renewed: ${String(err)}`);
      }
    }

    let uuids: readonly string[];
    try {
      uuids = target.uuids();
    } catch (err) {
      this.#opts.log?.(`flint: event source mappings not read: ${String(err)}`);
      target.resync();
      return;
    }
    const desired = new Set(mappingsFor(self, this.#opts.livePollers(), uuids));
    for (const [uuid, h] of this.#holdings) h.releasing = !desired.has(uuid);
    // Pollers of mappings no longer owned stop now; those owned (still or again) run.
    target.resync();

    const done = [...this.#holdings].filter(([uuid, h]) => h.releasing && !target.busy(uuid)).map(([uuid]) => uuid);
    if (done.length > 0) {
      await store.release(self, this.#tokens(done));
      for (const uuid of done) this.#holdings.delete(uuid);
    }

    const wanted = [...desired].filter((uuid) => !this.#holdings.has(uuid));
    if (wanted.length > 0 && !this.#stopped) {
      const sentAt = clock.monotonic();
      const taken = await store.acquire(self, wanted, this.#leaseMs);
      for (const [uuid, token] of taken) this.#holdings.set(uuid, { token, validUntil: sentAt + validFor, releasing: false });
      if (taken.size > 0) target.resync();
    }
  }

  /** Stops renewing and releases every lease (call after this node's pollers stopped). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) this.#opts.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    await this.#round?.catch(() => undefined);
    if (this.#fence) this.#opts.clock.clearTimer(this.#fence);
    this.#fence = undefined;
    const all = this.#tokens([...this.#holdings.keys()]);
    this.#holdings.clear();
    await this.#opts.store.release(this.#opts.self, all);
  }

  #armFence(): void {
    const { clock } = this.#opts;
    if (this.#fence) clock.clearTimer(this.#fence);
    this.#fence = undefined;
    if (this.#stopped) return;
    const now = clock.monotonic();
    const next = Math.min(...[...this.#holdings.values()].filter((h) => !h.releasing && h.validUntil > now).map((h) => h.validUntil));
    if (!Number.isFinite(next)) return;
    this.#fence = clock.setTimeout(() => {
      this.#fence = undefined;
      this.#target?.resync();
    }, next - now);
    this.#fence.unref();
  }

  #tokens(uuids: readonly string[]): Map<string, number> {
    return new Map(uuids.map((u) => [u, this.#holdings.get(u)!.token]));
  }
}
