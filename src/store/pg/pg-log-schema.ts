/**
 * PgLogStorage's SQL: its tables, the append and retention statements, and the append's
 * parameters. The tables: groups by name, their streams (with the stream's running statistics and
 * its next append ordinal), and the events by (stream, seq). Names compare as bytes (COLLATE "C"),
 * as FileLogStorage sorts them. A stream's `id` keeps the events' key small and lets
 * a deleted-then-recreated stream never meet its predecessor's rows. Deleting a group cascades to
 * its streams and their events.
 */
export const LOG_SCHEMA = `
  CREATE TABLE IF NOT EXISTS log_groups (
    name text COLLATE "C" PRIMARY KEY,
    creation_time bigint NOT NULL,
    retention_days integer,
    tags text NOT NULL DEFAULT '{}'
  );
  CREATE TABLE IF NOT EXISTS log_streams (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_name text COLLATE "C" NOT NULL REFERENCES log_groups (name) ON DELETE CASCADE,
    stream_name text COLLATE "C" NOT NULL,
    creation_time bigint NOT NULL,
    next_seq bigint NOT NULL DEFAULT 0,
    first_ts bigint,
    last_ts bigint,
    last_ingestion bigint,
    stored_bytes bigint NOT NULL DEFAULT 0,
    UNIQUE (group_name, stream_name)
  );
  CREATE TABLE IF NOT EXISTS log_events (
    stream_id bigint NOT NULL REFERENCES log_streams (id) ON DELETE CASCADE,
    seq bigint NOT NULL,
    ts bigint NOT NULL,
    ingestion bigint NOT NULL,
    message bytea NOT NULL,
    PRIMARY KEY (stream_id, seq)
  )`;

/** What one stored event counts towards storedBytes: its UTF-8 bytes plus CloudWatch's 26-byte per-event overhead. */
export const EVENT_OVERHEAD_BYTES = 26;

/**
 * One statement that appends a batch to any number of streams: creates missing groups and streams
 * (a function's first line creates them, as Lambda's does), reserves each stream's range of
 * ordinals by adding its count to `next_seq` under the stream row's lock — so writers on different
 * nodes get disjoint, increasing ranges — and inserts the events. A single statement on purpose:
 * once sent, PostgreSQL finishes it without another round trip from this node, so no lock it takes
 * waits on this node's event loop (which a synchronous call on the same node may be blocking).
 *
 * Parameters: $1 now; per stream (sorted by group, stream, so two nodes lock rows in one order):
 * $2 groups, $3 streams, $4 counts, $5 first ts, $6 last ts, $7 last ingestion, $8 bytes; per event:
 * $9 stream index (1-based), $10 ordinal within the batch's share of its stream, $11 ts,
 * $12 ingestion; $13 every message's UTF-8 bytes, concatenated, with $14 each one's start (1-based)
 * and $15 its length (one bytea: no per-element escaping, and it crosses the synchronous bridge).
 */
export const APPEND_SQL = `
  WITH g AS (
    INSERT INTO log_groups (name, creation_time)
    SELECT DISTINCT gn, $1::bigint FROM unnest($2::text[]) AS gn
    ON CONFLICT (name) DO NOTHING
  ), c AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
      WITH ORDINALITY AS c(gn, sn, n, f, l, li, b, si)
  ), s AS (
    INSERT INTO log_streams AS t (group_name, stream_name, creation_time, next_seq, first_ts, last_ts, last_ingestion, stored_bytes)
    SELECT gn, sn, $1::bigint, n, f, l, li, b FROM c ORDER BY si
    ON CONFLICT (group_name, stream_name) DO UPDATE SET
      next_seq = t.next_seq + excluded.next_seq,
      first_ts = LEAST(t.first_ts, excluded.first_ts),
      last_ts = GREATEST(t.last_ts, excluded.last_ts),
      last_ingestion = GREATEST(t.last_ingestion, excluded.last_ingestion),
      stored_bytes = t.stored_bytes + excluded.stored_bytes
    RETURNING t.id, t.group_name, t.stream_name, t.next_seq
  )
  INSERT INTO log_events (stream_id, seq, ts, ingestion, message)
  SELECT s.id, s.next_seq - c.n + e.k, e.ts, e.ing, substring($13::bytea FROM e.start FOR e.len)
  FROM unnest($9::int[], $10::bigint[], $11::bigint[], $12::bigint[], $14::int[], $15::int[]) AS e(si, k, ts, ing, start, len)
  JOIN c ON c.si = e.si
  JOIN s ON s.group_name = c.gn AND s.stream_name = c.sn`;

