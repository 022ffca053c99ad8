import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { FlintConfig } from './config.js';
import type { TimerClock } from '../ports/clock.js';
import type { ClusterMembership, NodeRole } from '../ports/cluster-membership.js';
import type { FunctionReadModel } from '../ports/function-read-model.js';
import type { Invoker } from '../ports/invoker.js';
import { Membership } from '../cluster/membership.js';
import { LeaderLease } from '../cluster/leader-lease.js';
import { ClusterFunctionEvents } from '../cluster/cluster-function-events.js';
import { RemoteInvoker } from '../cluster/remote-invoker.js';
import { WorkerRpcServer } from '../cluster/worker-rpc-server.js';
import { routeKeyFromReadModel } from '../cluster/route-key.js';
import { QueueBuckets } from '../cluster/queue-buckets.js';
import { PgBucketLeaseStore } from '../store/pg/pg-bucket-lease-store.js';
import { MappingShards } from '../cluster/mapping-shards.js';
import { PgMappingLeaseStore } from '../store/pg/pg-mapping-lease-store.js';
import { issueNodeCertificate } from '../cluster/cluster-ca.js';
import { ConcurrencyTokens } from '../cluster/concurrency-tokens.js';
import { ProvisionedPlacement, type ProvisionedPlacementOptions } from '../cluster/provisioned-placement.js';
import { PgProvisionedAllocations } from '../cluster/provisioned-allocations.js';
import { WorkerDrain } from '../cluster/worker-drain.js';
import { ClusterHousekeeping } from '../cluster/cluster-housekeeping.js';
import { LeaderDirectory } from '../cluster/leader-directory.js';

/** Membership's lease (CLUSTER.md: heartbeat 1 s, lease 5 s). */
const LEASE_MS = 5000;

/** What `--role` gives a node: `all` is every role. */
export function nodeRoles(role: FlintConfig['role']): ReadonlySet<NodeRole> {
  return new Set<NodeRole>(role === 'all' ? ['api', 'worker', 'poller'] : [role]);
}

export interface ClusterNode {
  readonly nodeId: string;
  readonly roles: ReadonlySet<NodeRole>;
  /** Async connections (membership, leases, events, the event queue). */
  readonly pool: pg.Pool;
  /** Control-plane changes: `local` for the control plane, `dataPlane` also hears other nodes'. */
  readonly events: ClusterFunctionEvents;
  /** The async queue buckets this node polls (poller role), for the event queue. */
  readonly buckets: QueueBuckets | undefined;
  /** The event source mappings this node runs (poller role): one poller node per mapping, leased. */
  readonly mappingShards: MappingShards | undefined;
  /** The membership once `start` registered this node (a view that is empty before). */
  readonly membership: ClusterMembership;
  /** Exact cluster-wide concurrency for reserved functions (api and poller nodes). */
  readonly tokens: ConcurrencyTokens | undefined;
  /** True while this node holds the housekeeping lease (api role); schedules fire only here. */
  readonly leader: LeaderLease | undefined;
  /** Who leads now, as read every second (the SQS queues are served there). */
  readonly leaderDirectory: LeaderDirectory;
  /** api and poller nodes: runs invocations on workers chosen by rendezvous hashing. */
  remoteInvoker(functions: FunctionReadModel): RemoteInvoker;
  /**
   * Starts the worker listener (worker role), registers the node with its lease, starts leader
   * election (api role), bucket leases (poller role) and event polling.
   */
  start(opts: { workerInvoker?: Invoker; idleEnvironments?(functionName: string, version: string): number; apiAddress?: string; apiUrl?: string; onLeader?(term: number | undefined): void }): Promise<void>;
  /** Draining (`flint worker drain`): no new routes here; in-flight work finishes. */
  readonly draining: () => boolean;
  /**
   * Worker role: which provisioned configs this worker provisions (one worker per config, by
   * rendezvous order, handed off on membership changes); started and stopped with the node.
   */
  placeProvisioned(deps: Pick<ProvisionedPlacementOptions, 'configs' | 'resync'>): ProvisionedPlacement | undefined;
  /** Resolves once a drain (`flint worker drain`) completed: the process should stop now. */
  readonly drained: Promise<void>;
  stop(): Promise<void>;
  /**
   * Ends the connection pool, after `stop` and after the stores that share it closed (the code
   * store keeps a LISTEN connection out of the pool until it closes: ending the pool first waits forever).
   */
  end(): Promise<void>;
}

