import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { TooManyRequestsException } from '../domain/errors.js';
import { ensureClusterSchema } from './cluster-schema.js';

export type TokenThrottleReason = 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded';

export interface TokenRequest {
  functionName: string;
  /** The function's reserved concurrency, when set. */
  reserved?: number;
  /** The account's concurrency limit. */
  accountLimit: number;
  /** Executions the account's functions took out of the unreserved pool (the sum of reservations; LeaseRequest.committed). */
  committed: number;
  /** The function's timeout: a token not released by then (plus the margin) is reaped. */
  timeoutMs: number;
}

export interface ConcurrencyToken {
  readonly token: string;
  readonly kind: 'reserved' | 'unreserved';
}

export type TokenOutcome = ConcurrencyToken | { readonly kind: 'throttle'; readonly reason: TokenThrottleReason };

export interface ConcurrencyTokensOptions {
  pool: pg.Pool;
  /** The api node taking tokens (its member id): a dead node's tokens are reaped. */
  nodeId: string;
  /** Added to the function's timeout before an unreleased token expires (default 30 s). */
  marginMs?: number;
}

/** The unreserved pool's counter; function names cannot be empty, so it never collides with one. */
const UNRESERVED = '';

/**
 * Exact concurrency counting across api nodes, one PostgreSQL row per in-flight invocation, with the
 * single-node rules of src/invoke/concurrency-policy.ts (AWS "Lambda function scaling"):
 *   - reserved concurrency 0 throttles everything;
 *   - a function with reserved concurrency runs while fewer than that many of its invocations run
 *     (ReservedFunctionConcurrentInvocationLimitExceeded beyond);
 *   - any other function draws on the unreserved pool, the account limit minus the reservations
 *     (ConcurrentInvocationLimitExceeded when it is used up).
 * Provisioned concurrency is placed per worker by the leader and is not counted here.
 *
 * Each scope (a reserved function, or the unreserved pool) has a counter row. Acquiring is one
 * statement: an upsert that raises the counter only `WHERE in_use < limit`, and the token row
 * inserted from its result. Concurrent acquisitions on any node serialise on the counter's row lock
 * and PostgreSQL re-checks the condition on the latest row version, so the limit holds exactly,
 * in one round trip. Releasing deletes the token and lowers its counter in one statement too.
 * (CLUSTER.md's token blocks trade this exactness for fewer writes; this is the exact variant.)
 */
export class ConcurrencyTokens {
  readonly #pool: pg.Pool;
  readonly #nodeId: string;
  readonly #marginMs: number;

  constructor(o: ConcurrencyTokensOptions) {
    this.#pool = o.pool;
    this.#nodeId = o.nodeId;
    this.#marginMs = o.marginMs ?? 30_000;
  }

  static async start(o: ConcurrencyTokensOptions): Promise<ConcurrencyTokens> {
    await ensureClusterSchema(o.pool);
    return new ConcurrencyTokens(o);
  }

