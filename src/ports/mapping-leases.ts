/**
 * Event source mappings in cluster mode (docs/cluster.md): each mapping is run by one poller node
 * at a time, under a lease row. A lease carries a fencing token that changes whenever the mapping
 * changes hands, so a node that lost its lease (paused, cut off, presumed dead) cannot renew it.
 */

/** One mapping's lease row. */
export interface MappingLease {
  readonly uuid: string;
  /** The poller node holding it. */
  readonly owner: string;
  /** Fencing token of this holding: a new one on every change of holder. */
  readonly token: number;
  /** Lease time left by the database's clock, ms (negative: expired that long ago). */
  readonly leftMs: number;
}

/** Storage of the mapping lease rows (PostgreSQL). Expiry is judged by the store's clock, never a node's. */
export interface MappingLeaseStore {
  list(): Promise<MappingLease[]>;
  /**
   * Takes each mapping that is free (never held, released, or its lease expired) or already held
   * by `owner`, for `leaseMs` from the store's now. Returns uuid → token for the mappings taken.
   */
  acquire(owner: string, uuids: readonly string[], leaseMs: number): Promise<Map<string, number>>;
  /** Extends the holdings whose row still names `owner` with the same token; returns the uuids renewed. */
  renew(owner: string, holdings: ReadonlyMap<string, number>, leaseMs: number): Promise<string[]>;
  /** Gives the holdings up, so the next holder need not wait for them to expire. */
  release(owner: string, holdings: ReadonlyMap<string, number>): Promise<void>;
}

/** Whether this node runs a mapping now (undefined on a single node: it runs them all). */
export interface MappingOwnership {
  owns(uuid: string): boolean;
}
