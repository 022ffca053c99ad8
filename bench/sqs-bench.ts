/**
 * SQS-compatible queue throughput over HTTP with SDK v3 (json 1.0), one Flint in process:
 * SendMessage (one message per request, each committed with fsync before the answer),
 * SendMessageBatch (10 per request, one commit), and receive+DeleteMessageBatch draining.
 *
 *   node --import tsx bench/sqs-bench.ts [messages=2000] [concurrency=16]
 */
import { SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { startHarness, TEST_CREDENTIALS } from '../test/helpers/flint-harness.js';

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const h = await startHarness({ logLevel: 'error' } as never);
const sqs = new SQSClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));

async function timed(label: string, n: number, work: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await work(next++);
  }));
  const rate = total / ((performance.now() - t0) / 1000);
  console.log(`${label}: ${Math.round(rate)} messages/s`);
  return rate;
}

const single = await timed('SendMessage (1 per request)', total, async (i) => {
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
});
const drain = async (label: string) => {
  let received = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (received < total) {
      const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
      if (got.length === 0) continue;
      received += got.length;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }));
  const rate = total / ((performance.now() - t0) / 1000);
  console.log(`${label}: ${Math.round(rate)} messages/s`);
  return rate;
};
const drained1 = await drain('ReceiveMessage (10) + DeleteMessageBatch');
const batch = await timed('SendMessageBatch (10 per request)', total / 10, async (i) => {
  await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, k) => ({ Id: String(k), MessageBody: `b${i}-${k}` })) }));
});
const drained2 = await drain('ReceiveMessage (10) + DeleteMessageBatch, again');
console.log(JSON.stringify({ sendPerSec: Math.round(single), batchSendPerSec: Math.round(batch), receiveDeletePerSec: Math.round((drained1 + drained2) / 2), batchOverSingle: +(batch / single).toFixed(2) }));
sqs.destroy();
await h.stop();
