import type pg from 'pg';
import { applyClusterDdl } from './cluster-schema.js';

/** What one worker reported for one provisioned concurrency config. */
export interface ProvisionedAllocation {
  nodeId: string;
  version: string;
  allocated: number;
  requested: number;
  status: 'READY' | 'IN_PROGRESS' | 'FAILED';
}

/**
 * Per worker, what it has provisioned for each config: the handoff's evidence. A worker giving a
 * config up (a drain, a new worker earlier in the rendezvous order) keeps its environments until
 * the new owner's row shows the full count, so provisioned concurrency never dips during a move.
 * The function's own status (GetProvisionedConcurrencyConfig) stays in the metadata store, written
 * by the owner alone.
 */
export interface ProvisionedAllocations {
  report(functionName: string, qualifier: string, a: ProvisionedAllocation): Promise<void>;
  read(functionName: string, qualifier: string, nodeId: string): Promise<ProvisionedAllocation | undefined>;
  forget(functionName: string, qualifier: string, nodeId: string): Promise<void>;
}

/** The table behind ProvisionedAllocations in PostgreSQL (created here, idempotently). */
export class PgProvisionedAllocations implements ProvisionedAllocations {
  readonly #pool: pg.Pool;

  private constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  static async open(pool: pg.Pool): Promise<PgProvisionedAllocations> {
    await applyClusterDdl(pool, `CREATE TABLE IF NOT EXISTS provisioned_allocations (
        function_name text NOT NULL, qualifier text NOT NULL, node_id text NOT NULL, version text NOT NULL,
        allocated int NOT NULL, requested int NOT NULL, status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (function_name, qualifier, node_id))`);
    return new PgProvisionedAllocations(pool);
  }

  async report(functionName: string, qualifier: string, a: ProvisionedAllocation): Promise<void> {
    await this.#pool.query(`INSERT INTO provisioned_allocations (function_name, qualifier, node_id, version, allocated, requested, status, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, now())
        ON CONFLICT (function_name, qualifier, node_id) DO UPDATE SET version = EXCLUDED.version, allocated = EXCLUDED.allocated,
          requested = EXCLUDED.requested, status = EXCLUDED.status, updated_at = now()`,
    [functionName, qualifier, a.nodeId, a.version, a.allocated, a.requested, a.status]);
  }

  async read(functionName: string, qualifier: string, nodeId: string): Promise<ProvisionedAllocation | undefined> {
    const r = await this.#pool.query<{ node_id: string; version: string; allocated: number; requested: number; status: ProvisionedAllocation['status'] }>(
      `SELECT node_id, version, allocated, requested, status FROM provisioned_allocations WHERE function_name = $1 AND qualifier = $2 AND node_id = $3`,
      [functionName, qualifier, nodeId]);
    const row = r.rows[0];
    return row ? { nodeId: row.node_id, version: row.version, allocated: row.allocated, requested: row.requested, status: row.status } : undefined;
  }

  async forget(functionName: string, qualifier: string, nodeId: string): Promise<void> {
    await this.#pool.query('DELETE FROM provisioned_allocations WHERE function_name = $1 AND qualifier = $2 AND node_id = $3', [functionName, qualifier, nodeId]);
  }
}

/** Housekeeping: rows of workers no longer in the members table (reaped), the number deleted. */
export async function reapOrphanAllocations(db: pg.Pool | pg.ClientBase): Promise<number> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('provisioned_allocations')::text AS t`);
  if (!exists.rows[0]?.t) return 0;
  const r = await db.query('DELETE FROM provisioned_allocations a WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = a.node_id)');
  return r.rowCount ?? 0;
}
