import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type pg from 'pg';
import type { FileMasterKeyring } from '../store/file-master-keyring.js';
import type { BucketHoldings } from '../ports/queue-buckets.js';
import { openSqliteStores, type FlintStores } from './stores.js';
import { openPostgresStores } from './postgres-stores.js';

/** FLINT_DATABASE_URL picks PostgreSQL (cluster mode); otherwise the embedded SQLite in the data dir. */
export async function openStores(config: FlintConfig, deps: { keyring: FileMasterKeyring; clock: Clock; log(line: string): void; pool?: pg.Pool; holdings?: BucketHoldings | undefined }): Promise<FlintStores> {
  if (config.databaseUrl !== undefined) return await openPostgresStores(config, deps);
  return openSqliteStores(config, deps);
}
