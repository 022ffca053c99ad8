/**
 * Queue → function throughput of an SQS event source mapping, end to end in one Flint (real queue
 * service, real pollers, a real Node.js function on the process driver): N messages are sent in
 * batches of 10, then a mapping (BatchSize 10) drains them. Printed beside it, for a ratio, the
 * rate of the same work done by one client calling Invoke with batches of 10 records in a loop.
 *
 *   node --import tsx bench/esm-sqs-bench.ts [messages=2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient, CreateFunctionCommand, GetFunctionConfigurationCommand, CreateEventSourceMappingCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { SQSClient, CreateQueueCommand, SendMessageBatchCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { loadConfig } from '../src/app/config.js';
import { startFlint } from '../src/app/flint-app.js';
import { makeZip } from '../test/helpers/zip.js';

const total = Number(process.argv[2] ?? 2000);
const credentials = { accessKeyId: 'AKIABENCHFLINT000001', secretAccessKey: 'bench-secret-key-for-flint-only-0000000' };
const dataDir = mkdtempSync(join(tmpdir(), 'flint-esm-bench-'));
const config = loadConfig({ host: '127.0.0.1', port: 0, dataDir, sandbox: 'process', auth: 'off', quiet: true, ...credentials }, {});
const app = await startFlint(config, { log: () => {} });
const lambda = new LambdaClient({ endpoint: app.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const sqs = new SQSClient({ endpoint: app.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
try {
  await lambda.send(new CreateFunctionCommand({
    FunctionName: 'sink', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/lambda-role', Handler: 'index.handler',
    Code: { ZipFile: await makeZip({ 'index.js': 'exports.handler = async (e) => ({ n: e.Records.length });' }) },
  }));
  while ((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'sink' }))).State !== 'Active') await new Promise((r) => setTimeout(r, 20));
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }))).QueueUrl!;
  const body = JSON.stringify({ order: 1, items: ['a', 'b'], note: 'x'.repeat(200) });
  for (let i = 0; i < total; i += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: Array.from({ length: Math.min(10, total - i) }, (_, j) => ({ Id: String(j), MessageBody: body })) }));
  }
  const left = async () => {
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }))).Attributes!;
    return Number(a['ApproximateNumberOfMessages']) + Number(a['ApproximateNumberOfMessagesNotVisible']);
  };
  const t0 = performance.now();
  await lambda.send(new CreateEventSourceMappingCommand({ EventSourceArn: `arn:aws:sqs:us-east-1:000000000000:bench`, FunctionName: 'sink', BatchSize: 10 }));
  while ((await left()) > 0) await new Promise((r) => setTimeout(r, 20));
  const esmMs = performance.now() - t0;

  // The same batches through Invoke from one client, sequentially (warm).
  const records = JSON.stringify({ Records: Array.from({ length: 10 }, () => ({ body })) });
  const n = Math.min(200, total / 10);
  const t1 = performance.now();
  for (let i = 0; i < n; i++) await lambda.send(new InvokeCommand({ FunctionName: 'sink', Payload: Buffer.from(records) }));
  const invokeMs = performance.now() - t1;
  const esmPerSec = total / (esmMs / 1000);
  const invokePerSec = (n * 10) / (invokeMs / 1000);
  console.log(JSON.stringify({
    messages: total,
    esmMessagesPerSec: Math.round(esmPerSec),
    sequentialInvokeMessagesPerSec: Math.round(invokePerSec),
    ratioEsmToSequentialInvoke: Number((esmPerSec / invokePerSec).toFixed(2)),
  }));
} finally {
  lambda.destroy();
  sqs.destroy();
  await app.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
