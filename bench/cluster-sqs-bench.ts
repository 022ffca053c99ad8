/**
 * SQS-compatible queues in a cluster (docs/cluster.md): SendMessage and receive+DeleteMessageBatch
 * through the leader (which serves the queues, over PostgreSQL) and through the other api node
 * (which forwards each request to the leader), against a single node on SQLite in the same run.
 * Each node is its own process; PostgreSQL runs with fsync on (an acknowledged send is on disk,
 * as SQLite's fdatasync makes it). Every process is stopped by PID at the end.
 *
 *   node --import tsx bench/cluster-sqs-bench.ts [messages=2000] [concurrency=16]
 */
import './lib/quiet-warnings.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SQSClient, CreateQueueCommand, SendMessageCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import { createClusterCa } from '../src/cluster/cluster-ca.js';
import { loadMasterKeyring, loadRootCredentials } from '../src/app/secrets.js';
import { startPostgresServer } from '../src/cluster/local/postgres-server.js';
import { startChild, type BenchChild } from './lib/child.js';
import type { ClusterNodeReady } from './sections/cluster-node-child.js';

const total = Number(process.argv[2] ?? 2000);
const concurrency = Number(process.argv[3] ?? 16);
const loadavg = () => execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ');
const work = mkdtempSync(join(tmpdir(), 'flint-bench-cluster-sqs-'));
const nodes: Array<BenchChild<ClusterNodeReady>> = [];
const postgres = await startPostgresServer({ fsync: true, maxConnections: 100 });
const before = loadavg();

async function rates(label: string, n: BenchChild<ClusterNodeReady>): Promise<{ send: number; receiveDelete: number }> {
  const sqs = new SQSClient({ endpoint: n.ready.endpoint, region: n.ready.region, credentials: { accessKeyId: n.ready.accessKeyId, secretAccessKey: n.ready.secretAccessKey }, maxAttempts: 1 });
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-${label.replace(/[^a-z]/g, '')}` }));
    // Warm-up: connections and JIT.
    for (let i = 0; i < 200; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `w${i}` }));
    let next = 0;
    let t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${next}` }));
      }
    }));
    const send = total / ((performance.now() - t0) / 1000);
    const want = total + 200;
    let received = 0;
    t0 = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (received < want) {
        const got = (await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];
        if (got.length === 0) continue;
        received += got.length;
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: got.map((m, k) => ({ Id: String(k), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }));
    const receiveDelete = want / ((performance.now() - t0) / 1000);
    console.log(`${label.padEnd(34)} SendMessage ${Math.round(send)} messages/s | ReceiveMessage(10)+DeleteMessageBatch ${Math.round(receiveDelete)} messages/s`);
    return { send, receiveDelete };
  } finally {
    sqs.destroy();
  }
}

try {
  const clusterDir = join(work, 'cluster');
  await createClusterCa(clusterDir, Date.now());
  loadRootCredentials(clusterDir);
  loadMasterKeyring(clusterDir);
  const pgCfg = { databaseUrl: postgres.url, clusterDir, internalPort: 0, advertiseHost: '127.0.0.1' };
  const start = async (name: string, cfg: Record<string, unknown>) => {
    const n = await startChild<ClusterNodeReady>('sections/cluster-node-child.ts', { args: [JSON.stringify({ dataDir: join(work, name), ...cfg })], readyTimeoutMs: 90_000 });
    nodes.push(n);
    return n;
  };
  const single = await start('single', { role: 'all', sandbox: 'process' });
  const api1 = await start('api1', { role: 'api', ...pgCfg });
  const api2 = await start('api2', { role: 'api', ...pgCfg });
  const pool = new pg.Pool({ connectionString: postgres.url, max: 1 });
  const leaderUrl = async () => (await pool.query<{ api_url: string }>(`SELECT m.api_url FROM leader_leases l JOIN members m ON m.id = l.holder WHERE l.expires_at > now()`)).rows[0]?.api_url;
  for (let i = 0; i < 100 && !(await leaderUrl()); i++) await new Promise((r) => setTimeout(r, 100));
  const url = await leaderUrl();
  await pool.end();
  const leader = [api1, api2].find((n) => n.ready.endpoint === url);
  if (!leader) throw new Error(`no api node leads (leader's URL: ${url})`);
  const follower = leader === api1 ? api2 : api1;
  // The follower learns the leader's front door within its directory's refresh (1 s).
  await new Promise((r) => setTimeout(r, 1500));
  console.log(`cluster SQS bench: ${total} messages, ${concurrency} clients; load average before ${before}`);
  const s = await rates('single node (SQLite)', single);
  const l = await rates('cluster, via the leader (PostgreSQL)', leader);
  const f = await rates('cluster, via the other api node', follower);
  console.log(`load average after ${loadavg()}`);
  console.log(JSON.stringify({
    leaderOverSingle: { send: +(l.send / s.send).toFixed(2), receiveDelete: +(l.receiveDelete / s.receiveDelete).toFixed(2) },
    forwardedOverLeader: { send: +(f.send / l.send).toFixed(2), receiveDelete: +(f.receiveDelete / l.receiveDelete).toFixed(2) },
  }));
} finally {
  for (const n of nodes) await n.stop().catch(() => undefined);
  await postgres.stop();
  rmSync(work, { recursive: true, force: true });
}
