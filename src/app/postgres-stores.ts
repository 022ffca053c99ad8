import pg from 'pg';
import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type { BucketHoldings } from '../ports/queue-buckets.js';
import type { FileMasterKeyring } from '../store/file-master-keyring.js';
import type { FlintStores } from './stores.js';
import { PgMetadataStore } from '../store/pg/pg-metadata-store.js';
import { PgAuditLog } from '../store/pg/pg-audit-log.js';
import { PgScheduleStore } from '../store/pg/pg-schedule-store.js';
import { PgEventQueue } from '../store/pg/pg-event-queue.js';
import { PgCodeStore } from '../store/pg/pg-code-store.js';
import { PgLogStorage } from '../store/pg/pg-log-storage.js';
import { PgMetricStore } from '../store/pg/pg-metric-store.js';
import { PgQueueStore } from '../store/pg/pg-queue-store.js';

/** How often a node's metadata cache catches up with other nodes' commits (the invoke path's staleness bound). */
const REFRESH_MS = 100;

/**
 * Every store in PostgreSQL (FLINT_DATABASE_URL): metadata, code, the audit chain, schedules, the
 * async queue, the SQS-compatible queues, CloudWatch Logs and metrics are the cluster's one
 * consistent view. The SQS queues are served by the leader, whose writes are fenced by its term
 * (src/app/cluster-sqs.ts); `queues` is the unfenced store the other nodes read queues from.
 */
export async function openPostgresStores(config: FlintConfig, deps: { keyring: FileMasterKeyring; clock: Clock; log(line: string): void; pool?: pg.Pool; holdings?: BucketHoldings | undefined }): Promise<FlintStores> {
  const url = config.databaseUrl!;
  const ownPool = deps.pool === undefined;
  const pool = deps.pool ?? new pg.Pool({ connectionString: url, max: 20, application_name: 'flint', connectionTimeoutMillis: 3000, query_timeout: 5000 });
  if (ownPool) pool.on('error', (err) => deps.log(`flint: database connection lost (it reconnects on next use): ${err.message}`));
  const metadata = new PgMetadataStore(url);
  metadata.startRefreshing(REFRESH_MS);
  const audit = new PgAuditLog(url);
  const schedules = new PgScheduleStore(url);
  const code = await PgCodeStore.open({ pool, keyring: deps.keyring, dataDir: config.dataDir, clock: deps.clock });
  const eventQueue = await PgEventQueue.open({ pool, clock: deps.clock, ...(deps.holdings ? { holdings: deps.holdings } : {}) });
  // CloudWatch Logs: one view of every worker's function logs (docs/cluster.md).
  const logs = new PgLogStorage({ url, now: () => deps.clock.now(), log: deps.log });
  // CloudWatch metrics: every node's AWS/Lambda counts in one place (docs/cluster.md).
  const metrics = new PgMetricStore(url, { log: deps.log });
  const queues = PgQueueStore.open(url, { pool });
  return {
    kind: 'postgres',
    metadata,
    code,
    audit,
    schedules,
    metrics,
    eventQueue,
    queues,
    sharedQueues: queues,
    logs,
    refresh: () => metadata.refresh(),
    async close() {
      // First: it sends the environments' last lines.
      await logs.close();
      eventQueue.close();
      await code.close();
      queues.close();
      metrics.close();
      schedules.close();
      audit.close();
      metadata.close();
      if (ownPool) await pool.end();
    },
  };
}
