import { createHash, randomUUID } from 'node:crypto';
import type { MessageQueues, QueueMessageAttribute, ReceivedQueueMessage } from '../../src/ports/message-queues.js';

interface Msg {
  id: string;
  body: string;
  attrs: Record<string, QueueMessageAttribute>;
  groupId?: string;
  sentAt: number;
  firstReceiveAt?: number;
  receives: number;
  visibleAt: number;
  handle?: string;
}

/**
 * A test double of the MessageQueues port for unit tests of the pollers (the end-to-end tests use
 * the real queue service): visibility timeouts, receive counts, redrive to a dead-letter queue
 * after `maxReceiveCount`, long polling by short sleeps.
 */
export class InMemoryQueues implements MessageQueues {
  readonly queues = new Map<string, { visibility: number; msgs: Msg[]; redrive?: { dlq: string; maxReceiveCount: number } }>();
  deletes = 0;

  create(arn: string, opts: { visibility?: number; redrive?: { dlq: string; maxReceiveCount: number } } = {}): void {
    this.queues.set(arn, { visibility: opts.visibility ?? 30, msgs: [], ...(opts.redrive ? { redrive: opts.redrive } : {}) });
  }

  exists(arn: string): boolean {
    return this.queues.has(arn);
  }

  visibilityTimeoutSeconds(arn: string): number {
    return this.#q(arn).visibility;
  }

  /** Messages still in the queue (visible or in flight). */
  size(arn: string): number {
    return this.#q(arn).msgs.length;
  }

  bodies(arn: string): string[] {
    return this.#q(arn).msgs.map((m) => m.body);
  }

  async receive(arn: string, opts: { max: number; waitMs: number; visibilityTimeoutSeconds?: number; signal?: AbortSignal }): Promise<ReceivedQueueMessage[]> {
    const deadline = Date.now() + opts.waitMs;
    for (;;) {
      const got = this.#take(arn, opts.max, opts.visibilityTimeoutSeconds);
      if (got.length > 0 || Date.now() >= deadline || opts.signal?.aborted) return got;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #take(arn: string, max: number, visibility?: number): ReceivedQueueMessage[] {
    const q = this.#q(arn);
    const now = Date.now();
    const out: ReceivedQueueMessage[] = [];
    const busyGroups = new Set(q.msgs.filter((m) => m.groupId !== undefined && m.visibleAt > now).map((m) => m.groupId));
    for (const m of [...q.msgs]) {
      if (out.length >= max) break;
      if (m.visibleAt > now || (m.groupId !== undefined && busyGroups.has(m.groupId))) continue;
      if (q.redrive && m.receives >= q.redrive.maxReceiveCount) {
        q.msgs.splice(q.msgs.indexOf(m), 1);
        const dlq = this.#q(q.redrive.dlq);
        dlq.msgs.push({ ...m, receives: 0, visibleAt: 0 });
        continue;
      }
      m.receives++;
      m.firstReceiveAt ??= now;
      m.visibleAt = now + (visibility ?? q.visibility) * 1000;
      m.handle = randomUUID();
      out.push({
        messageId: m.id,
        receiptHandle: m.handle,
        body: m.body,
        md5OfBody: createHash('md5').update(m.body).digest('hex'),
        attributes: {
          ApproximateReceiveCount: String(m.receives),
          SentTimestamp: String(m.sentAt),
          SenderId: 'AIDATESTSENDER',
          ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt),
          ...(m.groupId !== undefined ? { MessageGroupId: m.groupId } : {}),
        },
        messageAttributes: m.attrs,
      });
    }
    return out;
  }

  async delete(arn: string, handles: string[]): Promise<void> {
    const q = this.#q(arn);
    q.msgs = q.msgs.filter((m) => !(m.handle && handles.includes(m.handle)));
    this.deletes += handles.length;
  }

  async changeVisibility(arn: string, handle: string, seconds: number): Promise<void> {
    const m = this.#q(arn).msgs.find((x) => x.handle === handle);
    if (m) m.visibleAt = Date.now() + seconds * 1000;
  }

  async send(arn: string, body: string, opts: { messageAttributes?: Record<string, QueueMessageAttribute>; messageGroupId?: string } = {}): Promise<string> {
    const id = randomUUID();
    this.#q(arn).msgs.push({ id, body, attrs: opts.messageAttributes ?? {}, ...(opts.messageGroupId !== undefined ? { groupId: opts.messageGroupId } : {}), sentAt: Date.now(), receives: 0, visibleAt: 0 });
    return id;
  }

  #q(arn: string) {
    const q = this.queues.get(arn);
    if (!q) throw new Error(`no queue ${arn}`);
    return q;
  }
}