/**
 * Removes up to $3 of a group's events older than $2 (a sweep runs it until fewer go, so no
 * statement outlives the pool's timeout) and subtracts what it removed from each stream's bytes;
 * a stream's first timestamp becomes its oldest remaining event's (older ones left for the next
 * statement included, so an interrupted sweep is finished by the next). Rows another node's sweep
 * deleted first are skipped (PostgreSQL re-checks them), so each is counted once.
 */
export const EXPIRE_EVENTS_SQL = `
  WITH d AS (
    DELETE FROM log_events e
    WHERE (e.stream_id, e.seq) IN (
      SELECT o.stream_id, o.seq FROM log_events o JOIN log_streams s ON s.id = o.stream_id
      WHERE s.group_name = $1 AND s.first_ts < $2 AND o.ts < $2 LIMIT $3)
    RETURNING e.stream_id, e.seq, octet_length(e.message) + ${EVENT_OVERHEAD_BYTES} AS b
  ), agg AS (
    SELECT stream_id, count(*) AS n, sum(b) AS b FROM d GROUP BY stream_id
  ), rest AS (
    SELECT e.stream_id, min(e.ts) AS f FROM log_events e JOIN agg ON agg.stream_id = e.stream_id
    WHERE NOT EXISTS (SELECT 1 FROM d WHERE d.stream_id = e.stream_id AND d.seq = e.seq) GROUP BY e.stream_id
  ), u AS (
    UPDATE log_streams t SET stored_bytes = greatest(t.stored_bytes - agg.b, 0), first_ts = rest.f
    FROM agg LEFT JOIN rest ON rest.stream_id = agg.stream_id
    WHERE t.id = agg.stream_id
    RETURNING agg.n
  )
  SELECT coalesce(sum(n), 0)::bigint AS removed FROM u`;

/** Then the group's streams with no event left whose newest event (or creation) is older than $2. */
export const EXPIRE_STREAMS_SQL = `
  DELETE FROM log_streams s
  WHERE s.group_name = $1 AND coalesce(s.last_ts, s.creation_time) < $2
    AND NOT EXISTS (SELECT 1 FROM log_events e WHERE e.stream_id = s.id)`;

/** One line waiting to be appended. */
export interface LogLine {
  group: string;
  stream: string;
  timestamp: number;
  ingestion: number;
  message: string;
  /** UTF-8 bytes of the message. */
  bytes: number;
}

/** APPEND_SQL's parameters: per-stream aggregates sorted by (group, stream), and the lines. */
export function appendParams(lines: readonly LogLine[], now: number): unknown[] {
  const streams = new Map<string, { group: string; stream: string; n: number; first: number; last: number; lastIngestion: number; bytes: number; index: number }>();
  const ordinals: number[] = [];
  const keys: string[] = [];
  for (const l of lines) {
    const key = `${l.group}\u0000${l.stream}`;
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { group: l.group, stream: l.stream, n: 0, first: l.timestamp, last: l.timestamp, lastIngestion: l.ingestion, bytes: 0, index: 0 }));
    ordinals.push(s.n++);
    keys.push(key);
    s.first = Math.min(s.first, l.timestamp);
    s.last = Math.max(s.last, l.timestamp);
    s.lastIngestion = Math.max(s.lastIngestion, l.ingestion);
    s.bytes += l.bytes + EVENT_OVERHEAD_BYTES;
  }
  // Every message in one bytea (sent as binary, no escaping), cut apart in SQL by start and length.
  const text = Buffer.allocUnsafe(lines.reduce((n, l) => n + l.bytes, 0));
  const starts: number[] = [];
  let at = 0;
  for (const l of lines) {
    starts.push(at + 1);
    at += text.write(l.message, at, 'utf8');
  }
  const sorted = [...streams.values()].sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  sorted.forEach((s, i) => { s.index = i + 1; });
  return [
    now,
    sorted.map((s) => s.group), sorted.map((s) => s.stream), ints(sorted.map((s) => s.n)), ints(sorted.map((s) => s.first)), ints(sorted.map((s) => s.last)), ints(sorted.map((s) => s.lastIngestion)), ints(sorted.map((s) => s.bytes)),
    ints(keys.map((k) => streams.get(k)!.index)), ints(ordinals), ints(lines.map((l) => l.timestamp)), ints(lines.map((l) => l.ingestion)),
    text, ints(starts), ints(lines.map((l) => l.bytes)),
  ];
}

/**
 * An array of integers as PostgreSQL's array literal: `pg` would escape each element of a JS array
 * (a fifth of the writer's CPU in a profile of 5,000-line batches); these need no escaping.
 */
function ints(values: readonly number[]): string {
  return `{${values.map((v) => Math.trunc(v)).join(',')}}`;
}
