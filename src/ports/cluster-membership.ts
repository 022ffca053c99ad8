/**
 * Cluster membership as the rest of Flint sees it (cluster mode, docs/cluster.md): the nodes that
 * registered with a lease in the shared database, as last read. Roles: `api` (front door and
 * routing), `worker` (sandboxes, Runtime API, its own environments), `poller` (async queue and
 * event source consumers); a node started with `--role all` has all three.
 */
export type NodeRole = 'api' | 'worker' | 'poller';

export interface ClusterMember {
  /** Stable for the node's life (a new process registers a new id). */
  readonly id: string;
  readonly roles: readonly NodeRole[];
  /** `host:port` of the node's internal (mutual TLS) listener; workers take invocations there. */
  readonly address: string;
  /** An api node's front door (`scheme://host:port`), where requests only the leader serves are forwarded. */
  readonly apiUrl?: string;
  /** Concurrent environments a worker will run (its admission limit). */
  readonly capacity: number;
  /** Raised each time the node registers or renews after losing its lease: requests carry it, stale ones are refused. */
  readonly epoch: number;
  /** Epoch ms the member's lease ends unless renewed. */
  readonly leaseExpiresAt: number;
  readonly state: 'active' | 'draining' | 'dead';
}

export interface ClusterMembership {
  /** This node's own id. */
  readonly self: string;
  /** Members as last read (refreshed in the background); live ones have leaseExpiresAt in the future. */
  members(): readonly ClusterMember[];
}
