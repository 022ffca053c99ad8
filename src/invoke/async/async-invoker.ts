import type { Clock } from '../../ports/clock.js';
import type { EventQueue } from '../../ports/event-queue.js';
import type { AsyncEventMetrics } from '../../ports/metrics.js';
import { RequestTooLargeException } from '../../domain/errors.js';
import type { InvocationTargets } from '../invoke-service.js';
import { queuedTraceHeader } from './queued-trace-header.js';

/**
 * Lambda's limit for an asynchronous invocation's payload: 1 MB since October 2025 (it was 256 KB
 * before; the deprecated InvokeAsync operation keeps 256 KB). The Invoke API reference: "For
 * asynchronous invocations, the maximum payload size is 1 MB."
 */
export const ASYNC_PAYLOAD_LIMIT_BYTES = 1_048_576;

export interface AsyncEnqueueRequest {
  /** Name, ARN or partial ARN, possibly with a `:qualifier`. */
  functionName: string;
  qualifier?: string;
  payload: Buffer;
  /** Base64 JSON (X-Amz-Client-Context). */
  clientContext?: string;
  traceId?: string;
  /**
   * The id to run under — the Invoke API passes its own request id so that x-amzn-RequestId of the
   * 202 names the invocation, as on AWS. A fresh UUID when absent.
   */
  requestId?: string;
}

/**
 * The `Event` half of Invoke: validate, check the function exists, write the event durably and
 * hand back the request id the invocation will run with. The 202 is sent only after `enqueue`
 * resolves, i.e. after the commit.
 */
export class AsyncInvoker {
  readonly #queue: EventQueue;
  readonly #targets: InvocationTargets;
  readonly #clock: Clock;
  readonly #uuid: () => string;
  readonly #onEnqueued: () => void;
  readonly #metrics: AsyncEventMetrics | undefined;

  constructor(deps: {
    queue: EventQueue;
    /** The sync path's resolver, so Event and RequestResponse fail alike (404 texts, Pending → 409). */
    targets: InvocationTargets;
    clock: Clock;
    uuid: () => string;
    /** Called after each commit (wakes idle pollers so delivery does not wait for a poll interval). */
    onEnqueued?: () => void;
    metrics?: AsyncEventMetrics;
  }) {
    this.#metrics = deps.metrics;
    this.#queue = deps.queue;
    this.#targets = deps.targets;
    this.#clock = deps.clock;
    this.#uuid = deps.uuid;
    this.#onEnqueued = deps.onEnqueued ?? (() => {});
  }

  async enqueue(req: AsyncEnqueueRequest): Promise<{ requestId: string }> {
    if (req.payload.length > ASYNC_PAYLOAD_LIMIT_BYTES) {
      // Same type and wording as the synchronous limit (RequestTooLargeException, 413).
      throw new RequestTooLargeException(`Request must be smaller than ${ASYNC_PAYLOAD_LIMIT_BYTES} bytes for the InvokeFunction operation`);
    }
    // Resolved now so a missing function or qualifier fails the call (404, Invoke's texts) instead
    // of vanishing in the queue; which *version* runs is decided when the event runs ($LATEST
    // updated meanwhile runs the new code, an alias's weights are drawn per attempt), as AWS does
    // for queued events.
    const target = this.#targets.resolveInvocationTarget(req.functionName, req.qualifier, () => 1);
    const name = target.record.config.FunctionName;
    const qualifier = target.qualifier ?? '$LATEST';
    const requestId = req.requestId ?? this.#uuid();
    await this.#queue.enqueue({
      requestId,
      functionName: name,
      qualifier,
      payload: req.payload,
      ...(req.clientContext !== undefined ? { clientContext: req.clientContext } : {}),
      ...queuedTraceHeader(req.traceId, target.record.config.TracingConfig?.Mode, this.#clock.now()),
      origin: 'invoke',
      enqueuedAt: this.#clock.now(),
    });
    this.#metrics?.received(name, qualifier);
    this.#onEnqueued();
    return { requestId };
  }
}
