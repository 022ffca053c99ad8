import type pg from 'pg';
import type { QueueStore, StoredMessage, StoredMessageBody, StoredQueue } from '../../ports/queue-store.js';
import { applySchema } from './pg-schema.js';
import { PgSyncClient } from './pg-sync-client.js';

/** SQLite's tables of migration 40, plus a row whose synchronous commit flushes the log (durable()). */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS sqs_queues (
    name text COLLATE "C" PRIMARY KEY,
    record text NOT NULL
  );
  CREATE TABLE IF NOT EXISTS sqs_messages (
    seq bigserial PRIMARY KEY,
    queue text COLLATE "C" NOT NULL,
    message text NOT NULL,
    visible_at bigint NOT NULL,
    receive_count integer NOT NULL,
    first_receive_at bigint NOT NULL,
    receipt text NOT NULL
  );
  CREATE INDEX IF NOT EXISTS sqs_messages_queue ON sqs_messages (queue);
  CREATE TABLE IF NOT EXISTS sqs_durability (id integer PRIMARY KEY, flushes bigint NOT NULL);
  INSERT INTO sqs_durability (id, flushes) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`;

/** The leader lease a store's writes are fenced by: they commit only while `term` is current. */
export interface QueueStoreFence {
  lease: string;
  holder: string;
  term: number;
}

interface MessageRow {
  seq: string;
  queue: string;
  message: string;
  visible_at: string;
  receive_count: number;
  first_receive_at: string;
  receipt: string;
}

/** A write refused because the term it was fenced by has ended: another node owns the queues now. */
export class QueueStoreFencedError extends Error {
  readonly code = 'FLINT_QUEUES_MOVED';
  constructor(term: number) {
    super(`the SQS queues moved to another node (leader term ${term} ended); retry the request`);
  }
}

/**
 * QueueStore on PostgreSQL (cluster mode): one node at a time, the leader, keeps the queues in
 * memory over it (src/queues), and every write it makes is **fenced by its leader term** — each
 * statement first takes the `leader_leases` row FOR SHARE and writes only if the row still names
 * this node and term. A takeover raises the term, so once a new leader has loaded the queues no
 * write of the old one can land behind its back, and a takeover cannot commit while such a write
 * is committing (the share lock), so the new leader's load sees every write that was acknowledged.
 *
 * Durability as the SQLite store's: writes commit without waiting for the log flush
 * (`synchronous_commit = off` on this connection), so they survive the node being killed at
 * once; `durable()` commits one tiny write with the flush on, through the async pool, and PG's
 * log is flushed in order, so every earlier commit is on disk when it resolves.
 */
export class PgQueueStore implements QueueStore {
  readonly #client: PgSyncClient;
  readonly #pool: pg.Pool | undefined;
  readonly #fence: QueueStoreFence | undefined;
  readonly #owner: boolean;
  #flushing: Promise<void> | undefined;
  #nextFlush: Promise<void> | undefined;
  #retired = false;

  private constructor(client: PgSyncClient, pool: pg.Pool | undefined, fence: QueueStoreFence | undefined, owner: boolean) {
    this.#client = client;
    this.#pool = pool;
    this.#fence = fence;
    this.#owner = owner;
  }

  /** Opens the store (creating its tables); `pool` makes commits asynchronous and `durable()` flush through it. */
  static open(url: string, opts: { pool?: pg.Pool; timeoutMs?: number } = {}): PgQueueStore {
    const client = new PgSyncClient(opts.pool ? withAsyncCommit(url) : url, { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), applicationName: 'flint-sqs' });
    try {
      applySchema(client, SCHEMA);
    } catch (err) {
      client.close();
      throw err;
    }
    return new PgQueueStore(client, opts.pool, undefined, true);
  }

  /** The same store with every write fenced by `fence` (closing it leaves the connection open). */
  fenced(fence: QueueStoreFence): PgQueueStore {
    return new PgQueueStore(this.#client, this.#pool, fence, false);
  }

  /**
   * Refuses every later write through this store: the in-memory queues over it were dropped (to be
   * reloaded), and a long poll still running on them must not hand out a message the new copy
   * will hand out too.
   */
  retire(): void {
    this.#retired = true;
  }

  /** One queue as stored, read now (nodes that do not own the queues answer the control plane's questions with it). */
  queue(name: string): StoredQueue | undefined {
    const row = this.#client.query<{ record: string }>('SELECT record FROM sqs_queues WHERE name = $1', [name]).rows[0];
    return row ? (JSON.parse(row.record) as StoredQueue) : undefined;
  }

  loadQueues(): StoredQueue[] {
    return this.#client.query<{ record: string }>('SELECT record FROM sqs_queues ORDER BY name').rows.map((r) => JSON.parse(r.record) as StoredQueue);
  }

  loadMessages(): StoredMessage[] {
    return this.#client.query<MessageRow>('SELECT * FROM sqs_messages ORDER BY seq').rows.map((r) => ({
      seq: Number(r.seq),
      queue: r.queue,
      message: JSON.parse(r.message) as StoredMessageBody,
      visibleAt: Number(r.visible_at),
      receiveCount: r.receive_count,
      firstReceiveAt: Number(r.first_receive_at),
      receipt: r.receipt,
    }));
  }

  putQueue(q: StoredQueue): void {
    this.#write(`INSERT INTO sqs_queues (name, record) SELECT $4::text, $5::text WHERE EXISTS (SELECT 1 FROM f)
      ON CONFLICT (name) DO UPDATE SET record = excluded.record`, [q.name, JSON.stringify(q)]);
  }

  deleteQueue(name: string): void {
    this.#write(`DELETE FROM sqs_messages WHERE queue = $4 AND EXISTS (SELECT 1 FROM f)`, [name],
      `DELETE FROM sqs_queues WHERE name = $4 AND EXISTS (SELECT 1 FROM f)`);
  }

  insertMessages(msgs: Array<Omit<StoredMessage, 'seq'>>): number[] {
    if (msgs.length === 0) return [];
    const rows = this.#write<{ seq: string }>(`INSERT INTO sqs_messages (queue, message, visible_at, receive_count, first_receive_at, receipt)
      SELECT u.q, u.m, u.v, u.c, u.fr, u.r
      FROM unnest($4::text[], $5::text[], $6::bigint[], $7::integer[], $8::bigint[], $9::text[]) WITH ORDINALITY AS u(q, m, v, c, fr, r, o)
      WHERE EXISTS (SELECT 1 FROM f) ORDER BY u.o RETURNING seq`, [
      msgs.map((m) => m.queue), msgs.map((m) => JSON.stringify(m.message)), msgs.map((m) => m.visibleAt),
      msgs.map((m) => m.receiveCount), msgs.map((m) => m.firstReceiveAt), msgs.map((m) => m.receipt),
    ]);
    // Sequence values are drawn in the order the rows are inserted (ORDER BY o), so ascending
    // order is the callers' order whatever order RETURNING lists them in.
    return rows.map((r) => Number(r.seq)).sort((a, b) => a - b);
  }

  updateMessages(updates: Array<Pick<StoredMessage, 'seq' | 'visibleAt' | 'receiveCount' | 'firstReceiveAt' | 'receipt'>>): void {
    if (updates.length === 0) return;
    this.#write(`UPDATE sqs_messages s SET visible_at = u.v, receive_count = u.c, first_receive_at = u.fr, receipt = u.r
      FROM unnest($4::bigint[], $5::bigint[], $6::integer[], $7::bigint[], $8::text[]) AS u(seq, v, c, fr, r)
      WHERE s.seq = u.seq AND EXISTS (SELECT 1 FROM f)`, [
      updates.map((u) => u.seq), updates.map((u) => u.visibleAt), updates.map((u) => u.receiveCount),
      updates.map((u) => u.firstReceiveAt), updates.map((u) => u.receipt),
    ]);
  }

  deleteMessages(seqs: number[]): void {
    if (seqs.length === 0) return;
    this.#write('DELETE FROM sqs_messages WHERE seq = ANY($4::bigint[]) AND EXISTS (SELECT 1 FROM f)', [seqs]);
  }

  moveMessage(seq: number, toQueue: string, message: StoredMessageBody, visibleAt: number): void {
    this.#write(`UPDATE sqs_messages SET queue = $5, message = $6, visible_at = $7, receive_count = 0, first_receive_at = 0, receipt = ''
      WHERE seq = $4 AND EXISTS (SELECT 1 FROM f)`, [seq, toQueue, JSON.stringify(message), visibleAt]);
  }

  purge(queue: string): void {
    this.#write('DELETE FROM sqs_messages WHERE queue = $4 AND EXISTS (SELECT 1 FROM f)', [queue]);
  }

  durable(): Promise<void> {
    if (!this.#pool) return Promise.resolve();
    if (!this.#flushing) return (this.#flushing = this.#flush());
    // A flush is running: writes committed after it started need the next one.
    this.#nextFlush ??= this.#flushing.then(() => {
      this.#nextFlush = undefined;
      return (this.#flushing = this.#flush());
    }, () => {
      this.#nextFlush = undefined;
      return (this.#flushing = this.#flush());
    });
    return this.#nextFlush;
  }

  close(): void {
    if (this.#owner) this.#client.close();
  }

  async #flush(): Promise<void> {
    try {
      await this.#pool!.query('UPDATE sqs_durability SET flushes = flushes + 1 WHERE id = 1');
    } finally {
      this.#flushing = undefined;
    }
  }

  /**
   * Runs a write (and an optional second one) as one statement behind the fence `f`, then checks
   * the fence held: `f` has the lease row when the term is current (or no fence is set).
   */
  #write<R>(sql: string, params: unknown[], second?: string): R[] {
    const fence = this.#fence;
    if (this.#retired) throw new QueueStoreFencedError(fence?.term ?? 0);
    const f = fence
      ? 'SELECT 1 FROM leader_leases WHERE name = $1 AND holder = $2 AND term = $3 FOR SHARE'
      : 'SELECT 1 WHERE $1::text IS NULL AND $2::text IS NULL AND $3::bigint IS NULL';
    const text = `WITH f AS (${f}), w AS (${sql}${sql.includes('RETURNING') ? '' : ' RETURNING 1'})${second ? `, w2 AS (${second})` : ''}
      SELECT (SELECT count(*) FROM f)::int AS fenced, (SELECT json_agg(w) FROM w) AS rows`;
    const r = this.#client.query<{ fenced: number; rows: R[] | null }>(text, [fence?.lease ?? null, fence?.holder ?? null, fence?.term ?? null, ...params]);
    const row = r.rows[0]!;
    if (fence && row.fenced !== 1) throw new QueueStoreFencedError(fence.term);
    return row.rows ?? [];
  }
}

/** The URL with `synchronous_commit = off` for its connection (libpq's `options`). */
function withAsyncCommit(url: string): string {
  const u = new URL(url);
  u.searchParams.set('options', '-c synchronous_commit=off');
  return u.toString();
}
