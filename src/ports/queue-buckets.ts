/**
 * Buckets of the async event queue in cluster mode (docs/cluster.md): the queue is split into a
 * fixed number of buckets, each polled by one poller at a time under a lease. A lease carries a
 * fencing token that rises each time the bucket changes hands, so a poller that lost its bucket
 * (paused, partitioned, presumed dead) can no longer acknowledge or retry what it leased.
 */

/** One bucket's lease row. */
export interface BucketLease {
  readonly bucket: number;
  /** The poller holding (or last holding) the bucket; undefined once released. */
  readonly owner: string | undefined;
  /** Fencing token of the current holding: rises on every change of holder. */
  readonly token: number;
  /** Epoch ms the lease ends unless renewed. */
  readonly expiresAt: number;
}

/** What an event queue needs to know about the buckets its poller holds. */
export interface BucketHoldings {
  /** This poller's id: the owner written on the lease rows. */
  readonly owner: string;
  /** Buckets in the queue; the same on every node. */
  readonly bucketCount: number;
  /**
   * Bucket → fencing token of the buckets to claim events from now (held, not expired by this
   * node's clock, not being handed over). The store checks the lease rows again on every write.
   */
  held(): ReadonlyMap<number, number>;
}

/** Storage of the bucket lease rows (PostgreSQL in cluster mode). */
export interface BucketLeaseStore {
  /** Every bucket that was ever leased, by bucket number. */
  list(): Promise<BucketLease[]>;
  /**
   * Takes each bucket that is free (never held, released, or its lease expired by `now`) or already
   * held by `owner`, until `expiresAt`. The token rises when the holder changes or the bucket was
   * released; it stays when `owner` renews its own holding. Returns bucket → token for the buckets taken.
   */
  acquire(owner: string, buckets: readonly number[], now: number, expiresAt: number): Promise<Map<number, number>>;
  /** Extends the holdings whose row still names `owner` with the same token; returns the buckets renewed. */
  renew(owner: string, holdings: ReadonlyMap<number, number>, expiresAt: number): Promise<number[]>;
  /** Gives the holdings up (the next holder need not wait for them to expire). */
  release(owner: string, holdings: ReadonlyMap<number, number>): Promise<void>;
}
