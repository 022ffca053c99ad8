import type { Timer, TimerClock } from '../ports/clock.js';
import type { ClusterMember, ClusterMembership } from '../ports/cluster-membership.js';
import type { ProvisionedConfig } from '../invoke/provisioner.js';
import { rendezvousOrder } from './rendezvous.js';
import type { ProvisionedAllocations } from './provisioned-allocations.js';

type Status = 'READY' | 'IN_PROGRESS' | 'FAILED';

/**
 * The routing key of a provisioned config: the version its qualifier leads to, as the api nodes'
 * RemoteInvoker routes (route-key.ts: an alias routes by its version), so the invocations of a
 * version meet the environments provisioned for it.
 */
export function provisionedRouteKey(c: Pick<ProvisionedConfig, 'functionName' | 'version'>): string {
  return `${c.functionName}:${c.version}`;
}

/**
 * The one worker that provisions a config: the first in rendezvous order over the *active* workers
 * with a live lease — the same order the RemoteInvoker tries for the key, so its first candidate
 * holds the provisioned environments. Draining and dead workers are left out, so the next worker in
 * the order takes the config over when its owner drains or dies. Undefined with no active worker.
 *
 * (One worker per config, not a split of large allocations over the first k workers: a worker's
 * capacity bounds a config's count. Splitting would need the RemoteInvoker to spread by the same
 * shares; its bounded-load spill already sends overflow to the next candidates as on-demand.)
 */
export function provisionedOwner(routeKey: string, members: readonly ClusterMember[], now: number): string | undefined {
  const active = members.filter((m) => m.state === 'active' && m.roles.includes('worker') && m.leaseExpiresAt > now);
  return rendezvousOrder(routeKey, active, (m) => m.id)[0]?.id;
}

export interface ProvisionedPlacementOptions {
  membership: ClusterMembership;
  clock: TimerClock;
  allocations: ProvisionedAllocations;
  /** Every stored provisioned config (ProvisionedConcurrencyService.configs), unfiltered. */
  configs(): ProvisionedConfig[];
  /** Has the local provisioner bring a config to what `placed` says now (Provisioner.sync). */
  resync(functionName: string, qualifier: string): void;
  /** How long a worker giving a config up waits for the new owner's full count (default 2 min). */
  handoffTimeoutMs?: number;
  log?(line: string): void;
}

interface Held {
  version: string;
  /** Set while handing the config to another worker: its id and since when (clock ms). */
  releasingTo?: string;
  since?: number;
}

/**
 * This worker's share of the cluster's provisioned concurrency. The provisioner provisions only what
 * `placed` admits; `tick` (every heartbeat) re-evaluates ownership when membership changes: a config
 * newly owned is provisioned here, one owned by another worker now is *released* only once the new
 * owner reports its full count (or failed, or the handoff timed out), so a drain or a join never
 * lowers provisioned concurrency below its target. Only the owner writes the config's status
 * (`report`): a releasing worker's count would double-report the same config.
 */
export class ProvisionedPlacement {
  readonly #o: ProvisionedPlacementOptions;
  readonly #held = new Map<string, Held>();
  #timer: Timer | undefined;
  #ticking = false;

  constructor(o: ProvisionedPlacementOptions) {
    this.#o = o;
  }

