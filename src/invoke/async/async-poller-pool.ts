import type { Clock } from '../../ports/clock.js';
import type { EventQueue, EventQueueStats, LeasedEvent } from '../../ports/event-queue.js';
import type { AsyncEventHandler, AsyncLog, HandleOutcome } from './async-event-handler.js';
import { DeliveryLimit, type DeliveryLimitSettings } from './delivery-limit.js';
import type { CpuSignals } from '../../ports/cpu-signals.js';
import { DEFAULT_HOST_AWARE, isSaturated } from '../host-aware-placement.js';

export interface AsyncPollerOptions {
  /** Number of pollers (config.asyncPollers); 0 runs none (an enqueue-only process). */
  pollers: number;
  /** Events each poller keeps in flight at most; the pool runs pollers × batchSize invocations at once. */
  batchSize: number;
  /**
   * Lease length. Heartbeats extend held leases every third of it, so an invocation may run longer
   * than this; only a dead server stops extending, and its events come back this long after.
   */
  visibilityMs: number;
  /** Longest idle sleep: a safety net for events written by another process sharing the store. */
  idlePollMs: number;
  /** How long stop() waits for running invocations before leaving their leases to expire. */
  stopGraceMs: number;
  /**
   * Enqueue burst: while events are accepted faster than this (per second, over 100 ms windows),
   * each poller keeps at most `burstBatchSize` events in flight, so the API side keeps the CPU for
   * accepting them. Deliveries continue meanwhile (never fewer than one per poller), and the full
   * batch size returns with the first window below the rate. Absent: never throttled.
   */
  burstRatePerSec?: number;
  burstBatchSize?: number;
  /**
   * During a burst, the whole pool keeps at most this many events in flight (never fewer than
   * one, so deliveries continue): each delivery costs the server's core an invocation on the
   * sync path plus the function's own run, which the API side would rather spend accepting.
   * Absent: only the per-poller `burstBatchSize` applies.
   */
  burstInFlight?: number;
  /**
   * Deliveries in flight adapted to the host (delivery-limit.ts): fewer when they only queue for
   * the CPUs, up to pollers × batchSize when they wait on I/O. Absent: always pollers × batchSize
   * (Lambda's pollers, which assume a free CPU per environment).
   */
  adaptive?: Omit<DeliveryLimitSettings, 'max' | 'initial'>;
}

/** Length of the window enqueue bursts are measured over. */
const BURST_WINDOW_MS = 100;
/** During a burst, idle pollers are woken at most this often (each enqueue would wake them all). */
const BURST_WAKE_INTERVAL_MS = 5;

export interface AsyncQueueMetrics extends EventQueueStats {
  /** Invocations this process is running now. */
  running: number;
  /** Deliveries the pollers may keep in flight now (adaptive: see delivery-limit.ts). */
  deliveryLimit: number;
  succeeded: number;
  retried: number;
  dropped: number;
  discarded: number;
  leaseLost: number;
}

/**
 * The pollers of the async queue: each leases events up to its share of slots, hands each to the
 * AsyncEventHandler, and leases more as slots free up. Idle pollers sleep until the next event is
 * due, an enqueue wakes them, or idlePollMs passes.
 */
export class AsyncPollerPool {
  readonly #queue: EventQueue;
  readonly #handler: AsyncEventHandler;
  readonly #clock: Clock;
  readonly #log: AsyncLog;
  readonly #opts: AsyncPollerOptions;
  /** Leases held (running, or their outcome being written): their leases are extended. */
  readonly #held = new Map<string, LeasedEvent>();
  /** Of those, the ones whose function is running: what the limits count. */
  readonly #invoking = new Set<string>();
  readonly #running = new Set<Promise<void>>();
  readonly #loops: Array<Promise<void>> = [];
  readonly #signal = new Signal();
  readonly #counters = { succeeded: 0, retried: 0, dropped: 0, discarded: 0, leaseLost: 0 };
  #started = false;
  #stopping = false;
  #heartbeat: NodeJS.Timeout | undefined;
  /** Enqueues counted in the current window, and when it started (clock.monotonic). */
  #windowCount = 0;
  #windowStart = 0;
  /** Until when (clock.monotonic) the pollers run at the burst batch size. */
  #burstUntil = -Infinity;
  #lastWake = -Infinity;
  #trailingWake: NodeJS.Timeout | undefined;
  /** Slots pollers have asked the queue for and not yet received (counted against burstInFlight). */
  #leasing = 0;
  /** Deliveries in flight at most: pollers × batchSize (Lambda's pollers; the adaptive limit's ceiling). */
  readonly #maxInFlight: number;
  readonly #limit: DeliveryLimit | undefined;
  readonly #cpu: CpuSignals | undefined;

