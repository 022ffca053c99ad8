import type { Clock } from '../ports/clock.js';
import type { ClusterMember, ClusterMembership } from '../ports/cluster-membership.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../ports/invoker.js';
import { ServiceException, TooManyRequestsException } from '../domain/errors.js';
import { rendezvousOrder } from './rendezvous.js';
import { callWorker, type CallOutcome } from './worker-call.js';
import { WorkerSessions, type SessionLiveness } from './worker-sessions.js';

export interface RemoteInvokerOptions {
  membership: ClusterMembership;
  clock: Clock;
  /** This node's key and certificate (issued by the cluster CA), and the CA that signs the workers': PEMs. */
  key: string;
  cert: string;
  ca: string;
  /**
   * The routing key of an invocation: `function:version`, the version the qualifier resolves to
   * (an alias routes by its version, so its invocations meet the version's warm environments).
   * See routeKeyFromReadModel.
   */
  routeOf(functionName: string, qualifier: string | undefined, version?: string): string;
  /**
   * True while this node's membership view is stale (PostgreSQL unreachable from here): workers
   * are then taken as last seen, and told so, so a fenced worker still serves warm invocations.
   */
  blind?(): boolean;
  /** How long a worker is tried last after a connection error (the circuit breaker), default 5 s (one lease period). */
  suspectMs?: number;
  /** How long a new connection may take before the worker counts as unreachable, default 2 s. */
  connectTimeoutMs?: number;
  /** HTTP/2 PING checks of each worker session (default every 5 s, gone after 15 s without a reply). */
  liveness?: SessionLiveness;
}

/** Lambda's 429 when no capacity is left: what a refused concurrency lease gives on one node (concurrency-leases.ts). */
function noCapacity(): InstanceType<typeof TooManyRequestsException> {
  return new TooManyRequestsException('Rate Exceeded.', { fields: { Reason: 'ConcurrentInvocationLimitExceeded' }, headers: { 'retry-after': '1' } });
}

/**
 * The Invoker of api and poller nodes in cluster mode: runs each invocation on a worker, chosen
 * by rendezvous hashing of `function:version` over the active workers (so a version's invocations
 * meet its warm environments on the same worker), sent as a stream of a kept-open mutual-TLS HTTP/2 session
 * carrying the worker's epoch. The worker decides admission; on WorkerFull the next candidate is
 * asked (bounded-load spill), and once every candidate refused, the caller gets the throttle
 * single-node Flint gives. A worker that cannot be reached is skipped, and tried last for a while
 * (circuit breaker); a worker lost after the request could have reached it fails the invocation
 * with a service error — a sync invoke is never run twice behind the caller's back (CLUSTER.md).
 */
export class RemoteInvoker implements Invoker {
  readonly #o: RemoteInvokerOptions;
  readonly #sessions: WorkerSessions;
  /** Worker id → until when (clock ms) it is tried last. */
  readonly #suspect = new Map<string, number>();
  /** Routing key → invocations this node has running → per worker id. */
  readonly #running = new Map<string, Map<string, number>>();

  constructor(opts: RemoteInvokerOptions) {
    this.#o = opts;
    this.#sessions = new WorkerSessions({ key: opts.key, cert: opts.cert, ca: opts.ca }, opts.connectTimeoutMs ?? 2000, opts.liveness);
  }

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const route = this.#o.routeOf(req.functionName, req.qualifier, req.version);
    const candidates = this.candidates(route);
    if (candidates.length === 0) throw new ServiceException('No worker is available to run the invocation.');
    let refusals = 0;
    for (const w of candidates) {
      const outcome = await this.#call(w, req, route);
      switch (outcome.kind) {
        case 'result':
          return outcome.result;
        case 'error':
          throw outcome.error;
        case 'refused':
          // A fenced worker will not serve until it re-registers; a stale epoch means our view is behind.
          if (outcome.reason === 'Fenced') this.#markSuspect(w.id);
          if (outcome.reason === 'WorkerFull') refusals++;
          continue;
        case 'unreachable':
          this.#markSuspect(w.id);
          continue;
        case 'lost':
          this.#markSuspect(w.id);
          throw new ServiceException(`The worker running the invocation failed before it answered (${outcome.cause.message}).`);
      }
    }
    if (refusals > 0) throw noCapacity();
    throw new ServiceException('No worker could be reached to run the invocation.');
  }

  /**
   * The workers to try for a routing key, in order: rendezvous order over the active workers, the
   * first attempt taken among the first k, where k grows with the invocations of the key this node
   * has running (enough workers that their capacity covers them), so a hot version spreads over
   * several workers instead of spilling from the same first one every time; suspects go last.
   */
  candidates(route: string): ClusterMember[] {
    const now = this.#o.clock.now();
    // Blind (static stability): leases cannot be judged without the database; the last view stands.
    const blind = this.#o.blind?.() === true;
    const live = this.#o.membership.members().filter((m) => m.state === 'active' && m.roles.includes('worker') && (blind || m.leaseExpiresAt > now));
    const ordered = rendezvousOrder(route, live, (m) => m.id);
    const healthy = ordered.filter((m) => !this.#isSuspect(m.id, now));
    const suspects = ordered.filter((m) => this.#isSuspect(m.id, now));
    const running = this.#running.get(route);
    if (running && healthy.length > 1) {
      const total = [...running.values()].reduce((a, b) => a + b, 0);
      let k = 0;
      for (let covered = 0; k < healthy.length && covered <= total; k++) covered += healthy[k]!.capacity;
      // Once it spilled, the version runs on several workers: new invocations go to the least loaded of them.
      k = Math.min(healthy.length, Math.max(k, running.size));
      let best = 0;
      for (let i = 1; i < k; i++) if ((running.get(healthy[i]!.id) ?? 0) < (running.get(healthy[best]!.id) ?? 0)) best = i;
      if (best > 0) healthy.unshift(...healthy.splice(best, 1));
    }
    return [...healthy, ...suspects];
  }

  /** Ends the kept connections (node shutdown). */
  close(): void {
    this.#sessions.close();
  }

  async #call(w: ClusterMember, req: InvokeRequest, route: string): Promise<CallOutcome> {
    let byWorker = this.#running.get(route);
    if (!byWorker) this.#running.set(route, (byWorker = new Map()));
    byWorker.set(w.id, (byWorker.get(w.id) ?? 0) + 1);
    try {
      return await callWorker(this.#sessions, { address: w.address, epoch: w.epoch, blind: this.#o.blind?.() === true }, req, route);
    } finally {
      const left = (byWorker.get(w.id) ?? 1) - 1;
      if (left > 0) byWorker.set(w.id, left);
      else byWorker.delete(w.id);
      if (byWorker.size === 0 && this.#running.get(route) === byWorker) this.#running.delete(route);
    }
  }

  #markSuspect(id: string): void {
    this.#suspect.set(id, this.#o.clock.now() + (this.#o.suspectMs ?? 5000));
  }

  #isSuspect(id: string, now: number): boolean {
    const until = this.#suspect.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#suspect.delete(id);
    return false;
  }
}
