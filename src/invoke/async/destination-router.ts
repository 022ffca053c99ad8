import type { NewQueuedEvent } from '../../ports/event-queue.js';
import { parseFunctionName } from '../../domain/function-name.js';
import type { AsyncFunctionLookup } from './async-function-lookup.js';

export type DestinationTarget =
  | { kind: 'function'; functionName: string; qualifier: string }
  | { kind: 'unreachable'; arn: string; reason: string };

/**
 * Turns destination / dead-letter ARNs into follow-up events. Lambda delivers to SQS, SNS,
 * EventBridge, S3 or another Lambda function; Flint has only functions, so a function target gets
 * the record (or, for a dead-letter target, the original event) through its own asynchronous
 * queue — exactly how Lambda invokes a function destination — and any other service is reported
 * as undeliverable in the server log (the event is still finished: Lambda too drops a record its
 * destination refuses).
 */
export class DestinationRouter {
  readonly #lookup: AsyncFunctionLookup;
  readonly #region: string;
  readonly #uuid: () => string;

  constructor(opts: { lookup: AsyncFunctionLookup; region: string; uuid: () => string }) {
    this.#lookup = opts.lookup;
    this.#region = opts.region;
    this.#uuid = opts.uuid;
  }

  target(arn: string): DestinationTarget {
    const parts = arn.split(':');
    if (parts[0] !== 'arn' || parts.length < 6) return { kind: 'unreachable', arn, reason: 'not an ARN' };
    const service = parts[2];
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

  /** A follow-up event for `arn` carrying `payload`, or the reason it cannot be delivered. */
  followUp(arn: string, payload: Buffer, origin: 'destination' | 'dead-letter', now: number): { event: NewQueuedEvent } | { error: string } {
    const t = this.target(arn);
    if (t.kind === 'unreachable') return { error: t.reason };
    return {
      event: { requestId: this.#uuid(), functionName: t.functionName, qualifier: t.qualifier, payload, origin, enqueuedAt: now },
    };
  }
}