  /**
   * `cpu`: the host's CPU signal, which the adaptive limit needs to come down (saturated CPUs
   * confirm that deliveries queue for them); without it the limit never comes down.
   */
  constructor(deps: { queue: EventQueue; handler: AsyncEventHandler; clock: Clock; log: AsyncLog; options: AsyncPollerOptions; cpu?: CpuSignals }) {
    this.#queue = deps.queue;
    this.#handler = deps.handler;
    this.#clock = deps.clock;
    this.#log = deps.log;
    this.#opts = deps.options;
    this.#cpu = deps.cpu;
    this.#maxInFlight = deps.options.pollers * deps.options.batchSize;
    const max = Math.max(1, this.#maxInFlight);
    this.#limit = deps.options.adaptive ? new DeliveryLimit({ ...deps.options.adaptive, max, initial: max }) : undefined;
  }

  readonly #contended = (): boolean => {
    const s = this.#cpu?.read();
    return s !== undefined && isSaturated(s, DEFAULT_HOST_AWARE);
  };

  /** Deliveries the pollers may keep in flight now (pollers × batchSize unless adaptive). */
  get deliveryLimit(): number {
    return this.#limit?.value ?? this.#maxInFlight;
  }

  /** With `pollers: 0` nothing is started: the process only enqueues (another one drains the queue). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    if (this.#opts.pollers <= 0) {
      this.#log('info', 'async: no pollers configured; accepted events wait for a server that runs pollers');
      return;
    }
    for (let i = 0; i < this.#opts.pollers; i++) this.#loops.push(this.#poll());
    this.#heartbeat = setInterval(() => void this.#extendLeases(), Math.max(50, Math.floor(this.#opts.visibilityMs / 3)));
    this.#heartbeat.unref();
  }

  /** New work may be waiting (called after each enqueue). */
  wake(): void {
    const now = this.#clock.monotonic();
    const rate = this.#opts.burstRatePerSec;
    if (rate !== undefined) {
      if (now - this.#windowStart >= BURST_WINDOW_MS) {
        this.#windowStart = now;
        this.#windowCount = 0;
      }
      // Over the rate within this window: a burst until the end of the next one.
      if (++this.#windowCount > (rate * BURST_WINDOW_MS) / 1000) this.#burstUntil = this.#windowStart + 2 * BURST_WINDOW_MS;
      if (now < this.#burstUntil && now - this.#lastWake < BURST_WAKE_INTERVAL_MS) {
        // Skipped, but not lost: a poller that just went idle hears of it within the interval.
        this.#trailingWake ??= setTimeout(() => {
          this.#trailingWake = undefined;
          this.#lastWake = this.#clock.monotonic();
          this.#signal.notify();
        }, BURST_WAKE_INTERVAL_MS).unref();
        return;
      }
    }
    this.#lastWake = now;
    this.#signal.notify();
  }

  /** Events a poller holding `mine` may lease now. */
  #room(mine: number): number {
    // The adaptive limit bounds the whole pool: what the others hold counts against it too.
    const adaptive = this.#limit ? this.#limit.value - this.#invoking.size - this.#leasing : Number.POSITIVE_INFINITY;
    return Math.min(adaptive, this.#burstRoom(mine));
  }

  #burstRoom(mine: number): number {
    if (this.#clock.monotonic() >= this.#burstUntil) return this.#opts.batchSize - mine;
    const burst = this.#opts.burstBatchSize;
    const perPoller = (burst === undefined ? this.#opts.batchSize : Math.max(1, Math.min(burst, this.#opts.batchSize))) - mine;
    const total = this.#opts.burstInFlight;
    if (total === undefined) return perPoller;
    return Math.min(perPoller, Math.max(1, total) - this.#invoking.size - this.#leasing);
  }

  async metrics(): Promise<AsyncQueueMetrics> {
    return { ...(await this.#queue.stats()), running: this.#held.size, deliveryLimit: this.deliveryLimit, ...this.#counters };
  }

  /** Stops leasing, waits up to stopGraceMs for running invocations; unfinished ones are re-delivered later. */
  async stop(): Promise<void> {
    if (!this.#started || this.#stopping) return;
    this.#stopping = true;
    this.#signal.notify();
    await Promise.all(this.#loops);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((r) => { timer = setTimeout(r, this.#opts.stopGraceMs); });
    await Promise.race([Promise.allSettled([...this.#running]), grace]);
    clearTimeout(timer);
    clearInterval(this.#heartbeat);
    clearTimeout(this.#trailingWake);
    if (this.#held.size > 0) this.#log('info', `async: stopping with ${this.#held.size} event(s) still running; they will be delivered again after restart`);
  }

  async #poll(): Promise<void> {
    const mine = new Set<string>();
    while (!this.#stopping) {
      const gen = this.#signal.generation;
      const room = this.#room(mine.size);
      // A poller still busy with half its batch or more waits for more room before leasing again:
      // a lease is a write transaction, and leasing each freed slot alone made one per delivery.
      // (Half of what it could hold: the batch size, or less under an adaptive limit.)
      const batch = Math.min(this.#opts.batchSize, this.deliveryLimit);
      const free = mine.size > 0 && room < Math.ceil(batch / 2) && this.#clock.monotonic() >= this.#burstUntil ? 0 : room;
      if (free > 0) {
        let leases: LeasedEvent[] = [];
        // Reserved while the lease is under way, so pollers leasing at once respect burstInFlight.
        this.#leasing += free;
        try {
          leases = await this.#queue.lease({ max: free, visibilityMs: this.#opts.visibilityMs });
        } catch (err) {
          if (this.#stopping) break;
          this.#log('error', `async: leasing failed: ${(err as Error)?.stack ?? String(err)}`);
        } finally {
          this.#leasing -= free;
        }
        for (const lease of leases) this.#run(lease, mine);
        if (leases.length > 0) continue;
      }
      await this.#signal.wait(await this.#idleDelay(free > 0), gen);
    }
  }

  /** Sleep until the next event is due (when there is room for it), bounded by idlePollMs. */
  async #idleDelay(hasRoom: boolean): Promise<number> {
    if (!hasRoom) return this.#opts.idlePollMs;
    let next: number | undefined;
    try {
      next = await this.#queue.nextVisibleAt();
    } catch {
      next = undefined;
    }
    if (next === undefined) return this.#opts.idlePollMs;
    return Math.min(this.#opts.idlePollMs, Math.max(2, next - this.#clock.now()));
  }

  #run(lease: LeasedEvent, mine: Set<string>): void {
    const id = lease.event.requestId;
    mine.add(id);
    this.#held.set(id, lease);
    this.#invoking.add(id);
    const began = this.#clock.monotonic();
    // The slot frees when the function returns; the outcome's write then settles on its own (the
    // queue may hold an ack back to commit it with the lease that refills this slot).
    const invoked = (): void => {
      if (!this.#invoking.has(id)) return;
      this.#limit?.observe(this.#clock.monotonic() - began, this.#invoking.size, this.#contended);
      this.#invoking.delete(id);
      mine.delete(id);
      this.#signal.notify();
    };
    const p: Promise<void> = this.#handler
      .handle(lease, invoked)
      .then((o) => this.#count(o))
      .catch((err: unknown) => {
        // The lease is left to expire: the event is delivered again (at-least-once).
        if (!this.#stopping) this.#log('error', `async ${id}: not finished, will be delivered again: ${(err as Error)?.stack ?? String(err)}`);
      })
      .finally(() => {
        invoked(); // A handler that failed before its invocation ended, or never said.
        this.#held.delete(id);
        this.#running.delete(p);
        this.#signal.notify();
      });
    this.#running.add(p);
  }

  #count(o: HandleOutcome): void {
    if (o === 'lease-lost') this.#counters.leaseLost++;
    else this.#counters[o]++;
  }

  async #extendLeases(): Promise<void> {
    if (this.#held.size === 0) return;
    try {
      await this.#queue.extend([...this.#held.values()], this.#opts.visibilityMs);
    } catch (err) {
      if (!this.#stopping) this.#log('warn', `async: extending leases failed: ${String(err)}`);
    }
  }
}

/**
 * Wakes every waiter at once; a waiter also wakes after its own timeout. A waiter that passes the
 * generation it saw before looking for work returns at once if a notify came in between.
 */
class Signal {
  #waiters = new Set<() => void>();
  generation = 0;

  wait(ms: number, sinceGeneration?: number): Promise<void> {
    if (sinceGeneration !== undefined && sinceGeneration !== this.generation) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  notify(): void {
    this.generation++;
    for (const w of [...this.#waiters]) w();
  }
}
