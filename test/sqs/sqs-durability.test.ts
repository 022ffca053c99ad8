import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { SQSClient, CreateQueueCommand, SendMessageCommand, SendMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { TEST_CREDENTIALS } from '../helpers/flint-harness.js';

async function startChild(dataDir: string): Promise<{ proc: ChildProcess; endpoint: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join('test', 'fixtures', 'sqs', 'flint-child.ts'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  for await (const chunk of proc.stdout!) {
    buf += String(chunk);
    if (buf.includes('\n')) break;
  }
  return { proc, endpoint: JSON.parse(buf.split('\n')[0]!).endpoint };
}

test('durability: every acknowledged send survives kill -9 of the server', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-sqs-kill-'));
  try {
    const first = await startChild(dataDir);
    let sqs = new SQSClient({ endpoint: first.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'durable' }));
    const acked = new Set<string>();
    // Sends in flight when the kill lands may or may not be kept; every acknowledged one must be.
    const senders = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 25; i++) {
        if (i % 5 === 4) {
          const r = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [0, 1, 2].map((k) => ({ Id: `e${k}`, MessageBody: `w${w}-${i}-${k}` })) }));
          for (const s of r.Successful ?? []) acked.add(s.MessageId!);
        } else {
          acked.add((await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `w${w}-${i}` }))).MessageId!);
        }
      }
    });
    await Promise.all(senders);
    first.proc.kill('SIGKILL');
    await once(first.proc, 'exit');
    sqs.destroy();

    const second = await startChild(dataDir);
    sqs = new SQSClient({ endpoint: second.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const url = QueueUrl!.replace(first.endpoint, second.endpoint);
    const received = new Set<string>();
    for (;;) {
      const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 600 }))).Messages ?? [];
      if (got.length === 0) break;
      for (const m of got) received.add(m.MessageId!);
    }
    sqs.destroy();
    second.proc.kill('SIGKILL');
    await once(second.proc, 'exit');
    assert.equal(acked.size, 140);
    assert.deepEqual([...acked].filter((id) => !received.has(id)), [], 'no acknowledged message lost');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
