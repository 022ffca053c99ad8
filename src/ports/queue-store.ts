/** A queue as stored: its settable attributes, tags and timestamps (seconds since the epoch). */
export interface StoredQueue {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  createdAt: number;
  lastModifiedAt: number;
}

/** A message's fields that never change after it is sent. */
export interface StoredMessageBody {
  id: string;
  body: string;
  md5OfBody: string;
  /** Message attributes, BinaryValue base64-encoded. */
  messageAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  md5OfMessageAttributes?: string;
  systemAttributes?: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }>;
  md5OfMessageSystemAttributes?: string;
  sentAt: number;
  senderId: string;
  groupId?: string;
  deduplicationId?: string;
  sequenceNumber?: string;
  /** Set when the message was moved from a source queue's redrive (kept for its attributes). */
  deadLetterQueueSourceArn?: string;
}

/** A message as stored: its body and its delivery state. */
export interface StoredMessage {
  seq: number;
  queue: string;
  message: StoredMessageBody;
  /** Epoch ms when the message is next visible. */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt: number;
  /** The token of the latest receipt handle (empty before the first receive). */
  receipt: string;
}

/**
 * Durable storage for the SQS-compatible queues. Every write has reached the disk when the call
 * returns: SendMessage answers only after that, so an acknowledged message survives kill -9 and
 * power loss.
 */
export interface QueueStore {
  loadQueues(): StoredQueue[];
  /** Every message, in send order. */
  loadMessages(): StoredMessage[];
  putQueue(q: StoredQueue): void;
  /** Removes the queue and its messages. */
  deleteQueue(name: string): void;
  /** Inserts messages in one transaction; returns their sequence numbers in order. */
  insertMessages(msgs: Array<Omit<StoredMessage, 'seq'>>): number[];
  /** Records new delivery states (receives, visibility changes) in one transaction. */
  updateMessages(updates: Array<Pick<StoredMessage, 'seq' | 'visibleAt' | 'receiveCount' | 'firstReceiveAt' | 'receipt'>>): void;
  deleteMessages(seqs: number[]): void;
  /** Moves a message to another queue (dead-letter redrive) as a fresh, never-received message. */
  moveMessage(seq: number, toQueue: string, message: StoredMessageBody, visibleAt: number): void;
  purge(queue: string): void;
  close(): void;
}
