import type pg from 'pg';
import type { FunctionEvent, FunctionEvents } from '../ports/function-events.js';
import { applyClusterDdl } from './cluster-schema.js';

/**
 * Control plane → data plane notifications across a cluster. A change made on one api node must
 * reach every worker's environment pool (an updated `$LATEST` must not keep running old code on
 * another machine: Lambda never runs old code after an update settles). `local` is what the
 * control plane emits to and subscribes on (its own reactions, e.g. dropping a deleted function's
 * URL config, run once, on the node that made the change); `dataPlane` also hears every other
 * node's events, read from a PostgreSQL table polled in the background (NOTIFY would only shorten
 * the wait; the table is what makes a missed wake-up harmless).
 */
export class ClusterFunctionEvents {
  readonly #pool: pg.Pool;
  readonly #node: string;
  readonly #localListeners = new Set<(e: FunctionEvent) => void>();
  readonly #dataPlaneListeners = new Set<(e: FunctionEvent) => void>();
  readonly #log: (line: string) => void;
  /** Ids already dispatched: ids commit out of order, so a window behind the highest id is re-read. */
  readonly #seen = new Map<string, number>();
  #highest = 0n;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;
  #pending: Promise<unknown> = Promise.resolve();

  readonly local: FunctionEvents;
  readonly dataPlane: FunctionEvents;

  constructor(opts: { pool: pg.Pool; nodeId: string; log: (line: string) => void }) {
    this.#pool = opts.pool;
    this.#node = opts.nodeId;
    this.#log = opts.log;
    const emit = (event: FunctionEvent) => {
      for (const l of this.#localListeners) l(event);
      for (const l of this.#dataPlaneListeners) l(event);
      this.#publish(event);
    };
    this.local = { emit, subscribe: (l) => add(this.#localListeners, l) };
    this.dataPlane = { emit, subscribe: (l) => add(this.#dataPlaneListeners, l) };
  }

  async open(): Promise<void> {
    // Under the schema lock: two nodes creating the table at once collide on pg_type's unique
    // index (23505) even with IF NOT EXISTS; CI saw a worker die of exactly that.
    await applyClusterDdl(this.#pool, `CREATE TABLE IF NOT EXISTS function_events (
      id bigserial PRIMARY KEY, origin text NOT NULL, event jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    const r = await this.#pool.query<{ max: string | null }>('SELECT max(id)::text AS max FROM function_events');
    this.#highest = BigInt(r.rows[0]?.max ?? '0');
  }

  /** Polls every `intervalMs` (the bound on how stale another node's pool can be after a change). */
  start(intervalMs = 100): void {
    this.#timer = setInterval(() => void this.poll(), intervalMs);
    this.#timer.unref();
  }

  /** One read of events other nodes published since the last one. */
  async poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    try {
      // Ten seconds behind the highest id: a transaction that took its id earlier but committed
      // later is still seen; the seen-set keeps each event dispatched once.
      const r = await this.#pool.query<{ id: string; origin: string; event: FunctionEvent }>(
        `SELECT id::text, origin, event FROM function_events WHERE id > $1 OR created_at > now() - interval '10 seconds' ORDER BY id`,
        [this.#highest.toString()],
      );
      const now = Date.now();
      for (const row of r.rows) {
        if (this.#seen.has(row.id)) continue;
        this.#seen.set(row.id, now);
        if (BigInt(row.id) > this.#highest) this.#highest = BigInt(row.id);
        if (row.origin === this.#node) continue;
        for (const l of this.#dataPlaneListeners) {
          try { l(row.event); } catch (err) { this.#log(`flint: cluster event ${row.event.type} failed here: ${String(err)}`); }
        }
      }
      for (const [id, at] of this.#seen) if (now - at > 60_000) this.#seen.delete(id);
    } catch (err) {
      this.#log(`flint: reading cluster function events failed (retrying): ${(err as Error).message}`);
    } finally {
      this.#polling = false;
    }
  }

  #publish(event: FunctionEvent): void {
    const write = () => this.#pool.query('INSERT INTO function_events (origin, event) VALUES ($1, $2)', [this.#node, JSON.stringify(event)]);
    // In order, after the ones before; a failed write is retried once, then said.
    this.#pending = this.#pending.then(write).catch(() => write()).catch((err: unknown) => this.#log(`flint: publishing ${event.type} to the cluster failed: ${String(err)}`));
  }

  /** Old rows go (an hour is far past any poller's window); `db`: the leader's fenced transaction. */
  async prune(db: pg.Pool | pg.ClientBase = this.#pool): Promise<void> {
    await db.query(`DELETE FROM function_events WHERE created_at < now() - interval '1 hour'`);
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#pending;
  }
}

function add<T>(set: Set<T>, l: T): () => void {
  set.add(l);
  return () => set.delete(l);
}
