/**
 * Flint's SQS-compatible queues as the rest of the platform uses them: event source mappings poll
 * them, async invocation destinations and dead-letter targets send to them. Queues are addressed
 * by ARN (`arn:aws:sqs:<region>:<account>:<name>`), as Lambda's configurations name them.
 *
 * What changes messages is asynchronous: in a cluster the queues live on one node (the leader)
 * and other nodes reach them over the SQS API. The two questions the control plane asks while
 * validating a configuration stay synchronous: any node can answer them from the stored queues.
 */
export interface QueueMessageAttribute {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Buffer;
}

export interface ReceivedQueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** MD5 of the body, hex (SQS's MD5OfBody). */
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  /** SQS system attributes: ApproximateReceiveCount, SentTimestamp, SenderId, ApproximateFirstReceiveTimestamp, MessageGroupId, … */
  attributes: Record<string, string>;
  messageAttributes: Record<string, QueueMessageAttribute>;
}

export interface MessageQueues {
  /** Whether the queue exists (event source mappings refuse a missing queue; destinations fail delivery). */
  exists(queueArn: string): boolean;
  /** The queue's VisibilityTimeout in seconds (Lambda requires it to be ≥ the function's timeout). */
  visibilityTimeoutSeconds(queueArn: string): number;
  /** Receives up to `max` (1–10) messages, waiting up to `waitMs` for the first; each becomes invisible for `visibilityTimeoutSeconds` (or the queue's). */
  receive(queueArn: string, opts: { max: number; waitMs: number; visibilityTimeoutSeconds?: number; signal?: AbortSignal }): Promise<ReceivedQueueMessage[]>;
  /** Deletes received messages by receipt handle; unknown or stale handles are ignored. */
  delete(queueArn: string, receiptHandles: string[]): Promise<void>;
  /** Changes a received message's remaining invisibility (0 makes it visible again at once). */
  changeVisibility(queueArn: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void>;
  /** Sends one message, as SendMessage does (for destinations and dead-letter targets); resolves to its id once stored. */
  send(queueArn: string, body: string, opts?: { messageAttributes?: Record<string, QueueMessageAttribute>; messageGroupId?: string; messageDeduplicationId?: string; delaySeconds?: number }): Promise<string>;
}
