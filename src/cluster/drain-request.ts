import pg from 'pg';

export type DrainOutcome =
  | { ok: true; previous: 'active' | 'draining' }
  | { ok: false; reason: 'unknown-node' | 'not-a-worker' | 'dead' };

/**
 * Asks worker `nodeId` to drain, through the database: its members row goes to `draining`. The
 * worker sees it on its next heartbeat and stops taking new work, finishes what is in flight and
 * moves its provisioned environments before it stops; api nodes stop routing to it as soon as
 * their membership view shows the state (the routing side's `active`-only candidate list).
 * Idempotent: draining a draining worker is fine.
 */
export async function requestDrain(databaseUrl: string, nodeId: string): Promise<DrainOutcome> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const r = await client.query<{ roles: string[]; state: string; live: boolean }>(
      `SELECT roles, state, lease_expires_at > now() AS live FROM members WHERE id = $1`, [nodeId]);
    const row = r.rows[0];
    if (!row) return { ok: false, reason: 'unknown-node' };
    if (!row.roles.includes('worker')) return { ok: false, reason: 'not-a-worker' };
    if (row.state === 'dead' || !row.live) return { ok: false, reason: 'dead' };
    if (row.state === 'draining') return { ok: true, previous: 'draining' };
    await client.query(`UPDATE members SET state = 'draining' WHERE id = $1 AND state = 'active'`, [nodeId]);
    return { ok: true, previous: 'active' };
  } finally {
    await client.end();
  }
}
