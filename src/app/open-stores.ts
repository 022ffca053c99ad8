import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type { FileMasterKeyring } from '../store/file-master-keyring.js';
import { openSqliteStores, type FlintStores } from './stores.js';

/** FLINT_DATABASE_URL picks PostgreSQL (cluster mode); otherwise the embedded SQLite in the data dir. */
export async function openStores(config: FlintConfig, deps: { keyring: FileMasterKeyring; clock: Clock; log(line: string): void }): Promise<FlintStores> {
  if (config.databaseUrl !== undefined) throw new Error('FLINT_DATABASE_URL: PostgreSQL stores are not wired yet');
  return openSqliteStores(config, deps);
}
