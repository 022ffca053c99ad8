import type pg from 'pg';
import { readLeader, type LeaderInfo } from './leader-lease.js';

export interface MemberStatus {
  id: string;
  roles: string[];
  address: string;
  capacity: number;
  /** active | draining | dead (dead: the lease ran out by the database's clock). */
  state: string;
  epoch: number;
  /** Lease time left by the database's clock, ms (negative: expired that long ago). */
  leaseLeftMs: number;
  startedAt: string;
}

export interface QueueDepth {
  functionName: string;
  /** Events waiting, ready now or later. */
  queued: number;
  /** Of which claimed by a poller now. */
  leased: number;
}

export interface ClusterStatus {
  members: MemberStatus[];
  leader?: LeaderInfo;
  /** Async queue depth per function; absent when the database has no async queue table. */
  queues?: QueueDepth[];
  /** Concurrency tokens held per function (exact counting); absent without the table. */
  concurrency?: Array<{ functionName: string; inFlight: number }>;
  /** Which poller runs each event source mapping (its lease); absent without the table. */
  mappings?: MappingPlacement[];
  /** The SQS-compatible queues (served by the leader) and their messages; absent without the tables. */
  sqs?: SqsQueueDepth[];
}

/** One SQS queue's messages, as GetQueueAttributes' approximate counts (judged by the database's clock). */
export interface SqsQueueDepth {
  name: string;
  /** Visible now (ApproximateNumberOfMessages). */
  visible: number;
  /** Received and not yet visible again (ApproximateNumberOfMessagesNotVisible). */
  inFlight: number;
  /** Sent with a delay that has not passed (ApproximateNumberOfMessagesDelayed). */
  delayed: number;
}

export interface MappingPlacement {
  uuid: string;
  /** The poller node holding the mapping's lease. */
  poller: string;
  /** Lease time left by the database's clock, ms (negative: expired, free for another poller). */
  leaseLeftMs: number;
}

/**
 * What `flint cluster status` shows, read from the database alone (so it works from any host that
 * reaches PostgreSQL, with no node running). Liveness is judged by the database's clock. Tables a
 * piece has not created yet (no node with that role started) are left out rather than created.
 */
export async function readClusterStatus(pool: pg.Pool): Promise<ClusterStatus> {
  const present = await pool.query<{ name: string }>(`SELECT t AS name FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL`, [['members', 'leader_leases', 'async_events', 'concurrency_tokens', 'event_source_mapping_leases', 'sqs_messages']]);
  const has = new Set(present.rows.map((r) => r.name));
  const status: ClusterStatus = { members: [] };
  if (has.has('members')) {
    const r = await pool.query<{ id: string; roles: string[]; address: string; capacity: number; state: string; epoch: string; left_ms: number; started_at: Date }>(`SELECT id, roles, address, capacity,
        CASE WHEN lease_expires_at <= now() THEN 'dead' ELSE state END AS state, epoch::text AS epoch,
        (EXTRACT(EPOCH FROM (lease_expires_at - now())) * 1000)::float8 AS left_ms, started_at FROM members ORDER BY id`);
    status.members = r.rows.map((m) => ({ id: m.id, roles: m.roles, address: m.address, capacity: m.capacity, state: m.state, epoch: Number(m.epoch), leaseLeftMs: Math.round(m.left_ms), startedAt: m.started_at.toISOString() }));
  }
  if (has.has('leader_leases')) {
    const leader = await readLeader(pool);
    if (leader) status.leader = { ...leader, leftMs: Math.round(leader.leftMs) };
  }
  if (has.has('async_events')) {
    const r = await pool.query<{ function_name: string; queued: number; leased: number }>(`SELECT function_name, count(*)::int AS queued,
        count(*) FILTER (WHERE lease_token IS NOT NULL)::int AS leased FROM async_events GROUP BY function_name ORDER BY function_name`);
    status.queues = r.rows.map((q) => ({ functionName: q.function_name, queued: q.queued, leased: q.leased }));
  }
  if (has.has('concurrency_tokens')) {
    const r = await pool.query<{ function_name: string; n: number }>(`SELECT function_name, count(*)::int AS n FROM concurrency_tokens GROUP BY function_name ORDER BY function_name`);
    status.concurrency = r.rows.map((c) => ({ functionName: c.function_name, inFlight: c.n }));
  }
  if (has.has('event_source_mapping_leases')) {
    const r = await pool.query<{ uuid: string; owner: string; left_ms: number }>(`SELECT uuid, owner,
        (EXTRACT(EPOCH FROM (expires_at - now())) * 1000)::float8 AS left_ms FROM event_source_mapping_leases ORDER BY uuid`);
    status.mappings = r.rows.map((m) => ({ uuid: m.uuid, poller: m.owner, leaseLeftMs: Math.round(m.left_ms) }));
  }
  if (has.has('sqs_messages')) {
    const r = await pool.query<{ name: string; visible: number; in_flight: number; delayed: number }>(`WITH t AS (SELECT (EXTRACT(EPOCH FROM now()) * 1000)::bigint AS now_ms)
      SELECT q.name, count(m.seq) FILTER (WHERE m.visible_at <= t.now_ms)::int AS visible,
        count(m.seq) FILTER (WHERE m.visible_at > t.now_ms AND m.receive_count > 0)::int AS in_flight,
        count(m.seq) FILTER (WHERE m.visible_at > t.now_ms AND m.receive_count = 0)::int AS delayed
      FROM sqs_queues q CROSS JOIN t LEFT JOIN sqs_messages m ON m.queue = q.name GROUP BY q.name ORDER BY q.name`);
    status.sqs = r.rows.map((q) => ({ name: q.name, visible: q.visible, inFlight: q.in_flight, delayed: q.delayed }));
  }
  return status;
}
