import type { Timer, TimerClock } from '../ports/clock.js';
import type { ClusterMembership } from '../ports/cluster-membership.js';

export interface WorkerDrainOptions {
  /** This worker's membership: its view (own row's state), and `drain()` to take the state on locally. */
  membership: ClusterMembership & { readonly state: 'active' | 'draining'; drain(): Promise<void> };
  clock: TimerClock;
  /** Provisioned configs this worker still holds environments for (ProvisionedPlacement.holding). */
  holding(): number;
  /** Invocations running here (WorkerRpcServer.busy). */
  busy(): number;
  /** Called once, when the drain is complete: the node stops. */
  onDrained(): void;
  /**
   * How long a drain waits at most for handoffs and in-flight work (default 16 min: Lambda's
   * longest timeout, 15 min, plus a margin), after which the node stops anyway and says so.
   */
  maxWaitMs?: number;
  log?(line: string): void;
}

/**
 * Acts on `flint worker drain` (drain-request.ts sets the members row to `draining`; this worker
 * sees it in its membership view on the next heartbeat), in the order CLUSTER.md gives: (1) no new
 * work — the local state goes to draining, which fences the worker's admission, and routers skip
 * non-active members; (2) provisioned environments move first — the placement no longer counts this
 * worker as active, so the next worker in rendezvous order provisions each config, and this one
 * releases it once the new owner reports the full count; (3) in-flight invocations finish; (4) the
 * node stops (`onDrained`). Like Lambda retiring a worker host: its environments are replaced
 * elsewhere before the host leaves, and running invocations are not cut short.
 */
export class WorkerDrain {
  readonly #o: WorkerDrainOptions;
  #timer: Timer | undefined;
  #since: number | undefined;
  #done = false;
  #ticking = false;

  constructor(o: WorkerDrainOptions) {
    this.#o = o;
  }

  /** True once the drain began (seen in the members table or started locally). */
  get draining(): boolean {
    return this.#since !== undefined;
  }

  start(intervalMs = 1000): void {
    this.#timer = this.#o.clock.setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) this.#o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** One check: notices a drain request, then completes the drain when nothing is left here. */
  async tick(): Promise<void> {
    if (this.#done || this.#ticking) return;
    this.#ticking = true;
    try {
      const m = this.#o.membership;
      if (this.#since === undefined) {
        const mine = m.members().find((x) => x.id === m.self);
        if (mine?.state !== 'draining' && m.state !== 'draining') return;
        this.#since = this.#o.clock.monotonic();
        // Local state too: admission fences, and a re-registration keeps the row draining.
        await m.drain().catch((err: unknown) => this.#o.log?.(`flint: drain: recording the state failed (retrying with the heartbeat): ${String(err)}`));
        this.#o.log?.(`flint: worker draining: no new work; moving ${this.#o.holding()} provisioned config(s); ${this.#o.busy()} invocation(s) in flight`);
      }
      const holding = this.#o.holding();
      const busy = this.#o.busy();
      const late = this.#o.clock.monotonic() - this.#since >= (this.#o.maxWaitMs ?? 16 * 60_000);
      if ((holding > 0 || busy > 0) && !late) return;
      this.#done = true;
      this.stop();
      this.#o.log?.(late && (holding > 0 || busy > 0)
        ? `flint: worker drain timed out with ${holding} provisioned config(s) not handed off and ${busy} invocation(s) running; stopping`
        : 'flint: worker drained: provisioned environments moved, in-flight invocations finished; stopping');
      this.#o.onDrained();
    } finally {
      this.#ticking = false;
    }
  }
}
