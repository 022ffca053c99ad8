import type { Invoker } from '../ports/invoker.js';
import type { BrokerMessage, BrokerSubscription, MessageBrokers } from '../ports/message-brokers.js';
import type { EventSourceMappingRecord } from '../domain/event-source-mapping.js';
import { EventFilter } from './event-filter.js';

export interface RabbitMqPollerDeps {
  brokers: MessageBrokers;
  invoker: Invoker;
  result(text: string): void;
  log(line: string): void;
  /** Reconnect and retry backoff bounds (tests shrink them). */
  backoff?: { initialMs: number; maxMs: number };
}

/**
 * The consumer of one enabled Amazon MQ (RabbitMQ) mapping: deliveries are gathered into a batch
 * (BatchSize, or the batching window — Lambda's default for MQ is 500 ms when the window is 0),
 * the function is invoked with Lambda's `aws:rmq` event, and the batch is acknowledged only after
 * success; a failed batch is nacked back to the queue and retried after a backoff. A lost
 * connection is re-established with exponential backoff; deliveries not yet acknowledged return to
 * the queue on the broker's side, so nothing acknowledged is lost and nothing unacknowledged is.
 */
export class RabbitMqPoller {
  readonly #m: EventSourceMappingRecord;
  readonly #deps: RabbitMqPollerDeps;
  readonly #filter: EventFilter | undefined;
  readonly #backoff: { initialMs: number; maxMs: number };
  readonly #queue: string;
  readonly #vhost: string;
  #sub: BrokerSubscription | undefined;
  #buffer: BrokerMessage[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #busy: Promise<void> = Promise.resolve();
  #inFlight = false;
  #stopped = false;
  #reconnectDelay: number;
  #retryDelay: number;
  #generation = 0;

  constructor(mapping: EventSourceMappingRecord, deps: RabbitMqPollerDeps) {
    this.#m = mapping;
    this.#deps = deps;
    this.#filter = EventFilter.parse(mapping.FilterCriteria?.Filters);
    this.#backoff = deps.backoff ?? { initialMs: 250, maxMs: 5_000 };
    this.#reconnectDelay = this.#backoff.initialMs;
    this.#retryDelay = this.#backoff.initialMs;
    this.#queue = mapping.Queues![0]!;
    const vhost = mapping.SourceAccessConfigurations?.find((c) => c.Type === 'VIRTUAL_HOST')?.URI;
    this.#vhost = deps.brokers.virtualHost(mapping.EventSourceArn, vhost);
  }

  /** Whether a broker connection is up (tests wait on it). */
  get connected(): boolean {
    return this.#sub !== undefined;
  }

