import type { MessageQueues, QueueMessageAttribute, ReceivedQueueMessage } from '../ports/message-queues.js';
import type { QueueService } from './queue-service.js';
import type { LiveQueue } from './live-queue.js';
import { receiptHandle, type MessageService } from './message-service.js';
import { systemAttributes } from './received-message.js';
import { sqsErrors } from './sqs-errors.js';

/**
 * The MessageQueues port over Flint's SQS-compatible queues, for event source mappings (receive,
 * delete, change visibility) and async destinations (send). Sends from the platform carry the
 * account as SenderId, as AWS services' sends name the service's principal.
 */
export class SqsMessageQueues implements MessageQueues {
  readonly #queues: QueueService;
  readonly #messages: MessageService;

  constructor(queues: QueueService, messages: MessageService) {
    this.#queues = queues;
    this.#messages = messages;
  }

  exists(queueArn: string): boolean {
    return this.#queues.byArn(queueArn) !== undefined;
  }

  visibilityTimeoutSeconds(queueArn: string): number {
    return this.#queue(queueArn).num('VisibilityTimeout');
  }

  async receive(queueArn: string, opts: { max: number; waitMs: number; visibilityTimeoutSeconds?: number; signal?: AbortSignal }): Promise<ReceivedQueueMessage[]> {
    const q = this.#queue(queueArn);
    const got = await this.#messages.receive(q, {
      max: Math.min(10, Math.max(1, opts.max)),
      waitMs: opts.waitMs,
      ...(opts.visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds: opts.visibilityTimeoutSeconds } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return got.map((m) => ({
      messageId: m.message.id,
      receiptHandle: receiptHandle(m),
      body: m.message.body,
      md5OfBody: m.message.md5OfBody,
      ...(m.message.md5OfMessageAttributes ? { md5OfMessageAttributes: m.message.md5OfMessageAttributes } : {}),
      attributes: systemAttributes(m),
      messageAttributes: Object.fromEntries(Object.entries(m.message.messageAttributes ?? {}).map(([k, a]) => [k, {
        DataType: a.DataType,
        ...(a.BinaryValue !== undefined ? { BinaryValue: Buffer.from(a.BinaryValue, 'base64') } : { StringValue: a.StringValue ?? '' }),
      }])),
    }));
  }

  async delete(queueArn: string, receiptHandles: string[]): Promise<void> {
    const q = this.#queues.byArn(queueArn);
    if (!q) return;
    for (const h of receiptHandles) {
      try {
        this.#messages.delete(q, h);
      } catch {
        // Unknown or malformed handles are ignored (the port's contract).
      }
    }
  }

  async changeVisibility(queueArn: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    this.#messages.changeVisibility(this.#queue(queueArn), receiptHandle, visibilityTimeoutSeconds);
  }

  async send(queueArn: string, body: string, opts: { messageAttributes?: Record<string, QueueMessageAttribute>; messageGroupId?: string; messageDeduplicationId?: string; delaySeconds?: number } = {}): Promise<string> {
    const q = this.#queue(queueArn);
    const m = {
      body,
      senderId: this.#queues.accountId,
      ...(opts.messageAttributes ? { messageAttributes: opts.messageAttributes } : {}),
      ...(opts.messageGroupId !== undefined ? { groupId: opts.messageGroupId } : {}),
      ...(opts.messageDeduplicationId !== undefined ? { deduplicationId: opts.messageDeduplicationId } : {}),
      ...(opts.delaySeconds !== undefined ? { delaySeconds: opts.delaySeconds } : {}),
    };
    this.#messages.validate(q, m);
    const id = this.#messages.sendAll(q, [m])[0]!.messageId;
    // Committed (kept across kill -9) now; on disk at the next group flush.
    this.#queues.store.durable().catch(() => {});
    return id;
  }

  #queue(arn: string): LiveQueue {
    const q = this.#queues.byArn(arn);
    if (!q) throw sqsErrors.queueDoesNotExist();
    return q;
  }
}
