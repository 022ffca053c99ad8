import type { Clock } from '../ports/clock.js';
import type { QueueStore } from '../ports/queue-store.js';
import { QueueService } from './queue-service.js';
import { MessageService } from './message-service.js';
import { SqsMessageQueues } from './sqs-message-queues.js';

/** The SQS-compatible queue service: queues, messages, and the MessageQueues port over them. */
export function createSqsQueues(opts: { store: QueueStore; clock: Clock; region: string; accountId: string }) {
  const queues = new QueueService(opts);
  const messages = new MessageService({ queues, clock: opts.clock });
  return { queues, messages, port: new SqsMessageQueues(queues, messages) };
}
