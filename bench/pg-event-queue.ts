/**
 * Async queue throughput on PostgreSQL (cluster mode) vs SQLite (single node), in one run, in
 * process (no HTTP, no sandbox): durable enqueues per second with 1 and 32 concurrent callers
 * (each enqueue resolves only once committed: PostgreSQL with fsync and synchronous_commit on,
 * SQLite with its log flushed), then lease + ack per second draining the queue with 4 pollers
 * (batches of 16, acks issued concurrently).
 *
 *   node --import tsx bench/pg-event-queue.ts [events=3000] [--rounds=3] [--database-url=postgres://…]
 *
 * Without --database-url it starts a throwaway PostgreSQL (test/helpers/postgres.ts) on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { SqliteMetadataStore } from '../src/store/sqlite-metadata-store.js';
import { SqliteEventQueue } from '../src/store/sqlite-event-queue.js';
import { PgEventQueue } from '../src/store/pg/pg-event-queue.js';
import { PgBucketLeaseStore } from '../src/store/pg/pg-bucket-lease-store.js';
import { QueueBuckets } from '../src/cluster/queue-buckets.js';
import { systemClock } from '../src/app/system-clock.js';
import type { EventQueue, NewQueuedEvent } from '../src/ports/event-queue.js';
import { startPostgres } from '../test/helpers/postgres.js';

export interface QueueFigures {
  enqueuePerSecC1: number;
  enqueuePerSecC32: number;
  leaseAckPerSec: number;
}

export interface PgEventQueueBench {
  events: number;
  sqlite: QueueFigures;
  postgres: QueueFigures;
  /** PostgreSQL's figure over SQLite's, per measure. */
  ratio: QueueFigures;
}

const payload = Buffer.from(JSON.stringify({ hello: 'world', n: 42 }));
let seq = 0;
const event = (functionName: string): NewQueuedEvent => ({
  requestId: `bench-${process.pid}-${++seq}`, functionName, qualifier: '$LATEST', payload, origin: 'invoke', enqueuedAt: Date.now(),
});

async function enqueueRate(queue: EventQueue, total: number, concurrency: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++;
      await queue.enqueue(event(`fn-${next % 16}`));
    }
  }));
  return Math.round(total / ((performance.now() - t0) / 1000));
}

async function leaseAckRate(queue: EventQueue, total: number, pollers = 4, batch = 16): Promise<number> {
  let acked = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: pollers }, async () => {
    for (;;) {
      const leases = await queue.lease({ max: batch, visibilityMs: 60_000 });
      if (leases.length === 0) return;
      const results = await Promise.all(leases.map((l) => queue.ack(l)));
      acked += results.filter(Boolean).length;
    }
  }));
  if (acked < total) throw new Error(`drained only ${acked} of ${total} events`);
  return Math.round(acked / ((performance.now() - t0) / 1000));
}

type Measure = keyof QueueFigures;

/**
 * One measure on one queue: enqueue at concurrency 1 (a quarter of the events), at 32, or drain
 * what is queued with lease + ack.
 */
async function measureOne(queue: EventQueue, m: Measure, events: number, queued: { n: number }): Promise<number> {
  if (m === 'leaseAckPerSec') {
    const n = queued.n;
    queued.n = 0;
    return await leaseAckRate(queue, n);
  }
  const n = m === 'enqueuePerSecC1' ? Math.max(50, Math.floor(events / 4)) : events;
  queued.n += n;
  return await enqueueRate(queue, n, m === 'enqueuePerSecC1' ? 1 : 32);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function runPgEventQueueBench(opts: { events?: number; rounds?: number; databaseUrl?: string; log?: (line: string) => void } = {}): Promise<PgEventQueueBench> {
  const events = opts.events ?? 3000;
  const rounds = opts.rounds ?? 3;
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'flint-pgq-bench-'));
  const server = opts.databaseUrl ? undefined : await startPostgres();
  try {
    const file = join(dir, 'flint.db');
    const store = new SqliteMetadataStore(file);
    const sqliteQueue = new SqliteEventQueue({ file, clock: systemClock });
    const url = opts.databaseUrl ?? (await server!.createDatabase());
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    const self = `bench-poller-${process.pid}`;
    const buckets = new QueueBuckets({ store: await PgBucketLeaseStore.open(pool), self, livePollers: () => [self], clock: systemClock });
    await buckets.start();
    const pgQueue = await PgEventQueue.open({ pool, clock: systemClock, holdings: buckets });

    // The disk's flush latency drifts on a shared host: the two stores take turns, measure by
    // measure, for several rounds, and each figure is the median of its rounds.
    const samples = { sqlite: new Map<Measure, number[]>(), postgres: new Map<Measure, number[]>() };
    const queued = { sqlite: { n: 0 }, postgres: { n: 0 } };
    const measures: Measure[] = ['enqueuePerSecC1', 'enqueuePerSecC32', 'leaseAckPerSec'];
    for (let round = 1; round <= rounds; round++) {
      for (const m of measures) {
        for (const [name, queue] of [['sqlite', sqliteQueue], ['postgres', pgQueue]] as const) {
          const v = await measureOne(queue, m, events, queued[name]);
          samples[name].set(m, [...(samples[name].get(m) ?? []), v]);
          log(`round ${round} ${name} ${m}: ${v}/s`);
        }
      }
    }
    sqliteQueue.close();
    store.close();
    pgQueue.close();
    await pgQueue.whenIdle();
    await buckets.stop();
    await pool.end();

    const figures = (name: 'sqlite' | 'postgres'): QueueFigures => ({
      enqueuePerSecC1: median(samples[name].get('enqueuePerSecC1')!),
      enqueuePerSecC32: median(samples[name].get('enqueuePerSecC32')!),
      leaseAckPerSec: median(samples[name].get('leaseAckPerSec')!),
    });
    const sqlite = figures('sqlite');
    const postgres = figures('postgres');
    const r = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    return {
      events,
      sqlite,
      postgres,
      ratio: {
        enqueuePerSecC1: r(postgres.enqueuePerSecC1, sqlite.enqueuePerSecC1),
        enqueuePerSecC32: r(postgres.enqueuePerSecC32, sqlite.enqueuePerSecC32),
        leaseAckPerSec: r(postgres.leaseAckPerSec, sqlite.leaseAckPerSec),
      },
    };
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const databaseUrl = args.find((a) => a.startsWith('--database-url='))?.slice('--database-url='.length);
  const events = Number(args.find((a) => !a.startsWith('--')) ?? 3000);
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice('--rounds='.length) ?? 3);
  const result = await runPgEventQueueBench({ events, rounds, ...(databaseUrl ? { databaseUrl } : {}), log: (l) => process.stderr.write(l + '\n') });
  console.log(JSON.stringify(result, null, 2));
}
