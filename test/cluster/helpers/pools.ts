import pg from 'pg';

/**
 * A pool as a node would configure one for cluster mode: short connect and query timeouts, so a
 * cut or paused database fails requests instead of hanging them, and an 'error' listener (an idle
 * client whose server went away emits one; unhandled, it would end the process).
 */
export function nodePool(url: string, max = 4, o: { connectTimeoutMs?: number; queryTimeoutMs?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: o.connectTimeoutMs ?? 1000, query_timeout: o.queryTimeoutMs ?? 5000 });
  pool.on('error', () => undefined);
  return pool;
}

/** Waits (in real time, up to `ms`) until `cond` holds; fails with `what` otherwise. Not a timing assertion: a bound on a liveness wait. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