  start(): void {
    void this.#connect();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#flushTimer);
    await this.#busy;
    // Buffered deliveries not yet sent to the function return to the queue with the connection.
    this.#buffer = [];
    await this.#sub?.close();
    this.#sub = undefined;
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const generation = ++this.#generation;
    try {
      const sub = await this.#deps.brokers.consume(this.#m.EventSourceArn, {
        queue: this.#queue,
        virtualHost: this.#vhost,
        // The broker sends at most a batch ahead: the rest stays in the queue for other consumers.
        prefetch: Math.min(this.#m.BatchSize, 65535),
        onMessage: (msg) => this.#onMessage(msg, generation),
        onClose: (err) => this.#lost(err, generation),
      });
      if (this.#stopped) {
        await sub.close();
        return;
      }
      this.#sub = sub;
      this.#reconnectDelay = this.#backoff.initialMs;
    } catch (err) {
      this.#deps.result(`PROBLEM: Connection error. ${(err as Error).message}`);
      this.#scheduleReconnect();
    }
  }

  #lost(err: Error, generation: number): void {
    if (this.#stopped || generation !== this.#generation) return;
    this.#deps.log(`flint: event source mapping ${this.#m.UUID}: broker connection lost (${err.message}); reconnecting`);
    this.#deps.result('PROBLEM: Connection error. The broker connection was lost.');
    this.#sub = undefined;
    // Unacknowledged deliveries are requeued by the broker with the connection.
    this.#buffer = [];
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#stopped) return;
    const delay = this.#reconnectDelay;
    this.#reconnectDelay = Math.min(this.#backoff.maxMs, this.#reconnectDelay * 2);
    this.#reconnectTimer = setTimeout(() => void this.#connect(), delay);
    this.#reconnectTimer.unref();
  }

  #onMessage(msg: BrokerMessage, generation: number): void {
    if (this.#stopped || generation !== this.#generation) return msg.nack();
    this.#buffer.push(msg);
    if (this.#buffer.length >= this.#m.BatchSize) this.#flush();
    else if (!this.#flushTimer) {
      const windowMs = this.#m.MaximumBatchingWindowInSeconds > 0 ? this.#m.MaximumBatchingWindowInSeconds * 1000 : 500;
      this.#flushTimer = setTimeout(() => this.#flush(), windowMs);
      this.#flushTimer.unref();
    }
  }

  #flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#inFlight || this.#buffer.length === 0) return;
    const batch = this.#buffer.splice(0, this.#m.BatchSize);
    this.#inFlight = true;
    this.#busy = this.#process(batch).finally(() => {
      this.#inFlight = false;
      if (this.#buffer.length > 0 && !this.#stopped) this.#flush();
    });
  }

  async #process(batch: BrokerMessage[]): Promise<void> {
    let wanted = batch;
    if (this.#filter) {
      wanted = batch.filter((m) => this.#filter!.matches({ data: bodyView(m.content), basicProperties: basicProperties(m) }));
      // Lambda drops what the filters reject: acknowledged without an invocation.
      for (const m of batch) if (!wanted.includes(m)) m.ack();
      if (wanted.length === 0) return;
    }
    const event = {
      eventSource: 'aws:rmq',
      eventSourceArn: this.#m.EventSourceArn,
      rmqMessagesByQueue: {
        [`${this.#queue}::${this.#vhost}`]: wanted.map((m) => ({ basicProperties: basicProperties(m), redelivered: m.redelivered, data: m.content.toString('base64') })),
      },
    };
    let ok = false;
    try {
      const res = await this.#deps.invoker.invoke({
        functionName: this.#m.flint.functionName,
        ...(this.#m.flint.qualifier !== undefined ? { qualifier: this.#m.flint.qualifier } : {}),
        payload: Buffer.from(JSON.stringify(event)),
      });
      ok = !res.functionError;
      this.#deps.result(ok ? 'OK' : 'PROBLEM: Function call failed');
    } catch (err) {
      this.#deps.result(`PROBLEM: ${(err as { type?: string }).type ?? 'Function call failed'}`);
    }
    if (ok) {
      this.#retryDelay = this.#backoff.initialMs;
      for (const m of wanted) m.ack();
      return;
    }
    // Failed: back to the queue after a pause, so a failing function is not spun in a loop.
    await new Promise((r) => setTimeout(r, this.#stopped ? 0 : this.#retryDelay));
    this.#retryDelay = Math.min(this.#backoff.maxMs, this.#retryDelay * 2);
    for (const m of wanted) m.nack();
  }
}

/** Lambda's basicProperties: Java's AMQP BasicProperties serialized (nulls kept, string headers as bytes). */
function basicProperties(m: BrokerMessage): Record<string, unknown> {
  const p = m.properties;
  const v = (k: string) => (p[k] === undefined ? null : p[k]);
  const headers = p['headers'] as Record<string, unknown> | undefined;
  return {
    contentType: v('contentType'),
    contentEncoding: v('contentEncoding'),
    headers: headers && Object.keys(headers).length > 0 ? Object.fromEntries(Object.entries(headers).map(([k, h]) => [k, typeof h === 'string' ? { bytes: [...Buffer.from(h, 'utf8')] } : h])) : null,
    deliveryMode: v('deliveryMode'),
    priority: v('priority'),
    correlationId: v('correlationId'),
    replyTo: v('replyTo'),
    expiration: v('expiration'),
    messageId: v('messageId'),
    timestamp: typeof p['timestamp'] === 'number' ? javaDate(p['timestamp'] * 1000) : null,
    type: v('type'),
    userId: v('userId'),
    appId: v('appId'),
    clusterId: v('clusterId'),
    bodySize: m.content.length,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Java's default medium date-time format in UTC, as Lambda's events show it: `Jan 1, 1970, 12:33:41 AM`. */
function javaDate(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 === 0 ? 12 : h % 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

/** Filters see `data` as the decoded JSON body when it is JSON (Lambda decodes it for matching). */
function bodyView(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return content.toString('utf8');
  }
}
