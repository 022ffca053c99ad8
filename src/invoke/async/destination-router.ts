import type { NewQueuedEvent } from '../../ports/event-queue.js';
import { parseFunctionName } from '../../domain/function-name.js';
import type { AsyncFunctionLookup } from './async-function-lookup.js';
import type { MessageQueues, QueueMessageAttribute } from '../../ports/message-queues.js';

export type DestinationTarget =
  | { kind: 'function'; functionName: string; qualifier: string }
  | { kind: 'queue'; queueArn: string }
  | { kind: 'unreachable'; arn: string; reason: string };

/**
 * Turns destination / dead-letter ARNs into follow-up events. Lambda delivers to SQS, SNS,
 * EventBridge, S3 or another Lambda function; Flint has functions and SQS-compatible queues. A
 * function target gets the record (or, for a dead-letter target, the original event) through its
 * own asynchronous queue — exactly how Lambda invokes a function destination; a queue target gets
 * it as a message, sent at once through the MessageQueues port. Any other service is reported as
 * undeliverable in the server log (the event is still finished: Lambda too drops a record its
 * destination refuses).
 */
export class DestinationRouter {
  readonly #lookup: AsyncFunctionLookup;
  readonly #region: string;
  readonly #uuid: () => string;

  readonly #queues: MessageQueues | undefined;

  constructor(opts: { lookup: AsyncFunctionLookup; region: string; uuid: () => string; queues?: MessageQueues }) {
    this.#lookup = opts.lookup;
    this.#queues = opts.queues;
    this.#region = opts.region;
    this.#uuid = opts.uuid;
  }

  target(arn: string): DestinationTarget {
    const parts = arn.split(':');
    if (parts[0] !== 'arn' || parts.length < 6) return { kind: 'unreachable', arn, reason: 'not an ARN' };
    const service = parts[2];
    if (service === 'sqs' && this.#queues) {
      return this.#queues.exists(arn) ? { kind: 'queue', queueArn: arn } : { kind: 'unreachable', arn, reason: 'the queue does not exist' };
    }
    if (service !== 'lambda' || parts[5] !== 'function') {
      return { kind: 'unreachable', arn, reason: `Flint delivers only to Lambda functions, not to ${service}` };
    }
    let ref;
    try {
      ref = parseFunctionName(arn, this.#region);
    } catch (err) {
      return { kind: 'unreachable', arn, reason: (err as Error).message };
    }
    const qualifier = ref.qualifier ?? '$LATEST';
    if (!this.#lookup.exists(ref.name, qualifier)) return { kind: 'unreachable', arn, reason: 'the function does not exist' };
    return { kind: 'function', functionName: ref.name, qualifier };
  }

  /**
   * A follow-up event for `arn` carrying `payload`, or, for a queue, the id of the message sent
   * (with `messageAttributes`: a dead-letter message's RequestID / ErrorCode / ErrorMessage), or the
   * reason it cannot be delivered.
   */
  async followUp(arn: string, payload: Buffer, origin: 'destination' | 'dead-letter', now: number, messageAttributes?: Record<string, QueueMessageAttribute>): Promise<{ event: NewQueuedEvent } | { sent: string } | { error: string }> {
    const t = this.target(arn);
    if (t.kind === 'unreachable') return { error: t.reason };
    if (t.kind === 'queue') {
      // Sent (and stored) before the event is acknowledged: a failure here loses nothing.
      try {
        return { sent: await this.#queues!.send(t.queueArn, payload.toString('utf8'), messageAttributes ? { messageAttributes } : {}) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    }
    return {
      event: { requestId: this.#uuid(), functionName: t.functionName, qualifier: t.qualifier, payload, origin, enqueuedAt: now },
    };
  }
}
