import type { StoredMessage, StoredQueue } from '../ports/queue-store.js';
import { parseRedrivePolicy } from './queue-attributes.js';

/** One queue in memory: its stored record, its messages in send order, and its long-poll waiters. */
export class LiveQueue {
  stored: StoredQueue;
  readonly arn: string;
  /** Messages by sequence number; a Map keeps send order. */
  readonly messages = new Map<number, StoredMessage>();
  /** Long pollers waiting for a message; each is woken (and removed) on the next send. */
  readonly waiters = new Set<() => void>();
  /** FIFO deduplication: deduplication key → message id and expiry (epoch ms). */
  readonly dedup = new Map<string, { messageId: string; sequenceNumber: string; expiresAt: number }>();
  /** Epoch ms of the last PurgeQueue (one per 60 s). */
  lastPurgeAt = 0;
  /** FIFO: ReceiveRequestAttemptId → the messages that attempt returned, for 5 minutes. */
  readonly attempts = new Map<string, { seqs: number[]; expiresAt: number }>();
  deleted = false;

  constructor(stored: StoredQueue, arn: string) {
    this.stored = stored;
    this.arn = arn;
  }

  get name(): string {
    return this.stored.name;
  }

  get fifo(): boolean {
    return this.stored.attributes['FifoQueue'] === 'true';
  }

  num(attribute: string): number {
    return Number(this.stored.attributes[attribute] ?? 0);
  }

  get redrive(): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
    const p = this.stored.attributes['RedrivePolicy'];
    return p ? parseRedrivePolicy(p) : undefined;
  }

  /** Wakes every long poller (a message became available). */
  wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Message counts as GetQueueAttributes reports them. */
  counts(now: number): { visible: number; notVisible: number; delayed: number } {
    let visible = 0;
    let notVisible = 0;
    let delayed = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible++;
      else if (m.receiveCount > 0) notVisible++;
      else delayed++;
    }
    return { visible, notVisible, delayed };
  }
}
