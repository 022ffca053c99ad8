/**
 * Async queue throughput, in process (no HTTP, no sandbox): how fast AsyncInvoker.enqueue commits
 * events (group commit, synchronous=FULL), and how fast the pollers drain them through an Invoker
 * that answers at once — the queue's own ceiling, before any function runs.
 *
 *   node --import tsx bench/async-queue-bench.ts [events=5000] [concurrency=64]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteMetadataStore } from '../src/store/sqlite-metadata-store.js';
import { SqliteEventQueue } from '../src/store/sqlite-event-queue.js';
import { InProcessEvents } from '../src/app/in-process-events.js';
import { systemClock } from '../src/app/system-clock.js';
import { Arns } from '../src/domain/function-name.js';
import { COLLECTIONS, key, versionKey } from '../src/domain/records.js';
import { FunctionService } from '../src/control/function-service.js';
import type { CodeStore } from '../src/ports/code-store.js';
import type { InvokeRequest, InvokeResult, Invoker } from '../src/ports/invoker.js';
import { createAsyncInvocation } from '../src/invoke/async/async-invocation.js';

const total = Number(process.argv[2] ?? 5000);
const concurrency = Number(process.argv[3] ?? 64);
const dir = mkdtempSync(join(tmpdir(), 'flint-async-bench-'));
const file = join(dir, 'flint.db');
const store = new SqliteMetadataStore(file);
const queue = new SqliteEventQueue({ file, clock: systemClock });
const arns = new Arns('us-east-1', '000000000000');
store.collection(COLLECTIONS.functions).put('fn', { name: 'fn', arn: arns.function('fn'), createdAt: 0, lastVersion: 0, tags: {} });
store.collection(COLLECTIONS.functionVersions).put(key('fn', versionKey('$LATEST')), { config: { FunctionName: 'fn', Version: '$LATEST', State: 'Active' }, codeSha256Hex: '', layerSha256Hex: [], createdAt: 0 });
const functions = new FunctionService({ store, arns, clock: systemClock, uuid: randomUUID, events: new InProcessEvents(), code: undefined as unknown as CodeStore });

let delivered = 0;
let allDelivered!: () => void;
const done = new Promise<void>((r) => { allDelivered = r; });
const invoker: Invoker = {
  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    if (++delivered === total) allDelivered();
    return { requestId: req.requestId!, statusCode: 200, payload: Buffer.from('null'), executedVersion: '$LATEST', functionArn: arns.function('fn') };
  },
};
const path = createAsyncInvocation({
  queue, store, targets: functions, invoker, arns, clock: systemClock, uuid: randomUUID, log: () => {}, timeScale: 1,
  options: { pollers: 4 },
});

// 1. Enqueue only (pollers not started).
const payload = Buffer.from(JSON.stringify({ hello: 'world', n: 42 }));
let next = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < total) { next++; await path.invoker.enqueue({ functionName: 'fn', payload }); }
}));
const enqueueMs = performance.now() - t0;

// 2. Drain with the pollers.
const t1 = performance.now();
path.pollers.start();
await done;
const drainMs = performance.now() - t1;
await path.pollers.stop();
console.log(JSON.stringify({
  events: total,
  enqueueConcurrency: concurrency,
  enqueuePerSec: Math.round(total / (enqueueMs / 1000)),
  drainPerSec: Math.round(total / (drainMs / 1000)),
  metrics: await path.pollers.metrics(),
}));
queue.close();
store.close();
rmSync(dir, { recursive: true, force: true });
