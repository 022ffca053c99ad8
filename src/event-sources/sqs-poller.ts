import { setMaxListeners } from 'node:events';
import type { Clock } from '../ports/clock.js';
import type { Invoker } from '../ports/invoker.js';
import type { MessageQueues, ReceivedQueueMessage } from '../ports/message-queues.js';
import type { EventSourceMappingRecord } from '../domain/event-source-mapping.js';
import { EventFilter } from './event-filter.js';
import { batchItemFailures, filterView, sqsEventRecord, type SqsEventRecord } from './sqs-event.js';

export interface SqsPollerDeps {
  queues: MessageQueues;
  invoker: Invoker;
  clock: Clock;
  region: string;
  /** Reserved concurrency of the function, when set: pollers never exceed it. */
  reservedConcurrency(functionName: string): number | undefined;
  /** LastProcessingResult updates (`OK`, `PROBLEM: Function call failed`, …). */
  result(text: string): void;
  log(line: string): void;
  /** Scaling knobs (tests shrink them): first pollers, the long-poll wait, scale-up per minute. */
  tuning?: Partial<SqsPollerTuning>;
}

export interface SqsPollerTuning {
  initialPollers: number;
  maxPollers: number;
  scaleUpPerMinute: number;
  waitMs: number;
  throttleBackoffMs: number;
}

/**
 * Lambda's SQS pollers as the docs describe them: 5 concurrent pollers to begin with, up to 60
 * more per minute while messages keep coming (a full batch counts as backlog), capped by
 * ScalingConfig.MaximumConcurrency and the function's reserved concurrency; a poller whose long
 * poll comes back empty retires while more than one remain. 1000 is Lambda's default cap.
 */
const DEFAULT_TUNING: SqsPollerTuning = { initialPollers: 5, maxPollers: 1000, scaleUpPerMinute: 60, waitMs: 20_000, throttleBackoffMs: 1_000 };

/**
 * The pollers of one enabled SQS mapping: each receives a batch (long polling, gathering up to
 * BatchSize within MaximumBatchingWindowInSeconds), drops what FilterCriteria rejects (deleting
 * it, as Lambda does), invokes the function synchronously and deletes the messages only after
 * success — all but the reported failures with ReportBatchItemFailures. On a function error the
 * messages stay: they return after the visibility timeout and the queue's redrive policy applies.
 */
export class SqsPoller {
  readonly #m: EventSourceMappingRecord;
  readonly #deps: SqsPollerDeps;
  readonly #tuning: SqsPollerTuning;
  readonly #filter: EventFilter | undefined;
  readonly #abort = new AbortController();
  readonly #running = new Set<Promise<void>>();
  #target: number;
  #lastScaleUp = 0;