  /** True when this worker is the config's owner now. */
  owns(c: Pick<ProvisionedConfig, 'functionName' | 'version'>): boolean {
    return provisionedOwner(provisionedRouteKey(c), this.#o.membership.members(), this.#o.clock.now()) === this.#o.membership.self;
  }

  /**
   * True when this worker's provisioner should keep the config's environments: owned, or held from
   * before a membership change until `tick` has handed it off (never dropped between two passes).
   */
  placed(c: ProvisionedConfig): boolean {
    const k = key(c.functionName, c.qualifier);
    if (this.owns(c)) {
      // Held from the moment the provisioner is told to keep it, not from the next `tick`: a drain
      // that came between the two counted nothing to hand off, and the worker stopped with the
      // config's only environments (the cluster drain test caught provisioned concurrency at 0).
      if (this.#held.get(k)?.version !== c.version) this.#held.set(k, { version: c.version });
      return true;
    }
    return this.#held.get(k)?.version === c.version;
  }

  /** Configs this worker still holds environments for (owned or releasing): a drain ends at 0. */
  holding(): number {
    return this.#held.size;
  }

  /**
   * The provisioner's report for a config: written to the function's status (`write`) only by its
   * owner, and to the allocations table (the handoff's evidence) by the owner too.
   */
  report(functionName: string, qualifier: string, allocated: number, status: Status, reason: string | undefined, write: (allocated: number, status: Status, reason?: string) => void): void {
    const c = this.#o.configs().find((x) => x.functionName === functionName && x.qualifier === qualifier);
    if (!c || !this.owns(c)) return;
    write(allocated, status, reason);
    this.#o.allocations
      .report(functionName, qualifier, { nodeId: this.#o.membership.self, version: c.version, allocated, requested: c.RequestedProvisionedConcurrentExecutions, status })
      .catch((err: unknown) => this.#o.log?.(`flint: provisioned placement: recording ${functionName}:${qualifier} failed: ${String(err)}`));
  }

  start(intervalMs = 1000): void {
    this.#timer = this.#o.clock.setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** One pass: take up newly owned configs, start handing off lost ones, release finished handoffs. */
  async tick(): Promise<void> {
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      await this.#tick();
    } catch (err) {
      this.#o.log?.(`flint: provisioned placement pass failed (retrying): ${String(err)}`);
    } finally {
      this.#ticking = false;
    }
  }

  async #tick(): Promise<void> {
    const now = this.#o.clock.now();
    const members = this.#o.membership.members();
    const self = this.#o.membership.self;
    const configs = this.#o.configs();
    const present = new Set<string>();
    for (const c of configs) {
      const k = key(c.functionName, c.qualifier);
      present.add(k);
      const owner = provisionedOwner(provisionedRouteKey(c), members, now);
      const h = this.#held.get(k);
      if (owner === self) {
        if (!h || h.releasingTo !== undefined || h.version !== c.version) {
          this.#held.set(k, { version: c.version });
          this.#o.log?.(`flint: provisioned placement: ${c.functionName}:${c.qualifier} (version ${c.version}) is placed here`);
          this.#o.resync(c.functionName, c.qualifier);
        }
        continue;
      }
      if (!h) continue;
      if (h.version !== c.version) {
        // An alias moved to another version: its environments restart anyway, nothing to hand off.
        this.#held.delete(k);
        this.#o.resync(c.functionName, c.qualifier);
        continue;
      }
      if (owner === undefined) continue; // nobody to hand it to: keep it
      if (h.releasingTo !== owner) {
        this.#held.set(k, { version: h.version, releasingTo: owner, since: now });
        this.#o.log?.(`flint: provisioned placement: handing ${c.functionName}:${c.qualifier} to ${owner}; environments stay here until it reports them ready`);
        continue;
      }
      const theirs = await this.#o.allocations.read(c.functionName, c.qualifier, owner);
      const done = theirs !== undefined && theirs.version === c.version && (theirs.allocated >= c.RequestedProvisionedConcurrentExecutions || theirs.status === 'FAILED');
      const late = now - (h.since ?? now) >= (this.#o.handoffTimeoutMs ?? 120_000);
      if (!done && !late) continue;
      if (late && !done) this.#o.log?.(`flint: provisioned placement: ${owner} did not report ${c.functionName}:${c.qualifier} ready in time; releasing it anyway`);
      this.#held.delete(k);
      this.#o.resync(c.functionName, c.qualifier);
      await this.#o.allocations.forget(c.functionName, c.qualifier, self).catch(() => undefined);
    }
    // Deleted configs: the provisioner retired them on the event already.
    for (const k of [...this.#held.keys()]) if (!present.has(k)) this.#held.delete(k);
  }
}

function key(functionName: string, qualifier: string): string {
  return `${functionName}\u0000${qualifier}`;
}
