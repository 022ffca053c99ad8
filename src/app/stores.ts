import { join } from 'node:path';
import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { CodeStore } from '../ports/code-store.js';
import type { MasterWrappedStore } from '../ports/master-keyring.js';
import type { AuditStore } from '../ports/audit-store.js';
import type { ScheduleStore } from '../ports/schedule-store.js';
import type { MetricStore } from '../ports/metric-store.js';
import type { EventQueue } from '../ports/event-queue.js';
import type { QueueStore } from '../ports/queue-store.js';
import type { LogStorage } from '../ports/log-storage.js';
import type { FileMasterKeyring } from '../store/file-master-keyring.js';
import type { PgQueueStore } from '../store/pg/pg-queue-store.js';
import { SqliteMetadataStore } from '../store/sqlite-metadata-store.js';
import { EncryptedCodeStore } from '../store/encrypted-code-store.js';
import { SqliteAuditLog } from '../store/sqlite-audit-log.js';
import { SqliteScheduleStore } from '../store/sqlite-schedule-store.js';
import { SqliteMetricStore } from '../store/sqlite-metric-store.js';
import { SqliteEventQueue } from '../store/sqlite-event-queue.js';
import { SqliteQueueStore } from '../store/sqlite-queue-store.js';

/**
 * Every store a Flint node uses, behind its port: the embedded SQLite in the data dir (one node),
 * or PostgreSQL shared by a cluster (src/app/postgres-stores.ts). Services never learn which.
 */
export interface FlintStores {
  readonly kind: 'sqlite' | 'postgres';
  readonly metadata: MetadataStore;
  readonly code: CodeStore & MasterWrappedStore;
  readonly audit: AuditStore;
  readonly schedules: ScheduleStore;
  /** CloudWatch metrics (a cluster's in PostgreSQL, so any api node counts every worker's invocations). */
  readonly metrics: MetricStore;
  readonly eventQueue: EventQueue;
  /** SQS-compatible queues. */
  readonly queues: QueueStore;
  /** Cluster mode: the queues' store in PostgreSQL, which the leader serves them over (fenced by its term). */
  readonly sharedQueues?: PgQueueStore;
  /**
   * CloudWatch Logs shared by a cluster's nodes (PostgreSQL): the environments write there and
   * every api node reads it. Absent: each node keeps its logs in its data dir (FileLogStorage).
   */
  readonly logs?: LogStorage;
  /**
   * Catches the node's read caches up with what other nodes committed; the front door awaits it
   * before control-plane requests (read-your-writes across nodes). Absent: nothing is cached.
   */
  refresh?(): Promise<void>;
  close(): Promise<void>;
}

/** One node on flint.db: the queues keep their own fsync-on-commit connections to the same file. */
export function openSqliteStores(config: FlintConfig, deps: { keyring: FileMasterKeyring; clock: Clock }): FlintStores {
  const file = join(config.dataDir, 'flint.db');
  const metadata = new SqliteMetadataStore(file);
  const code = new EncryptedCodeStore({ dataDir: config.dataDir, keyring: deps.keyring, db: metadata.db, now: () => deps.clock.now() });
  const eventQueue = new SqliteEventQueue({ file, clock: deps.clock });
  const queues = new SqliteQueueStore(file);
  return {
    kind: 'sqlite',
    metadata,
    code,
    audit: new SqliteAuditLog(metadata.db),
    schedules: new SqliteScheduleStore(metadata.db),
    metrics: new SqliteMetricStore(metadata.db),
    eventQueue,
    queues,
    async close() {
      eventQueue.close();
      queues.close();
      metadata.close();
    },
  };
}