  constructor(mapping: EventSourceMappingRecord, deps: SqsPollerDeps) {
    this.#m = mapping;
    this.#deps = deps;
    this.#tuning = { ...DEFAULT_TUNING, ...deps.tuning };
    this.#filter = EventFilter.parse(mapping.FilterCriteria?.Filters);
    this.#target = Math.min(this.#tuning.initialPollers, this.#cap());
    // Every poller's long poll and back-off listens on the one stop signal.
    setMaxListeners(0, this.#abort.signal);
  }

  /** Pollers running now (for tests and metrics). */
  get pollers(): number {
    return this.#running.size;
  }

  start(): void {
    while (this.#running.size < this.#target) this.#spawn();
  }

  /** Stops receiving; resolves when every in-flight batch has finished (its messages settled). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all([...this.#running]);
  }

  #cap(): number {
    const max = this.#m.ScalingConfig?.MaximumConcurrency ?? this.#tuning.maxPollers;
    const reserved = this.#deps.reservedConcurrency(this.#m.flint.functionName);
    return Math.max(1, Math.min(max, reserved ?? Infinity));
  }

  #spawn(): void {
    const p: Promise<void> = this.#loop().catch((err: unknown) => this.#deps.log(`flint: event source mapping ${this.#m.UUID}: poller failed: ${String(err)}`)).finally(() => {
      this.#running.delete(p);
      // A poller that died of an error is replaced while the mapping runs.
      if (!this.#abort.signal.aborted && this.#running.size < this.#target) this.#spawn();
    });
    this.#running.add(p);
  }

  async #loop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      let batch: ReceivedQueueMessage[];
      // Received messages stay invisible from the first receive until they are settled: through
      // the batching window as well as the invocation.
      const keep = new VisibilityKeeper(this.#deps.queues, this.#m.EventSourceArn);
      try {
        batch = await this.#gather(keep);
      } catch (err) {
        keep.stop();
        if (signal.aborted) return;
        this.#deps.result('PROBLEM: Error occurred while ReceiveMessage.');
        await sleep(this.#tuning.throttleBackoffMs, signal);
        continue;
      }
      if (batch.length === 0) {
        keep.stop();
        // Idle: scale down to one poller.
        if (this.#running.size > 1) {
          this.#target = Math.max(1, Math.min(this.#target, this.#running.size) - 1);
          return;
        }
        continue;
      }
      if (batch.length >= Math.min(this.#m.BatchSize, 10)) this.#scaleUp();
      try {
        await this.#process(batch);
      } catch (err) {
        // A delete that failed (in a cluster, the queues' node unreachable for a moment): the
        // messages reappear after their visibility timeout and are delivered again, at least once.
        if (signal.aborted) return;
        this.#deps.result(`PROBLEM: Error occurred while DeleteMessage: ${(err as Error).message}`);
      } finally {
        keep.stop();
      }
    }
  }

  /**
   * Backlog: one more poller, spread evenly over the minute (60 a minute = one a second, as
   * Lambda's pollers grow), never above the cap.
   */
  #scaleUp(): void {
    const now = this.#deps.clock.now();
    const spacing = 60_000 / this.#tuning.scaleUpPerMinute;
    if (this.#target >= this.#cap() || now - this.#lastScaleUp < spacing) return;
    this.#lastScaleUp = now;
    this.#target++;
    this.#spawn();
  }

  /** Receives up to BatchSize messages: the first long poll waits; further ones fill the batching window. */
  async #gather(keep: VisibilityKeeper): Promise<ReceivedQueueMessage[]> {
    const signal = this.#abort.signal;
    const arn = this.#m.EventSourceArn;
    const first = await this.#deps.queues.receive(arn, { max: Math.min(10, this.#m.BatchSize), waitMs: this.#tuning.waitMs, signal });
    keep.add(first);
    if (first.length === 0 || this.#m.MaximumBatchingWindowInSeconds === 0) return first;
    const batch = [...first];
    const deadline = this.#deps.clock.monotonic() + this.#m.MaximumBatchingWindowInSeconds * 1000;
    while (batch.length < this.#m.BatchSize && !signal.aborted) {
      const left = deadline - this.#deps.clock.monotonic();
      if (left <= 0) break;
      const more = await this.#deps.queues.receive(arn, { max: Math.min(10, this.#m.BatchSize - batch.length), waitMs: Math.min(left, this.#tuning.waitMs), signal });
      keep.add(more);
      batch.push(...more);
    }
    return batch;
  }

  async #process(batch: ReceivedQueueMessage[]): Promise<void> {
    const arn = this.#m.EventSourceArn;
    const records = batch.map((m) => sqsEventRecord(m, arn, this.#deps.region));
    let wanted: SqsEventRecord[] = records;
    if (this.#filter) {
      const dropped = records.filter((r) => !this.#filter!.matches(filterView(r)));
      // Lambda deletes the messages its filters reject.
      if (dropped.length > 0) await this.#deps.queues.delete(arn, dropped.map((r) => r.receiptHandle));
      wanted = records.filter((r) => !dropped.includes(r));
      if (wanted.length === 0) return;
    }
    const failed = await this.#invoke(wanted);
    if (failed === 'all') return;
    const ordered = arn.endsWith('.fifo') ? fifoFailures(wanted, failed) : failed;
    const done = wanted.filter((r) => !ordered.has(r.messageId)).map((r) => r.receiptHandle);
    if (done.length > 0) await this.#deps.queues.delete(arn, done);
  }

  /** Invokes with the batch; throttles back off and retry while the messages stay invisible. */
  async #invoke(records: SqsEventRecord[]): Promise<Set<string> | 'all'> {
    const payload = Buffer.from(JSON.stringify({ Records: records }));
    for (;;) {
      try {
        const res = await this.#deps.invoker.invoke({
          functionName: this.#m.flint.functionName,
          ...(this.#m.flint.qualifier !== undefined ? { qualifier: this.#m.flint.qualifier } : {}),
          payload,
        });
        if (res.functionError) {
          this.#deps.result('PROBLEM: Function call failed');
          return 'all';
        }
        this.#deps.result('OK');
        if (!this.#m.FunctionResponseTypes.includes('ReportBatchItemFailures')) return new Set();
        return batchItemFailures(res.payload, new Set(records.map((r) => r.messageId)));
      } catch (err) {
        const type = (err as { type?: string }).type;
        if ((type === 'TooManyRequestsException' || type === 'ResourceNotReadyException') && !this.#abort.signal.aborted) {
          this.#deps.result('PROBLEM: Function call throttled');
          await sleep(this.#tuning.throttleBackoffMs, this.#abort.signal);
          if (!this.#abort.signal.aborted) continue;
        }
        this.#deps.result(`PROBLEM: ${type ?? 'Function call failed'}`);
        return 'all';
      }
    }
  }
}

/**
 * Renews the visibility of received messages at a third of the queue's timeout (to the full
 * timeout) until stopped, so a long batching window or invocation never lets them reappear.
 */
class VisibilityKeeper {
  readonly #queues: MessageQueues;
  readonly #arn: string;
  readonly #handles: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(queues: MessageQueues, arn: string) {
    this.#queues = queues;
    this.#arn = arn;
  }

  add(messages: ReceivedQueueMessage[]): void {
    if (messages.length === 0) return;
    for (const m of messages) this.#handles.push(m.receiptHandle);
    if (this.#timer) return;
    const seconds = this.#queues.visibilityTimeoutSeconds(this.#arn);
    this.#timer = setInterval(() => {
      for (const h of this.#handles) {
        // Deleted or expired meanwhile (or the queue unreachable for a moment): nothing to keep.
        this.#queues.changeVisibility(this.#arn, h, seconds).catch(() => undefined);
      }
    }, Math.max(200, (seconds * 1000) / 3));
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** FIFO: after a failed message, the later messages of its group stay too (their order is kept). */
function fifoFailures(records: SqsEventRecord[], failed: Set<string>): Set<string> {
  const blocked = new Set<string>();
  const out = new Set(failed);
  for (const r of records) {
    const group = r.attributes['MessageGroupId'] ?? '';
    if (blocked.has(group)) out.add(r.messageId);
    else if (failed.has(r.messageId)) blocked.add(group);
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
