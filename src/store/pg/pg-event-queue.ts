import type pg from 'pg';
import type { Clock } from '../../ports/clock.js';
import type {
  AttemptOutcome,
  EventOrigin,
  EventQueue,
  EventQueueStats,
  LeasedEvent,
  NewQueuedEvent,
  QueuedEvent,
  RescheduleUpdate,
} from '../../ports/event-queue.js';
import type { BucketHoldings } from '../../ports/queue-buckets.js';
import { BucketPlacer } from './bucket-placer.js';
import { GroupCommit } from './group-commit.js';
import { ASYNC_EVENTS_CHANNEL, ensureEventQueueSchema } from './pg-event-queue-schema.js';

export interface PgEventQueueOptions {
  pool: pg.Pool;
  clock: Clock;
  /** The buckets this node polls (src/cluster/queue-buckets.ts); absent on a node that only enqueues, whose lease() returns nothing. */
  holdings?: BucketHoldings;
  /** Buckets in the queue when there are no holdings to say (default 64; the same on every node). */
  bucketCount?: number;
  /** Group-commit batches in flight at once (each is one INSERT on its own connection). */
  maxBatches?: number;
  /** How often the per-bucket depths behind best-of-2 placement are recounted. */
  depthRefreshMs?: number;
}

interface Placed {
  event: NewQueuedEvent;
  bucket: number;
}

interface Row {
  seq: string;
  request_id: string;
  function_name: string;
  qualifier: string;
  payload: Buffer;
  client_context: string | null;
  trace_id: string | null;
  origin: string;
  enqueued_at: string;
  attempts: number;
  system_retries: number;
  deliveries: number;
  last_outcome: string | null;
  lease_token: string;
  due_at: string;
}

/** Up to this many enqueues (or acks) go into one statement. */
const MAX_BATCH = 500;

/**
 * The insert behind enqueue and follow-ups. It also sends a NOTIFY naming the buckets written
 * (delivered on commit, pg-queue-wakeups.ts): a hint that wakes the pollers holding them at once;
 * their polling stays the fallback.
 */
const INSERT = `WITH ins AS (
  INSERT INTO async_events (request_id, bucket, function_name, qualifier, payload, client_context, trace_id, origin, enqueued_at, visible_at)
  SELECT r, b, f, q, p, c, t, o, e, e
  FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::text[], $8::text[], $9::bigint[]) AS x(r, b, f, q, p, c, t, o, e)
  ON CONFLICT (request_id) DO NOTHING
  RETURNING request_id, bucket)
  SELECT request_id FROM ins, (SELECT pg_notify('${ASYNC_EVENTS_CHANNEL}', string_agg(DISTINCT bucket::text, ',')) FROM ins) AS wake`;

/**
 * Lets the statement's own transaction commit without waiting for its WAL flush, for writes whose
 * loss in a crash costs only a redelivery. `SET LOCAL` in a one-statement transaction: joined as a
 * one-row table so PostgreSQL evaluates it.
 */
const ASYNC_COMMIT = `async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS sc)`;

/**
 * Rows whose lease this poller may still use: the event's token matches and the bucket is still
 * held by this poller under the same fencing token it was leased with, unexpired. `$owner`, `$now`
 * are the statement's parameters named in each use.
 */
const FENCE = (owner: string, now: string) =>
  `b.bucket = e.bucket AND b.owner = ${owner} AND b.token = e.lease_fence AND b.expires_at > ${now}`;

/**
 * EventQueue on PostgreSQL for cluster mode (docs/cluster.md "Async and ESM distribution").
 * Events are spread over buckets; a poller claims only from buckets it holds, with
 * `FOR UPDATE SKIP LOCKED` so pollers never wait on each other's rows, and stamps each claim with
 * its owner, a fresh lease token and the bucket's fencing token. Ack, reschedule and extend take
 * effect only while both still match: a poller whose bucket was taken over (its lease expired while
 * it was paused or cut off) finds its completions refused, and the event is delivered again by the
 * new holder — at-least-once, as Lambda's async invocation.
 *
 * Enqueue resolves after PostgreSQL committed the row (synchronous_commit, the server's default):
 * the 202 is sent only for a durable event. Enqueues arriving together are group-committed
 * (group-commit.ts): one multi-row INSERT per batch, up to `maxBatches` batches in flight, so
 * concurrent callers share a WAL flush instead of queueing one flush each; plain acks likewise.
 */
