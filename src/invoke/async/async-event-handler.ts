import type { Clock } from '../../ports/clock.js';
import type { AttemptOutcome, EventQueue, LeasedEvent, NewQueuedEvent } from '../../ports/event-queue.js';
import type { Invoker, InvokeResult } from '../../ports/invoker.js';
import { LambdaError } from '../../domain/errors.js';
import type { Arns } from '../../domain/function-name.js';
import type { AsyncFunctionLookup, AsyncSettings } from './async-function-lookup.js';
import type { DestinationRouter } from './destination-router.js';
import type { QueueMessageAttribute } from '../../ports/message-queues.js';
import type { AsyncEventMetrics } from '../../ports/metrics.js';
import { invocationRecord } from './invocation-record.js';
import {
  afterFunctionError,
  afterSystemError,
  classifyInvokeError,
  isExpired,
  type FailureCondition,
  type RetrySettings,
} from './retry-policy.js';

export type AsyncLogLevel = 'debug' | 'info' | 'warn' | 'error';
export type AsyncLog = (level: AsyncLogLevel, message: string) => void;

/** What became of one delivery of an event (for counters and tests). */
export type HandleOutcome = 'succeeded' | 'retried' | 'dropped' | 'discarded' | 'lease-lost';

/**
 * Runs one leased event to a decision: invoke it, then acknowledge it (success, or failure sent to
 * the destinations) or put it back with a retry delay. Nothing is acknowledged before its
 * follow-ups are committed with the acknowledgement (at-least-once).
 */
export class AsyncEventHandler {
  readonly #queue: EventQueue;
  readonly #invoker: Invoker;
  readonly #lookup: AsyncFunctionLookup;
  readonly #router: DestinationRouter;
  readonly #arns: Arns;
  readonly #clock: Clock;
  readonly #timeScale: number;
  readonly #log: AsyncLog;
  readonly #metrics: AsyncEventMetrics | undefined;

  constructor(deps: {
    queue: EventQueue;
    invoker: Invoker;
    lookup: AsyncFunctionLookup;
    router: DestinationRouter;
    arns: Arns;
    clock: Clock;
    timeScale: number;
    log: AsyncLog;
    metrics?: AsyncEventMetrics;
  }) {
    this.#metrics = deps.metrics;
    this.#queue = deps.queue;
    this.#invoker = deps.invoker;
    this.#lookup = deps.lookup;
    this.#router = deps.router;
    this.#arns = deps.arns;
    this.#clock = deps.clock;
    this.#timeScale = deps.timeScale;
    this.#log = deps.log;
  }