/**
 * Cluster mode's node-level parts (docs/cluster.md): a node id, its certificate from the cluster
 * CA, the PostgreSQL pool, membership with a heartbeat lease, the leader lease, cross-node
 * function events, node-to-node invocation and queue-bucket leases. Built before the services
 * (events and buckets are their dependencies) and started once the node's listeners are up.
 */
export async function joinCluster(config: FlintConfig, deps: { clock: TimerClock; log(line: string): void }): Promise<ClusterNode> {
  if (!config.databaseUrl || !config.clusterDir) throw new Error('cluster mode needs FLINT_DATABASE_URL and FLINT_CLUSTER_DIR');
  const roles = nodeRoles(config.role);
  const nodeId = `${hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}-${randomUUID().slice(0, 8)}`;
  const advertise = config.advertiseHost ?? (config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host);
  const tls = await issueNodeCertificate(config.clusterDir, nodeId, [advertise]);
  // Every query is bounded: a database that stops answering (paused, cut off) fails the call,
  // so async enqueue answers 5xx instead of hanging the client (CLUSTER.md S4).
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 20, application_name: `flint-${config.role}`, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  // An idle connection the database dropped must not take the node down with it.
  pool.on('error', (err) => deps.log(`flint: database connection lost (it reconnects on next use): ${err.message}`));
  const events = new ClusterFunctionEvents({ pool, nodeId, log: deps.log });
  await events.open();
  let membership: Membership | undefined;
  const view: ClusterMembership = { self: nodeId, members: () => membership?.members() ?? [] };
  const livePollers = () => view.members().filter((m) => m.state !== 'dead' && m.roles.includes('poller')).map((m) => m.id);
  // A poller counts itself live before its first heartbeat lands, so it takes its share at once.
  const pollersWithSelf = (): string[] => { const ids = livePollers(); return ids.includes(nodeId) ? ids : [...ids, nodeId]; };
  const buckets = roles.has('poller')
    ? new QueueBuckets({ store: await PgBucketLeaseStore.open(pool), self: nodeId, livePollers: pollersWithSelf, clock: deps.clock, log: (level, m) => deps.log(`flint: ${level}: ${m}`) })
    : undefined;
  const mappingShards = roles.has('poller')
    ? new MappingShards({ store: await PgMappingLeaseStore.open(pool), self: nodeId, livePollers: pollersWithSelf, clock: deps.clock, log: deps.log })
    : undefined;
  const tokens = roles.has('api') || roles.has('poller') ? await ConcurrencyTokens.start({ pool, nodeId }) : undefined;
  let leader: LeaderLease | undefined;
  let worker: WorkerRpcServer | undefined;
  const invokers: RemoteInvoker[] = [];
  const allocations = roles.has('worker') ? await PgProvisionedAllocations.open(pool) : undefined;
  let placement: ProvisionedPlacement | undefined;
  let drain: WorkerDrain | undefined;
  let housekeeping: ClusterHousekeeping | undefined;
  const leaderDirectory = new LeaderDirectory({ pool, clock: deps.clock });
  let drainedNow!: () => void;
  const drained = new Promise<void>((resolve) => (drainedNow = resolve));
  return {
    nodeId,
    roles,
    pool,
    events,
    buckets,
    mappingShards,
    membership: view,
    tokens,
    get leader() {
      return leader;
    },
    leaderDirectory,
    draining: () => membership?.state === 'draining',
    drained,
    placeProvisioned(p) {
      if (!allocations) return undefined;
      placement = new ProvisionedPlacement({ ...p, membership: view, clock: deps.clock, allocations, log: deps.log });
      return placement;
    },
    remoteInvoker(functions) {
      const r = new RemoteInvoker({
        membership: view,
        clock: deps.clock,
        ...tls,
        routeOf: routeKeyFromReadModel(functions, config.region),
        // Blind once the view is older than a lease: the database is unreachable from here.
        blind: () => membership !== undefined && membership.viewAgeMs() > LEASE_MS,
      });
      invokers.push(r);
      return r;
    },
    async start(opts) {
      let address = opts.apiAddress ?? `${advertise}:0`;
      if (roles.has('worker')) {
        if (!opts.workerInvoker) throw new Error('a worker node needs its local invoker');
        worker = new WorkerRpcServer({
          ...tls,
          invoker: opts.workerInvoker,
          capacity: config.workerCapacity ?? config.concurrencyLimit,
          epoch: () => membership?.epoch ?? 0,
          // Fenced when the lease may have lapsed, and while draining: no new work either way.
          fenced: () => membership === undefined || membership.fenced() || membership.state === 'draining',
          mayServeBlind: () => membership !== undefined && membership.state !== 'draining',
          ...(opts.idleEnvironments ? { idleEnvironments: opts.idleEnvironments } : {}),
          log: (m) => deps.log(`flint: worker: ${m}`),
        });
        const a = await worker.listen(config.internalPort, config.host === '127.0.0.1' ? '127.0.0.1' : config.host);
        address = `${advertise}:${a.port}`;
      }
      membership = await Membership.start({ pool, clock: deps.clock, id: nodeId, roles: [...roles], address, ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}), capacity: roles.has('worker') ? (config.workerCapacity ?? config.concurrencyLimit) : 0 });
      membership.onFence(() => deps.log(`flint: cluster: lease not renewed in time — this node takes no new work until it is (self-fenced)`));
      membership.onUnfence(() => deps.log(`flint: cluster: lease renewed (epoch ${membership?.epoch}); taking work again`));
      if (roles.has('api')) {
        leader = await LeaderLease.start({ pool, clock: deps.clock, holder: nodeId });
        leader.onElected((term) => { deps.log(`flint: cluster: this node leads (term ${term})`); opts.onLeader?.(term); });
        leader.onDeposed((term) => { deps.log(`flint: cluster: leadership of term ${term} ended`); opts.onLeader?.(undefined); });
        if (leader.isLeader()) opts.onLeader?.(leader.term);
        // Reaping and pruning, on the leader only, fenced by its term (src/cluster/cluster-housekeeping.ts).
        const lead = leader;
        housekeeping = new ClusterHousekeeping({ leader: lead, clock: deps.clock, pruneEvents: (db) => events.prune(db), log: deps.log });
        housekeeping.start();
      }
      if (worker) {
        placement?.start(1000);
        const w = worker;
        const m = membership;
        drain = new WorkerDrain({ membership: m, clock: deps.clock, holding: () => placement?.holding() ?? 0, busy: () => w.busy, onDrained: drainedNow, log: deps.log });
        drain.start(500);
      }
      await leaderDirectory.start();
      await buckets?.start();
      await mappingShards?.start();
      events.start(100);
      deps.log(`flint: cluster: node ${nodeId} joined as ${[...roles].join('+')} (epoch ${membership.epoch}, internal ${address})`);
    },
    async stop() {
      housekeeping?.stop();
      leaderDirectory.stop();
      drain?.stop();
      placement?.stop();
      await buckets?.stop();
      await mappingShards?.stop().catch(() => undefined);
      // Off the routes first, so no new invocation arrives while the running ones finish.
      await membership?.drain().catch(() => undefined);
      await worker?.close();
      for (const r of invokers) r.close();
      await leader?.stop({ resign: true }).catch(() => undefined);
      await membership?.leave().catch(() => undefined);
      membership?.stop();
      await events.close();
    },
    async end() {
      await pool.end();
    },
  };
}