export class PgEventQueue implements EventQueue {
  readonly #pool: pg.Pool;
  readonly #clock: Clock;
  readonly #holdings: BucketHoldings | undefined;
  readonly #placer: BucketPlacer;
  readonly #depthRefreshMs: number;
  readonly #inserts: GroupCommit<Placed, { requestId: string }>;
  readonly #acks: GroupCommit<LeasedEvent, boolean>;
  #depthCountedAt = Number.NEGATIVE_INFINITY;
  #counting = false;
  #closed = false;

  constructor(opts: PgEventQueueOptions) {
    this.#pool = opts.pool;
    this.#clock = opts.clock;
    this.#holdings = opts.holdings;
    this.#placer = new BucketPlacer(opts.holdings?.bucketCount ?? opts.bucketCount ?? 64);
    this.#depthRefreshMs = opts.depthRefreshMs ?? 1000;
    const batching = { maxBatches: opts.maxBatches ?? 4, maxBatchSize: MAX_BATCH };
    this.#inserts = new GroupCommit((batch) => this.#insertBatch(batch), batching);
    this.#acks = new GroupCommit((batch) => this.#ackBatch(batch), batching);
  }

  /** Creates the tables if needed, then the queue. */
  static async open(opts: PgEventQueueOptions): Promise<PgEventQueue> {
    await ensureEventQueueSchema(opts.pool);
    return new PgEventQueue(opts);
  }

  enqueue(event: NewQueuedEvent): Promise<{ requestId: string }> {
    if (this.#closed) return Promise.reject(new Error('event queue is closed'));
    this.#refreshDepths();
    return this.#inserts.add({ event, bucket: this.#placer.place(event.functionName) });
  }

  async lease(opts: { max: number; visibilityMs: number }): Promise<LeasedEvent[]> {
    const held = this.#holdings?.held();
    if (!held || held.size === 0 || opts.max <= 0) return [];
    const now = this.#clock.now();
    const leaseUntil = now + opts.visibilityMs;
    // Due rows are found in (visible_at, seq) order among the buckets held by this node's view,
    // then stamped only where the lease row agrees (a row claimed from a bucket lost meanwhile is
    // left as it was). The bucket row is read, not locked: a takeover committing meanwhile is
    // caught by the fence on every later write of this lease. The claim commits without waiting
    // for its WAL flush (ASYNC_COMMIT): a claim lost in a database crash only makes the event
    // visible again, a redelivery that at-least-once allows; the ack that finishes it is durable.
    const r = await this.#pool.query<Row>({
      name: 'flint-async-lease',
      text: `WITH ${ASYNC_COMMIT},
       due AS (
         SELECT e.seq, e.bucket, e.visible_at AS due_at FROM async_events e
         WHERE e.visible_at <= $2 AND e.bucket = ANY($1::int[])
         ORDER BY e.visible_at, e.seq
         LIMIT $4
         FOR UPDATE SKIP LOCKED),
       mine AS (SELECT bucket, token FROM queue_bucket_leases WHERE owner = $3 AND expires_at > $2 AND bucket = ANY($1::int[]))
       UPDATE async_events e
       SET visible_at = $5, lease_token = gen_random_uuid()::text, lease_owner = $3, lease_fence = mine.token, deliveries = e.deliveries + 1
       FROM due JOIN mine ON mine.bucket = due.bucket, async_commit
       WHERE e.seq = due.seq
       RETURNING e.*, due.due_at`,
      values: [[...held.keys()], now, this.#holdings!.owner, opts.max, leaseUntil],
    });
    const rows = r.rows.sort((a, b) => Number(a.due_at) - Number(b.due_at) || Number(a.seq) - Number(b.seq));
    return rows.map((row) => ({ event: toEvent(row), leaseToken: row.lease_token, leaseUntil }));
  }

