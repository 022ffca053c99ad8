import type { Clock } from '../ports/clock.js';
import type { Invoker } from '../ports/invoker.js';
import type { MessageQueues } from '../ports/message-queues.js';
import type { MessageBrokers } from '../ports/message-brokers.js';
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
}

type Poller = SqsPoller | RabbitMqPoller;

/**
 * Runs the pollers of every enabled mapping and carries out the control plane's state changes:
 * after a create, update or enable the mapping's pollers (re)start and its state settles to
 * Enabled; after a disable they stop (in-flight batches finish) and it settles to Disabled; after
 * a delete they stop and the mapping is removed. Changes to one mapping are applied in order.
 */
export class EventSourcePollers {
  readonly #deps: EventSourcePollersDeps;
  readonly #pollers = new Map<string, Poller>();
  readonly #queues = new Map<string, Promise<void>>();
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

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#queues.values()]);
    await Promise.all([...this.#pollers.values()].map((p) => p.stop()));
    this.#pollers.clear();
  }

  async #reconcile(uuid: string): Promise<void> {
    const service = this.#deps.mappings();
    const existing = this.#pollers.get(uuid);
    if (existing) {
      this.#pollers.delete(uuid);
      await existing.stop();
    }
    const rec = service.record(uuid);
    if (!rec) return;
    if (rec.State === 'Deleting') {
      service.remove(uuid);
      return;
    }
    if (rec.flint.enabled && !this.#stopped) {
      const poller = this.#create(rec);
      this.#pollers.set(uuid, poller);
      poller.start();
    }
    service.settle(uuid);
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
