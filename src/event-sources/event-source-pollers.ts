import type { Clock } from '../ports/clock.js';
import type { Invoker } from '../ports/invoker.js';
import type { MessageQueues } from '../ports/message-queues.js';
import type { MessageBrokers } from '../ports/message-brokers.js';
import type { MappingOwnership } from '../ports/mapping-leases.js';
import type { EventSourceMappingRecord } from '../domain/event-source-mapping.js';
import type { EventSourceMappingService } from './event-source-mapping-service.js';
import { SqsPoller, type SqsPollerTuning } from './sqs-poller.js';
import { RabbitMqPoller } from './rabbitmq-poller.js';

export interface EventSourcePollersDeps {
  mappings: () => EventSourceMappingService;
  queues: MessageQueues;
  brokers: MessageBrokers;
  invoker: Invoker;
  clock: Clock;
  region: string;
  reservedConcurrency(functionName: string): number | undefined;
  log(line: string): void;
  sqsTuning?: Partial<SqsPollerTuning>;
  rmqBackoff?: { initialMs: number; maxMs: number };
  /**
   * Cluster mode: which mappings this node runs (one poller node per mapping, src/cluster/
   * mapping-shards.ts). Absent on a single node, which runs them all.
   */
  ownership?: MappingOwnership;
}

type Poller = SqsPoller | RabbitMqPoller;

/**
 * Runs the pollers of every enabled mapping and carries out the control plane's state changes:
 * after a create, update or enable the mapping's pollers (re)start and its state settles to
 * Enabled; after a disable they stop (in-flight batches finish) and it settles to Disabled; after
 * a delete they stop and the mapping is removed. Changes to one mapping are applied in order.
 * In a cluster only the mappings `ownership` gives this node run here; `resync` follows its moves.
 */
export class EventSourcePollers {
  readonly #deps: EventSourcePollersDeps;
  readonly #pollers = new Map<string, Poller>();
  readonly #queues = new Map<string, Promise<void>>();
  /** LastModified of the record each running poller was started with (a change elsewhere restarts it). */
  readonly #startedWith = new Map<string, number>();
  #stopped = true;

  constructor(deps: EventSourcePollersDeps) {
    this.#deps = deps;
  }

  /** Starts the pollers of stored mappings (and finishes deletes a previous run left). */
  start(): void {
    this.#stopped = false;
    for (const m of this.#deps.mappings().all()) this.changed(m.UUID);
  }

  /** The control plane changed a mapping: reconcile its pollers after the response is sent. */
  changed(uuid: string): void {
    if (this.#stopped) return;
    const prev = this.#queues.get(uuid) ?? Promise.resolve();
    const next = prev.then(() => new Promise<void>((r) => setImmediate(r))).then(() => this.#reconcile(uuid)).catch((err: unknown) => {
      this.#deps.log(`flint: event source mapping ${uuid}: ${String(err)}`);
    });
    this.#queues.set(uuid, next);
    void next.finally(() => {
      if (this.#queues.get(uuid) === next) this.#queues.delete(uuid);
    });
  }

  /** The running poller of a mapping (tests look at scaling and connections). */
  poller(uuid: string): Poller | undefined {
    return this.#pollers.get(uuid);
  }

  /** UUIDs of the mappings whose pollers run on this node. */
  running(): string[] {
    return [...this.#pollers.keys()].sort();
  }

  /** True while a mapping's poller runs here or a change to it is being applied. */
  busy(uuid: string): boolean {
    return this.#pollers.has(uuid) || this.#queues.has(uuid);
  }

  /**
   * Cluster mode: brings the pollers in line with the ownership and with the stored mappings, which
   * other nodes change (the control plane's `changed` is heard only on the node that served it).
   * Pollers no longer owned stop first, without reading the store (a node cut off from the
   * database still stops what its lapsed leases covered); then owned mappings that need it are
   * reconciled: not running yet, changed since their poller started, or in a transitional state.
   */
  resync(): void {
    if (this.#stopped) return;
    const owns = (uuid: string) => this.#owns(uuid);
    for (const uuid of this.#pollers.keys()) if (!owns(uuid) && !this.#queues.has(uuid)) this.changed(uuid);
    let all: EventSourceMappingRecord[];
    try {
      all = this.#deps.mappings().all();
    } catch (err) {
      this.#deps.log(`flint: event source mappings not read: ${String(err)}`);
      return;
    }
    const present = new Set<string>();
    for (const rec of all) {
      present.add(rec.UUID);
      if (this.#queues.has(rec.UUID)) continue;
      const transitional = rec.State !== 'Enabled' && rec.State !== 'Disabled';
      const stale = this.#pollers.has(rec.UUID)
        ? !owns(rec.UUID) || !rec.flint.enabled || transitional || this.#startedWith.get(rec.UUID) !== rec.LastModified
        : owns(rec.UUID) && (rec.flint.enabled || transitional);
      if (stale) this.changed(rec.UUID);
    }
    for (const uuid of this.#pollers.keys()) if (!present.has(uuid) && !this.#queues.has(uuid)) this.changed(uuid);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#queues.values()]);
    await Promise.all([...this.#pollers.values()].map((p) => p.stop()));
    this.#pollers.clear();
    this.#startedWith.clear();
  }

  async #reconcile(uuid: string): Promise<void> {
    const service = this.#deps.mappings();
    const existing = this.#pollers.get(uuid);
    if (existing) {
      this.#pollers.delete(uuid);
      this.#startedWith.delete(uuid);
      await existing.stop();
    }
    // Not this node's (cluster): its owner starts, settles or removes it.
    if (!this.#owns(uuid)) return;
    const rec = service.record(uuid);
    if (!rec) return;
    if (rec.State === 'Deleting') {
      service.remove(uuid);
      return;
    }
    if (rec.flint.enabled && !this.#stopped) {
      const poller = this.#create(rec);
      this.#pollers.set(uuid, poller);
      this.#startedWith.set(uuid, rec.LastModified);
      poller.start();
    }
    service.settle(uuid);
  }

  #owns(uuid: string): boolean {
    return this.#deps.ownership?.owns(uuid) ?? true;
  }

  #create(rec: EventSourceMappingRecord): Poller {
    const service = this.#deps.mappings();
    const result = (text: string) => service.setLastProcessingResult(rec.UUID, text);
    if (rec.flint.kind === 'sqs') {
      return new SqsPoller(rec, {
        queues: this.#deps.queues,
        invoker: this.#deps.invoker,
        clock: this.#deps.clock,
        region: this.#deps.region,
        reservedConcurrency: this.#deps.reservedConcurrency,
        result,
        log: this.#deps.log,
        ...(this.#deps.sqsTuning ? { tuning: this.#deps.sqsTuning } : {}),
      });
    }
    return new RabbitMqPoller(rec, {
      brokers: this.#deps.brokers,
      invoker: this.#deps.invoker,
      result,
      log: this.#deps.log,
      ...(this.#deps.rmqBackoff ? { backoff: this.#deps.rmqBackoff } : {}),
    });
  }
}