  /**
   * `onInvoked` is told when the function has returned (or the invoke failed), before the outcome
   * is written: the pollers free the slot then, and lease the next events in the same transaction
   * as this one's acknowledgement.
   */
  async handle(lease: LeasedEvent, onInvoked?: () => void): Promise<HandleOutcome> {
    const e = lease.event;
    const settings = this.#lookup.settings(e.functionName, e.qualifier);
    const rs: RetrySettings = { maxRetryAttempts: settings.maxRetryAttempts, maxEventAgeSeconds: settings.maxEventAgeSeconds, timeScale: this.#timeScale };
    if (e.deliveries > 1 && e.lastOutcome === undefined && e.attempts === 0 && e.systemRetries === 0) {
      this.#log('info', `async ${e.requestId}: delivered again (delivery ${e.deliveries}) after an unfinished lease`);
    }
    if (isExpired(e.enqueuedAt, this.#clock.now(), rs)) {
      return this.#fail(lease, settings, 'EventAgeExceeded', e.lastOutcome, e.attempts);
    }

    // AsyncEventAge: from queueing to each invocation attempt (Lambda's "time between when Lambda
    // successfully queues the event and when the function is invoked").
    this.#metrics?.invoked(e.functionName, e.qualifier, this.#clock.now() - e.enqueuedAt);
    let result: InvokeResult;
    try {
      result = await this.#invoker.invoke({
        functionName: e.functionName,
        qualifier: e.qualifier,
        payload: e.payload,
        requestId: e.requestId,
        async: true,
        ...(e.clientContext !== undefined ? { clientContext: e.clientContext } : {}),
        ...(e.traceId !== undefined ? { traceId: e.traceId, enqueuedAt: e.enqueuedAt } : {}),
      });
    } catch (err) {
      onInvoked?.();
      return this.#afterInvokeError(lease, settings, rs, err);
    }
    onInvoked?.();

    const attempts = e.attempts + 1;
    const outcome: AttemptOutcome = {
      statusCode: result.statusCode,
      executedVersion: result.executedVersion,
      ...(result.functionError !== undefined ? { functionError: result.functionError } : {}),
      payloadBase64: result.payload.toString('base64'),
    };
    // A destination continues the trace the function ran in (its header names the function segment as parent).
    if (result.traceId !== undefined) e.traceId = result.traceId;
    if (result.functionError === undefined) return this.#succeed(lease, settings, outcome, attempts);

    const d = afterFunctionError(attempts, this.#clock.now(), rs);
    if (d.action === 'drop') return this.#fail(lease, settings, d.condition, outcome, attempts);
    this.#log('debug', `async ${e.requestId}: function error (${result.functionError}) on attempt ${attempts}; retry at +${d.visibleAt - this.#clock.now()} ms`);
    const ok = await this.#queue.reschedule(lease, { visibleAt: d.visibleAt, attempts, systemRetries: e.systemRetries, lastOutcome: outcome });
    return ok ? 'retried' : this.#leaseLost(lease);
  }

  async #afterInvokeError(lease: LeasedEvent, settings: AsyncSettings, rs: RetrySettings, err: unknown): Promise<HandleOutcome> {
    const e = lease.event;
    const type = err instanceof LambdaError ? err.type : undefined;
    const message = err instanceof Error ? err.message : String(err);
    const kind = classifyInvokeError(type);
    if (kind === 'gone') {
      // The function (or the alias/version) was deleted while the event waited: nothing can run it,
      // and its async configuration went with it.
      this.#log('warn', `async ${e.requestId}: discarded, ${e.functionName}:${e.qualifier} no longer exists (${message})`);
      this.#metrics?.dropped(e.functionName, e.qualifier);
      return (await this.#queue.ack(lease)) ? 'discarded' : this.#leaseLost(lease);
    }
    const errorOutcome: AttemptOutcome = { statusCode: statusOf(type, kind), errorType: type ?? 'ServiceException', errorMessage: message };
    if (kind === 'permanent') return this.#fail(lease, settings, 'RetriesExhausted', errorOutcome, e.attempts);
    if (type === undefined) this.#log('error', `async ${e.requestId}: invoke failed unexpectedly, will retry: ${(err as Error)?.stack ?? message}`);
    const systemRetries = e.systemRetries + 1;
    const d = afterSystemError(systemRetries, this.#clock.now(), rs);
    if (d.action === 'drop') return this.#fail(lease, settings, d.condition, e.lastOutcome ?? errorOutcome, e.attempts);
    this.#log('debug', `async ${e.requestId}: ${errorOutcome.errorType} (${message}); system retry ${systemRetries} at +${d.visibleAt - this.#clock.now()} ms`);
    // Keep the outcome of a run of the function if there was one: it says more than a throttle.
    const lastOutcome = e.lastOutcome?.executedVersion !== undefined ? e.lastOutcome : errorOutcome;
    const ok = await this.#queue.reschedule(lease, { visibleAt: d.visibleAt, attempts: e.attempts, systemRetries, lastOutcome });
    return ok ? 'retried' : this.#leaseLost(lease);
  }

  async #succeed(lease: LeasedEvent, settings: AsyncSettings, outcome: AttemptOutcome, attempts: number): Promise<HandleOutcome> {
    const e = lease.event;
    const followUps: NewQueuedEvent[] = [];
    if (settings.onSuccess) await this.#destination(e, settings.onSuccess, 'Success', outcome, attempts, followUps);
    this.#log('debug', `async ${e.requestId}: succeeded on attempt ${attempts}${followUps.length ? ', record sent to ' + settings.onSuccess : ''}`);
    return (await this.#queue.ack(lease, followUps)) ? 'succeeded' : this.#leaseLost(lease);
  }

  async #fail(lease: LeasedEvent, settings: AsyncSettings, condition: FailureCondition, outcome: AttemptOutcome | undefined, attempts: number): Promise<HandleOutcome> {
    const e = lease.event;
    const followUps: NewQueuedEvent[] = [];
    if (settings.onFailure) await this.#destination(e, settings.onFailure, condition, outcome, attempts, followUps);
    // Lambda sends the original event to the dead-letter queue (SQS/SNS) when an event fails for good.
    const version = outcome?.executedVersion ?? this.#lookup.versionOf(e.functionName, e.qualifier);
    const dlq = this.#lookup.deadLetterTarget(e.functionName, version);
    if (dlq) {
      const f = await this.#router.followUp(dlq, e.payload, 'dead-letter', this.#clock.now(), deadLetterAttributes(e.requestId, outcome));
      if ('event' in f) followUps.push(f.event);
      else if ('error' in f) {
        this.#metrics?.deadLetterError(e.functionName, e.qualifier);
        this.#log('error', `async ${e.requestId}: cannot deliver to dead-letter target ${dlq}: ${f.error}; the event is lost`);
      }
    }
    // AsyncEventsDropped: the event failed for good (age, retries, or a permanent error), DLQ or not.
    this.#metrics?.dropped(e.functionName, e.qualifier);
    this.#log(
      'debug',
      `async ${e.requestId}: dropped (${condition}) after ${attempts} invocation(s) of ${e.functionName}:${e.qualifier}` +
        (followUps.length ? `; sent to ${followUps.map((f) => f.functionName).join(', ')}` : ''),
    );
    return (await this.#queue.ack(lease, followUps)) ? 'dropped' : this.#leaseLost(lease);
  }

  async #destination(
    e: LeasedEvent['event'],
    arn: string,
    condition: 'Success' | FailureCondition,
    outcome: AttemptOutcome | undefined,
    attempts: number,
    into: NewQueuedEvent[],
  ): Promise<void> {
    const now = this.#clock.now();
    const record = invocationRecord({
      requestId: e.requestId,
      functionArn: this.#arns.function(e.functionName, e.qualifier),
      condition,
      approximateInvokeCount: attempts,
      requestPayload: e.payload,
      outcome,
      timestamp: now,
    });
    const f = await this.#router.followUp(arn, Buffer.from(JSON.stringify(record)), 'destination', now);
    if ('event' in f) into.push(e.traceId !== undefined ? { ...f.event, traceId: e.traceId } : f.event);
    else if ('error' in f) {
      this.#metrics?.destinationDeliveryFailure(e.functionName, e.qualifier);
      this.#log('error', `async ${e.requestId}: cannot deliver the ${condition} record to ${arn}: ${f.error}`);
    }
  }