  async extend(leases: ReadonlyArray<Pick<LeasedEvent, 'event' | 'leaseToken'>>, visibilityMs: number): Promise<number> {
    if (leases.length === 0 || !this.#holdings) return 0;
    const now = this.#clock.now();
    const r = await this.#pool.query(
      `UPDATE async_events e SET visible_at = $3
       FROM unnest($1::text[], $2::text[]) AS l(id, token), queue_bucket_leases b
       WHERE e.request_id = l.id AND e.lease_token = l.token AND ${FENCE('$4', '$5')}`,
      [leases.map((l) => l.event.requestId), leases.map((l) => l.leaseToken), now + visibilityMs, this.#holdings.owner, now],
    );
    return r.rowCount ?? 0;
  }

  async ack(lease: LeasedEvent, followUps: ReadonlyArray<NewQueuedEvent> = []): Promise<boolean> {
    if (!this.#holdings) return false;
    if (this.#closed) throw new Error('event queue is closed');
    // Plain acks are group-committed like enqueues; one with follow-ups is its own transaction.
    if (followUps.length === 0) return await this.#acks.add(lease);
    const del = `DELETE FROM async_events e USING queue_bucket_leases b WHERE e.request_id = $1 AND e.lease_token = $2 AND ${FENCE('$3', '$4')}`;
    const args = [lease.event.requestId, lease.leaseToken, this.#holdings.owner, this.#clock.now()];
    // The follow-ups (destination and dead-letter deliveries) commit with the delete or not at all.
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      if (((await client.query(del, args)).rowCount ?? 0) !== 1) {
        await client.query('ROLLBACK');
        return false;
      }
      const batch = followUps.map((event) => ({ event, bucket: this.#placer.place(event.functionName) }));
      const inserted = await client.query<{ request_id: string }>({ name: 'flint-async-enqueue', text: INSERT, values: columns(batch) });
      if (inserted.rowCount !== followUps.length) throw duplicateError(followUps.map((f) => f.requestId).find((id) => !inserted.rows.some((r) => r.request_id === id)) ?? '');
      await client.query('COMMIT');
      return true;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async reschedule(lease: LeasedEvent, update: RescheduleUpdate): Promise<boolean> {
    if (!this.#holdings) return false;
    const r = await this.#pool.query(
      `UPDATE async_events e
       SET visible_at = $3, attempts = $4, system_retries = $5, last_outcome = $6, lease_token = NULL, lease_owner = NULL, lease_fence = NULL
       FROM queue_bucket_leases b
       WHERE e.request_id = $1 AND e.lease_token = $2 AND ${FENCE('$7', '$8')}`,
      [
        lease.event.requestId, lease.leaseToken, update.visibleAt, update.attempts, update.systemRetries,
        update.lastOutcome ? JSON.stringify(update.lastOutcome) : null, this.#holdings.owner, this.#clock.now(),
      ],
    );
    return r.rowCount === 1;
  }

  async stats(): Promise<EventQueueStats> {
    const r = await this.#pool.query<{ ready: string; delayed: string; in_flight: string }>(
      `SELECT count(*) FILTER (WHERE visible_at <= $1) AS ready,
              count(*) FILTER (WHERE visible_at > $1 AND lease_token IS NULL) AS delayed,
              count(*) FILTER (WHERE visible_at > $1 AND lease_token IS NOT NULL) AS in_flight
       FROM async_events`,
      [this.#clock.now()],
    );
    const row = r.rows[0]!;
    return { ready: Number(row.ready), delayed: Number(row.delayed), inFlight: Number(row.in_flight) };
  }

  /** Over the buckets this poller holds (what its loop waits for); over the whole queue on a node without holdings. */
  async nextVisibleAt(): Promise<number | undefined> {
    const held = this.#holdings?.held();
    const r = held
      ? await this.#pool.query<{ t: string | null }>('SELECT min(visible_at) AS t FROM async_events WHERE bucket = ANY($1::int[])', [[...held.keys()]])
      : await this.#pool.query<{ t: string | null }>('SELECT min(visible_at) AS t FROM async_events');
    const t = r.rows[0]?.t;
    return t === null || t === undefined ? undefined : Number(t);
  }

  /**
   * Refuses new writes; enqueues and acks already accepted are still committed (their promises
   * settle when they are). The pool belongs to the caller: await `whenIdle()` before ending it.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#inserts.flushAll();
    this.#acks.flushAll();
  }

  /** Resolves once no enqueue or ack is waiting or being committed. */
  async whenIdle(): Promise<void> {
    await Promise.all([this.#inserts.whenIdle(), this.#acks.whenIdle()]);
  }

  async #insertBatch(batch: readonly Placed[]): Promise<Array<{ requestId: string } | Error>> {
    const r = await this.#pool.query<{ request_id: string }>({ name: 'flint-async-enqueue', text: INSERT, values: columns(batch) });
    // ON CONFLICT DO NOTHING: a duplicate request id fails alone, not its whole batch. Within the
    // batch the first write of an id wins; each id comes back at most once.
    const inserted = new Set(r.rows.map((row) => row.request_id));
    return batch.map(({ event }) => (inserted.delete(event.requestId) ? { requestId: event.requestId } : duplicateError(event.requestId)));
  }

  async #ackBatch(batch: readonly LeasedEvent[]): Promise<boolean[]> {
    const r = await this.#pool.query<{ request_id: string; lease_token: string }>({
      name: 'flint-async-ack',
      text: `DELETE FROM async_events e
             USING unnest($1::text[], $2::text[]) AS l(id, token), queue_bucket_leases b
             WHERE e.request_id = l.id AND e.lease_token = l.token AND ${FENCE('$3', '$4')}
             RETURNING e.request_id, e.lease_token`,
      values: [batch.map((l) => l.event.requestId), batch.map((l) => l.leaseToken), this.#holdings!.owner, this.#clock.now()],
    });
    const deleted = new Set(r.rows.map((row) => `${row.request_id}\u0000${row.lease_token}`));
    return batch.map((l) => deleted.delete(`${l.event.requestId}\u0000${l.leaseToken}`));
  }

  /** Recounts bucket depths in the background when the last count is older than depthRefreshMs. */
  #refreshDepths(): void {
    const now = this.#clock.now();
    if (this.#counting || now - this.#depthCountedAt < this.#depthRefreshMs) return;
    this.#counting = true;
    this.#depthCountedAt = now;
    this.#placer.countStarted();
    this.#pool.query<{ bucket: number; n: string }>('SELECT bucket, count(*) AS n FROM async_events GROUP BY bucket').then(
      (r) => this.#placer.reset(new Map(r.rows.map((row) => [row.bucket, Number(row.n)]))),
      () => undefined, // placement keeps its estimate; the next enqueue tries again later
    ).finally(() => { this.#counting = false; });
  }
}

function columns(batch: readonly Placed[]): unknown[] {
  const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
  for (const { event: e, bucket } of batch) {
    cols[0]!.push(e.requestId);
    cols[1]!.push(bucket);
    cols[2]!.push(e.functionName);
    cols[3]!.push(e.qualifier);
    cols[4]!.push(e.payload);
    cols[5]!.push(e.clientContext ?? null);
    cols[6]!.push(e.traceId ?? null);
    cols[7]!.push(e.origin);
    cols[8]!.push(e.enqueuedAt);
  }
  return cols;
}

function duplicateError(requestId: string): Error {
  // The wording of PostgreSQL's (and SQLite's) own error for the same violation.
  return new Error(`duplicate key value violates unique constraint: request id ${requestId} is already queued`);
}

function toEvent(row: Row): QueuedEvent {
  const e: QueuedEvent = {
    requestId: row.request_id,
    functionName: row.function_name,
    qualifier: row.qualifier,
    payload: row.payload,
    origin: row.origin as EventOrigin,
    enqueuedAt: Number(row.enqueued_at),
    attempts: row.attempts,
    systemRetries: row.system_retries,
    deliveries: row.deliveries,
  };
  if (row.client_context !== null) e.clientContext = row.client_context;
  if (row.trace_id !== null) e.traceId = row.trace_id;
  if (row.last_outcome !== null) e.lastOutcome = JSON.parse(row.last_outcome) as AttemptOutcome;
  return e;
}
