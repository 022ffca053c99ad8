import type { Clock } from '../ports/clock.js';
import type { MessageQueues, QueueMessageAttribute } from '../ports/message-queues.js';

/** The async half of Invoke (src/invoke/async AsyncInvoker): queued durably, Lambda's retries and destinations apply. */
export interface EventInvoker {
  enqueue(req: { functionName: string; payload: Buffer }): Promise<{ requestId: string }>;
}

export interface Delivery {
  functionArn: string;
  payload: string;
  /** Undefined when the caller may invoke, else the reason the invocation is refused. */
  denial(): string | undefined;
  /** RetryPolicy: AWS's defaults are 185 attempts and 86,400 s. */
  maximumRetryAttempts: number;
  maximumEventAgeMs: number;
  deadLetterArn?: string;
  /** SCHEDULE_ARN (or the rule's ARN) and TARGET_ARN of a dead-lettered message. */
  sourceArn: string;
}

interface Pending { d: Delivery; firstAt: number; retries: number; nextAt: number; lastError: { code: string; message: string } }

/**
 * Hands a fired tick to Lambda's async invoke (Scheduler and EventBridge invoke Lambda with
 * InvocationType Event). A refused hand-off (function missing, throttled) is retried
 * with exponential backoff (1 s doubling to 60 s) under the target's RetryPolicy; when attempts or
 * event age run out the event goes to the dead-letter queue with AWS Scheduler's message
 * attributes (ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION, RETRY_ATTEMPTS, SCHEDULE_ARN,
 * TARGET_ARN), or, with no queue service or no such queue, is logged as lost. Pending retries are
 * kept in memory: a restart drops them (the tick itself stays claimed).
 */
export class TargetDelivery {
  readonly #invoker: EventInvoker;
  readonly #clock: Clock;
  readonly #queues: MessageQueues | undefined;
  readonly #log: (line: string) => void;
  #pending: Pending[] = [];
  readonly failures: { sourceArn: string; functionArn: string; code: string; message: string; deadLettered: boolean }[] = [];

  constructor(deps: { invoker: EventInvoker; clock: Clock; queues?: MessageQueues; log: (line: string) => void }) {
    this.#invoker = deps.invoker;
    this.#clock = deps.clock;
    this.#queues = deps.queues;
    this.#log = deps.log;
  }

  /** Tries once now; a failure is queued for retry. Resolves with the request id when handed off. */
  async deliver(d: Delivery): Promise<string | undefined> {
    const now = this.#clock.now();
    return this.#attempt({ d, firstAt: now, retries: 0, nextAt: now, lastError: { code: '', message: '' } });
  }

  /** Retries whose time has come (called on every ticker pass). */
  async retryDue(): Promise<void> {
    const now = this.#clock.now();
    const due = this.#pending.filter((p) => p.nextAt <= now);
    this.#pending = this.#pending.filter((p) => p.nextAt > now);
    for (const p of due) {
      p.retries++;
      await this.#attempt(p);
    }
  }

  get pendingRetries(): number {
    return this.#pending.length;
  }

  async #attempt(p: Pending): Promise<string | undefined> {
    const now = this.#clock.now();
    if (now - p.firstAt >= p.d.maximumEventAgeMs) return this.#exhausted(p, 'MaximumEventAgeExceeded');
    const denial = p.d.denial();
    try {
      if (denial !== undefined) throw Object.assign(new Error(denial), { name: 'AccessDeniedException' });
      const { requestId } = await this.#invoker.enqueue({ functionName: p.d.functionArn, payload: Buffer.from(p.d.payload) });
      return requestId;
    } catch (err) {
      const e = err as Error & { type?: string };
      p.lastError = { code: e.type ?? e.name, message: e.message };
      // A refused permission is not retried (EventBridge and Scheduler retry only errors that may
      // pass: throttling, unavailable targets), it goes to the dead-letter queue at once.
      if (denial !== undefined) return this.#exhausted(p, 'MaximumRetryAttemptsExhausted');
      if (p.retries >= p.d.maximumRetryAttempts) return this.#exhausted(p, 'MaximumRetryAttemptsExhausted');
      p.nextAt = now + Math.min(60_000, 1_000 * 2 ** p.retries);
      this.#pending.push(p);
      this.#log(`flint: schedule ${p.d.sourceArn}: invoking ${p.d.functionArn} failed (${p.lastError.code}: ${p.lastError.message}); retry ${p.retries + 1} of ${p.d.maximumRetryAttempts}`);
      return undefined;
    }
  }

  #exhausted(p: Pending, condition: string): undefined {
    let deadLettered = false;
    if (p.d.deadLetterArn !== undefined) {
      if (this.#queues?.exists(p.d.deadLetterArn)) {
        const s = (v: string): QueueMessageAttribute => ({ DataType: 'String', StringValue: v });
        const dlq = p.d.deadLetterArn;
        this.#queues.send(dlq, p.d.payload, {
          messageAttributes: {
            ERROR_CODE: s(p.lastError.code || condition),
            ERROR_MESSAGE: s(p.lastError.message || condition),
            EXHAUSTED_RETRY_CONDITION: s(condition),
            RETRY_ATTEMPTS: { DataType: 'Number', StringValue: String(p.retries) },
            SCHEDULE_ARN: s(p.d.sourceArn),
            TARGET_ARN: s(p.d.functionArn),
          },
        }).catch((err: unknown) => this.#log(`flint: schedule ${p.d.sourceArn}: sending to the dead-letter queue ${dlq} failed (${(err as Error).message}); the event is lost`));
        deadLettered = true;
      } else {
        this.#log(`flint: schedule ${p.d.sourceArn}: dead-letter queue ${p.d.deadLetterArn} unavailable (${this.#queues ? 'no such queue' : 'no queue service'}); the event is lost`);
      }
    }
    this.failures.push({ sourceArn: p.d.sourceArn, functionArn: p.d.functionArn, code: p.lastError.code, message: p.lastError.message, deadLettered });
    if (this.failures.length > 1000) this.failures.shift();
    this.#log(`flint: schedule ${p.d.sourceArn}: gave up invoking ${p.d.functionArn} (${condition}) after ${p.retries} retries${deadLettered ? '; sent to the dead-letter queue' : ''}`);
    return undefined;
  }
}
