import type pg from 'pg';
import type { BucketHoldings } from '../../ports/queue-buckets.js';
import { ASYNC_EVENTS_CHANNEL } from './pg-event-queue-schema.js';

export interface PgQueueWakeupsOptions {
  pool: pg.Pool;
  /** Only enqueues into buckets held here wake this node; absent: every enqueue does. */
  holdings?: BucketHoldings;
  /** Called with the buckets an enqueue wrote to (none when listening (re)starts: look anyway). */
  onWake: (buckets: readonly number[]) => void;
  /** Wait before listening again after the connection failed. */
  retryMs?: number;
  log?: (level: 'info' | 'error', message: string) => void;
}

/**
 * Wakes a poller when another node enqueued into one of its buckets: LISTEN on the queue's NOTIFY
 * channel through one connection held from the pool. Only a hint (docs/cluster.md): a
 * notification lost while the connection is down costs the poller its idle poll interval, never
 * an event, so a failed connection is simply re-opened after `retryMs`.
 */
export class PgQueueWakeups {
  readonly #opts: PgQueueWakeupsOptions;
  #client: pg.PoolClient | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  private constructor(opts: PgQueueWakeupsOptions) {
    this.#opts = opts;
  }

  /** Starts listening (resolves once LISTEN is in place, or once the first attempt failed and a retry is scheduled). */
  static async listen(opts: PgQueueWakeupsOptions): Promise<PgQueueWakeups> {
    const w = new PgQueueWakeups(opts);
    await w.#connect();
    return w;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    try {
      await client.query(`UNLISTEN ${ASYNC_EVENTS_CHANNEL}`);
      client.release();
    } catch (err) {
      client.release(err as Error);
    }
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    let client: pg.PoolClient | undefined;
    try {
      client = await this.#opts.pool.connect();
      client.on('notification', (n) => { if (n.channel === ASYNC_EVENTS_CHANNEL) this.#notified(n.payload); });
      client.on('error', (err) => this.#lost(client!, err));
      await client.query(`LISTEN ${ASYNC_EVENTS_CHANNEL}`);
      if (this.#stopped) {
        client.release();
        return;
      }
      this.#client = client;
      // Events enqueued while nobody listened: let the poller look once.
      this.#opts.onWake([]);
    } catch (err) {
      if (client) this.#lost(client, err as Error);
      else this.#scheduleRetry(err);
    }
  }

  #notified(payload: string | undefined): void {
    const buckets = (payload ?? '').split(',').filter((b) => b !== '').map(Number);
    const held = this.#opts.holdings?.held();
    if (!held || buckets.some((b) => held.has(b))) this.#opts.onWake(buckets);
  }

  #lost(client: pg.PoolClient, err: Error): void {
    if (this.#client === client) this.#client = undefined;
    client.removeAllListeners('notification');
    try { client.release(err); } catch { /* already released */ }
    this.#scheduleRetry(err);
  }

  #scheduleRetry(err: unknown): void {
    if (this.#stopped) return;
    this.#opts.log?.('error', `async queue: listening for enqueues failed (${String(err)}); polling until it is back`);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => { void this.#connect(); }, this.#opts.retryMs ?? 1000);
    this.#retry.unref();
  }
}
