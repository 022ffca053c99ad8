import { Agent as HttpsAgent } from 'node:https';
import {
  ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient,
  type MessageAttributeValue,
} from '@aws-sdk/client-sqs';
import type { MessageQueues, QueueMessageAttribute, ReceivedQueueMessage } from '../ports/message-queues.js';
import type { StoredQueue } from '../ports/queue-store.js';

/**
 * The MessageQueues port on a node that does not hold the SQS queues (cluster mode: the leader
 * does): pollers' receives, deletes and visibility changes and destinations' sends go to the
 * leader's front door over the SQS API itself, signed with the cluster's root credentials —
 * the same path, checks and answers as any SQS client's. The control plane's two questions
 * (does the queue exist, what is its visibility timeout) are answered from the stored queue
 * (`catalog`), synchronously, as on the leader.
 */
export class RemoteMessageQueues implements MessageQueues {
  readonly #endpoint: () => string | undefined;
  readonly #catalog: (name: string) => StoredQueue | undefined;
  readonly #prefix: string;
  readonly #accountId: string;
  readonly #clientOptions: ConstructorParameters<typeof SQSClient>[0];
  readonly #clients = new Map<string, SQSClient>();

  constructor(o: {
    /** The leader's front door, `scheme://host:port` (undefined while none is known). */
    endpoint: () => string | undefined;
    catalog: (name: string) => StoredQueue | undefined;
    region: string;
    accountId: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
    /** CA bundle for a leader served over HTTPS. */
    ca?: string;
  }) {
    this.#endpoint = o.endpoint;
    this.#catalog = o.catalog;
    this.#prefix = `arn:aws:sqs:${o.region}:${o.accountId}:`;
    this.#accountId = o.accountId;
    this.#clientOptions = {
      region: o.region,
      credentials: o.credentials,
      // Three attempts with the SDK's backoff ride over a leader change (503 while it moves).
      maxAttempts: 3,
      // Options of the SDK's own Node handler: a long poll (up to 20 s) must not time out.
      requestHandler: {
        requestTimeout: 60_000,
        ...(o.ca ? { httpsAgent: new HttpsAgent({ keepAlive: true, ca: o.ca }) } : {}),
      },
    };
  }

  exists(queueArn: string): boolean {
    return this.#stored(queueArn) !== undefined;
  }

  visibilityTimeoutSeconds(queueArn: string): number {
    const q = this.#stored(queueArn);
    if (!q) throw new Error(`The specified queue does not exist: ${queueArn}`);
    return Number(q.attributes['VisibilityTimeout'] ?? 30);
  }

  async receive(queueArn: string, opts: { max: number; waitMs: number; visibilityTimeoutSeconds?: number; signal?: AbortSignal }): Promise<ReceivedQueueMessage[]> {
    const { client, url } = this.#call(queueArn);
    const r = await client.send(new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: Math.min(10, Math.max(1, opts.max)),
      // SQS waits whole seconds (0–20); a wait shorter than a second still waits one, not zero
      // (a zero wait in a loop would poll the leader without pause).
      WaitTimeSeconds: Math.min(20, Math.max(opts.waitMs > 0 ? 1 : 0, Math.ceil(opts.waitMs / 1000))),
      ...(opts.visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: opts.visibilityTimeoutSeconds } : {}),
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }), opts.signal ? { abortSignal: opts.signal } : {});
    return (r.Messages ?? []).map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body ?? '',
      md5OfBody: m.MD5OfBody ?? '',
      ...(m.MD5OfMessageAttributes ? { md5OfMessageAttributes: m.MD5OfMessageAttributes } : {}),
      attributes: { ...(m.Attributes ?? {}) } as Record<string, string>,
      messageAttributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, a]) => [k, fromWire(a)])),
    }));
  }

  async delete(queueArn: string, receiptHandles: string[]): Promise<void> {
    const { client, url } = this.#call(queueArn);
    for (let i = 0; i < receiptHandles.length; i += 10) {
      const chunk = receiptHandles.slice(i, i + 10);
      // Failed entries (stale handles) are ignored, as the port says; a failed call throws.
      await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: chunk.map((h, n) => ({ Id: `m${n}`, ReceiptHandle: h })) }));
    }
  }

  async changeVisibility(queueArn: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    const { client, url } = this.#call(queueArn);
    await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: receiptHandle, VisibilityTimeout: visibilityTimeoutSeconds }));
  }

  async send(queueArn: string, body: string, opts: { messageAttributes?: Record<string, QueueMessageAttribute>; messageGroupId?: string; messageDeduplicationId?: string; delaySeconds?: number } = {}): Promise<string> {
    const { client, url } = this.#call(queueArn);
    const r = await client.send(new SendMessageCommand({
      QueueUrl: url,
      MessageBody: body,
      ...(opts.messageAttributes ? { MessageAttributes: Object.fromEntries(Object.entries(opts.messageAttributes).map(([k, a]) => [k, toWire(a)])) } : {}),
      ...(opts.messageGroupId !== undefined ? { MessageGroupId: opts.messageGroupId } : {}),
      ...(opts.messageDeduplicationId !== undefined ? { MessageDeduplicationId: opts.messageDeduplicationId } : {}),
      ...(opts.delaySeconds !== undefined ? { DelaySeconds: opts.delaySeconds } : {}),
    }));
    return r.MessageId!;
  }

  close(): void {
    for (const c of this.#clients.values()) c.destroy();
    this.#clients.clear();
  }

  #stored(queueArn: string): StoredQueue | undefined {
    return queueArn.startsWith(this.#prefix) ? this.#catalog(queueArn.slice(this.#prefix.length)) : undefined;
  }

  /** The client for the leader now (one per front door, kept) and the queue's URL on it. */
  #call(queueArn: string): { client: SQSClient; url: string } {
    const endpoint = this.#endpoint();
    if (!endpoint) throw new Error('no node of the cluster leads now (the SQS queues are served by the leader): retry shortly');
    if (!queueArn.startsWith(this.#prefix)) throw new Error(`The specified queue does not exist: ${queueArn}`);
    let client = this.#clients.get(endpoint);
    if (!client) {
      client = new SQSClient({ ...this.#clientOptions, endpoint });
      this.#clients.set(endpoint, client);
    }
    return { client, url: `${endpoint.replace(/\/$/, '')}/${this.#accountId}/${queueArn.slice(this.#prefix.length)}` };
  }
}

function toWire(a: QueueMessageAttribute): MessageAttributeValue {
  return { DataType: a.DataType, ...(a.BinaryValue !== undefined ? { BinaryValue: a.BinaryValue } : { StringValue: a.StringValue ?? '' }) };
}

function fromWire(a: MessageAttributeValue): QueueMessageAttribute {
  return { DataType: a.DataType ?? 'String', ...(a.BinaryValue !== undefined ? { BinaryValue: Buffer.from(a.BinaryValue) } : { StringValue: a.StringValue ?? '' }) };
}