  #leaseLost(lease: LeasedEvent): HandleOutcome {
    this.#log('warn', `async ${lease.event.requestId}: lease expired before the event finished; it will be delivered again`);
    return 'lease-lost';
  }
}

/**
 * The message attributes Lambda puts on a dead-letter message: RequestID, ErrorCode (the
 * three-digit status) and ErrorMessage (the first 1 KB of the error message) — Lambda developer
 * guide, "Dead-letter queues".
 */
function deadLetterAttributes(requestId: string, outcome: AttemptOutcome | undefined): Record<string, QueueMessageAttribute> {
  let message = outcome?.errorMessage;
  if (message === undefined && outcome?.payloadBase64) {
    try {
      const body = JSON.parse(Buffer.from(outcome.payloadBase64, 'base64').toString('utf8')) as { errorMessage?: unknown };
      if (typeof body.errorMessage === 'string') message = body.errorMessage;
    } catch {
      // Not JSON: no message.
    }
  }
  const attrs: Record<string, QueueMessageAttribute> = {
    RequestID: { DataType: 'String', StringValue: requestId },
    ErrorCode: { DataType: 'Number', StringValue: String(outcome?.statusCode ?? 200) },
  };
  if (message) attrs['ErrorMessage'] = { DataType: 'String', StringValue: Buffer.from(message, 'utf8').subarray(0, 1024).toString('utf8') };
  return attrs;
}

function statusOf(type: string | undefined, kind: 'system' | 'permanent'): number {
  if (type === 'TooManyRequestsException') return 429;
  if (type === 'ResourceConflictException') return 409;
  return kind === 'permanent' ? 400 : 500;
}
