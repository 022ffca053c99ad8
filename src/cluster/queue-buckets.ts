import type { Timer, TimerClock } from '../ports/clock.js';
import type { BucketHoldings, BucketLeaseStore } from '../ports/queue-buckets.js';
import { rendezvousOrder } from './rendezvous.js';

/** Buckets of the async queue unless configured otherwise (docs/cluster.md: 64). */
export const DEFAULT_BUCKET_COUNT = 64;

/** The buckets `self` should poll: those whose rendezvous winner among the live pollers is `self`. */
export function bucketsFor(self: string, livePollers: readonly string[], bucketCount: number): number[] {
  const live = [...new Set(livePollers)];
  const mine: number[] = [];
  for (let b = 0; b < bucketCount; b++) {
    if (rendezvousOrder(`queue-bucket:${b}`, live, (id) => id)[0] === self) mine.push(b);
  }
  return mine;
}

export interface QueueBucketsOptions {
  store: BucketLeaseStore;
  /** This poller's id (unique per process: a restarted poller is a new holder). */
  self: string;
  /** Ids of the pollers alive now (cluster membership; `[self]` on a single node). */
  livePollers: () => readonly string[];
  clock: TimerClock;
  bucketCount?: number;
  /** How long a bucket lease lasts unless renewed. */
  leaseMs?: number;
  /** How often leases are renewed and the rendezvous assignment is re-applied (default leaseMs / 3). */
  renewEveryMs?: number;
  /**
   * How long a bucket that rendezvous now gives to another poller is kept (renewed, but no longer
   * claimed from) before it is released: its in-flight events can still be acknowledged meanwhile
   * instead of being fenced and delivered again.
   */
  handoffMs?: number;
  log?: (level: 'info' | 'error', message: string) => void;
}

interface Holding {
  token: number;
  /** Epoch ms the lease ends by this node's reckoning (counted from before the renewal was sent). */
  expiresAt: number;
  /** Set while the bucket is being handed over: released at this time. */
  releaseAt?: number;
}

/**
 * Which queue buckets this poller holds: rendezvous over the live pollers says which it should
 * hold; leases in the store say which it does. Each round renews the holdings, hands over those
 * rendezvous moved away, and takes the ones it should hold that are free or whose holder's lease
 * expired (a takeover raises the bucket's fencing token). A holding whose renewal did not get
 * through stops counting when its lease would have expired (self-fencing while cut off).
 */
export class QueueBuckets implements BucketHoldings {
  readonly owner: string;
  readonly bucketCount: number;
  readonly #opts: QueueBucketsOptions;
  readonly #leaseMs: number;
  readonly #handoffMs: number;
  readonly #holdings = new Map<number, Holding>();
  #timer: Timer | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;

  constructor(opts: QueueBucketsOptions) {
    this.#opts = opts;
    this.owner = opts.self;
    this.bucketCount = opts.bucketCount ?? DEFAULT_BUCKET_COUNT;
    this.#leaseMs = opts.leaseMs ?? 5000;
    this.#handoffMs = opts.handoffMs ?? this.#leaseMs;
  }

  /** Takes the first buckets, then keeps the holdings renewed in the background until stop(). */
  async start(): Promise<void> {
    await this.reconcile();
    if (this.#stopped || this.#timer) return;
    const every = this.#opts.renewEveryMs ?? Math.max(1, Math.floor(this.#leaseMs / 3));
    this.#timer = this.#opts.clock.setInterval(() => {
      this.reconcile().catch((err: unknown) => this.#opts.log?.('error', `queue buckets: renewal failed: ${String(err)}`));
    }, every);
    this.#timer.unref();
  }

  held(): ReadonlyMap<number, number> {
    const now = this.#opts.clock.now();
    const out = new Map<number, number>();
    for (const [bucket, h] of this.#holdings) if (h.releaseAt === undefined && h.expiresAt > now) out.set(bucket, h.token);
    return out;
  }

  /** One round of renew / hand over / take over. Rounds do not overlap: a call during one waits for it. */
  reconcile(): Promise<void> {
    if (this.#round) return this.#round;
    this.#round = this.#reconcile().finally(() => { this.#round = undefined; });
    return this.#round;
  }

  async #reconcile(): Promise<void> {
    if (this.#stopped) return;
    const { store, self, clock } = this.#opts;
    const now = clock.now();
    const expiresAt = now + this.#leaseMs;
    const desired = new Set(bucketsFor(self, this.#opts.livePollers(), this.bucketCount));

    if (this.#holdings.size > 0) {
      const renewed = new Set(await store.renew(self, this.#tokens([...this.#holdings.keys()]), expiresAt));
      for (const [bucket, h] of this.#holdings) {
        if (renewed.has(bucket)) h.expiresAt = expiresAt;
        // Another poller took it over after our lease expired: what we leased from it is fenced.
        else this.#holdings.delete(bucket);
      }
    }

    const release: number[] = [];
    for (const [bucket, h] of this.#holdings) {
      if (desired.has(bucket)) delete h.releaseAt;
      else {
        h.releaseAt ??= now + this.#handoffMs;
        if (h.releaseAt <= now) release.push(bucket);
      }
    }
    if (release.length > 0) {
      await store.release(self, this.#tokens(release));
      for (const b of release) this.#holdings.delete(b);
    }

    const wanted = [...desired].filter((b) => !this.#holdings.has(b));
    if (wanted.length > 0 && !this.#stopped) {
      const taken = await store.acquire(self, wanted, now, expiresAt);
      for (const [bucket, token] of taken) this.#holdings.set(bucket, { token, expiresAt });
    }
  }

  /** Stops renewing and releases every holding, so other pollers take the buckets at once. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) this.#opts.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    await this.#round?.catch(() => undefined);
    const all = this.#tokens([...this.#holdings.keys()]);
    this.#holdings.clear();
    await this.#opts.store.release(this.owner, all);
  }

  #tokens(buckets: readonly number[]): Map<number, number> {
    return new Map(buckets.map((b) => [b, this.#holdings.get(b)!.token]));
  }
}