  async acquire(req: TokenRequest): Promise<TokenOutcome> {
    const reservedRule = req.reserved !== undefined;
    const reason: TokenThrottleReason = reservedRule ? 'ReservedFunctionConcurrentInvocationLimitExceeded' : 'ConcurrentInvocationLimitExceeded';
    const limit = reservedRule ? req.reserved! : req.accountLimit - req.committed;
    if (limit <= 0) return { kind: 'throttle', reason };
    const scope = reservedRule ? req.functionName : UNRESERVED;
    const kind = reservedRule ? 'reserved' : 'unreserved';
    let token = await this.#take(scope, limit, req);
    // At the limit: tokens that outlived their invocation (expired, or held by a dead node) may be
    // what fills it. Reap this scope's and try once more, so counting heals without a leader.
    if (!token && (await reapConcurrencyTokens(this.#pool, { scope })) > 0) token = await this.#take(scope, limit, req);
    return token ? { token, kind } : { kind: 'throttle', reason };
  }

  async release(token: string | ConcurrencyToken): Promise<void> {
    const id = typeof token === 'string' ? token : token.token;
    await this.#pool.query(`WITH gone AS (DELETE FROM concurrency_tokens WHERE token = $1 RETURNING scope)
      UPDATE concurrency_counters c SET in_use = c.in_use - 1 FROM gone WHERE c.scope = gone.scope`, [id]);
  }

  /**
   * Runs `fn` under a token and always gives it back; a throttle is Lambda's 429
   * TooManyRequestsException "Rate Exceeded." with the Reason field and Retry-After, as
   * ConcurrencyLeases throws on a single node.
   */
  async withToken<T>(req: TokenRequest, fn: (token: ConcurrencyToken) => Promise<T>): Promise<T> {
    const got = await this.acquire(req);
    if (got.kind === 'throttle') throw new TooManyRequestsException('Rate Exceeded.', { fields: { Reason: got.reason }, headers: { 'retry-after': '1' } });
    try {
      return await fn(got);
    } finally {
      await this.release(got).catch(() => undefined);
    }
  }

  /** Tokens held now for a function (every api node, any pool). */
  async running(functionName: string): Promise<number> {
    const r = await this.#pool.query<{ n: number }>('SELECT count(*)::int AS n FROM concurrency_tokens WHERE function_name = $1', [functionName]);
    return r.rows[0]!.n;
  }

  async #take(scope: string, limit: number, req: TokenRequest): Promise<string | undefined> {
    const r = await this.#pool.query<{ token: string }>(`WITH counted AS (
        INSERT INTO concurrency_counters (scope, in_use) VALUES ($1, 1)
        ON CONFLICT (scope) DO UPDATE SET in_use = concurrency_counters.in_use + 1 WHERE concurrency_counters.in_use < $2
        RETURNING scope)
      INSERT INTO concurrency_tokens (token, scope, function_name, node_id, expires_at)
      SELECT $3, scope, $4, $5, now() + $6 * interval '1 millisecond' FROM counted
      RETURNING token`, [scope, limit, randomUUID(), req.functionName, this.#nodeId, req.timeoutMs + this.#marginMs]);
    return r.rows[0]?.token;
  }
}

/**
 * Deletes tokens that expired (their invocation outlived its timeout plus the margin) and tokens of
 * api nodes whose membership lease ended more than `deadNodeGraceMs` ago, lowering the counters to
 * match; the number reaped. A node without a member row (not registered yet, or its row already
 * reaped) keeps its tokens until they expire, so the leader reaps tokens before dead members. The
 * leader runs it for every scope; `acquire` runs it for one scope when at the limit.
 *
 * Reaping a dead node's tokens at once frees its slots quickly but can over-admit while invocations
 * it routed still run on workers; a grace of the longest function timeout makes the limit exact
 * through api node failures, at the cost of holding those slots that long.
 */
export async function reapConcurrencyTokens(db: pg.Pool | pg.ClientBase, opts: { scope?: string; deadNodeGraceMs?: number } = {}): Promise<number> {
  const r = await db.query<{ n: number }>(`WITH gone AS (
      DELETE FROM concurrency_tokens t
      WHERE ($1::text IS NULL OR t.scope = $1)
        AND (t.expires_at <= now()
          OR EXISTS (SELECT 1 FROM members m WHERE m.id = t.node_id AND m.lease_expires_at <= now() - $2 * interval '1 millisecond'))
      RETURNING t.scope),
    per_scope AS (SELECT scope, count(*)::int AS n FROM gone GROUP BY scope),
    lowered AS (UPDATE concurrency_counters c SET in_use = c.in_use - p.n FROM per_scope p WHERE c.scope = p.scope RETURNING p.n)
    SELECT coalesce(sum(n), 0)::int AS n FROM lowered`, [opts.scope ?? null, opts.deadNodeGraceMs ?? 0]);
  return r.rows[0]!.n;
}
