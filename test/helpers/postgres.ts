/**
 * A throwaway PostgreSQL server per test file (the launcher lives in src/cluster/local/ so that
 * `flint cluster up` uses the same one). Skip PostgreSQL tests with postgresSkipReason.
 */
import { startPostgresServer, type PostgresServer, type PostgresServerOptions } from '../../src/cluster/local/postgres-server.js';

export { postgresBinDir, postgresSkipReason } from '../../src/cluster/local/postgres-server.js';
export type TestPostgres = PostgresServer;

export async function startPostgres(opts: PostgresServerOptions = {}): Promise<TestPostgres> {
  return await startPostgresServer(opts);
}
