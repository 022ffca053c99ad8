import type { MetricDimension, MetricPoint, MetricSeries, MetricSeriesFilter, MetricStore } from '../../ports/metric-store.js';
import { applySchema } from './pg-schema.js';
import { PgSyncClient } from './pg-sync-client.js';

/** SqliteMetricStore's tables; names compare as bytes (COLLATE "C"), as SQLite's do. */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS metric_series (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    namespace text COLLATE "C" NOT NULL,
    metric_name text COLLATE "C" NOT NULL,
    dims text COLLATE "C" NOT NULL,
    unit text COLLATE "C" NOT NULL,
    last_write bigint NOT NULL,
    UNIQUE (namespace, metric_name, dims, unit)
  );
  CREATE TABLE IF NOT EXISTS metric_points (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_id bigint NOT NULL REFERENCES metric_series (id),
    ts bigint NOT NULL,
    resolution integer NOT NULL,
    count double precision NOT NULL,
    sum double precision NOT NULL,
    min double precision NOT NULL,
    max double precision NOT NULL,
    sketch bytea NOT NULL
  );
  CREATE INDEX IF NOT EXISTS metric_points_series ON metric_points (series_id, ts);
  CREATE INDEX IF NOT EXISTS metric_points_age ON metric_points (resolution, ts)`;

/**
 * One statement: upserts the batch's series (their last write moves forward only) and inserts its
 * points. Sketches travel as base64 (arrays of bytea do not cross the synchronous bridge).
 */
const APPEND_SQL = `
  WITH sv AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY AS v(ns, mn, dims, unit, lw, si)
  ), up AS (
    INSERT INTO metric_series AS t (namespace, metric_name, dims, unit, last_write)
    SELECT ns, mn, dims, unit, lw FROM sv ORDER BY si
    ON CONFLICT (namespace, metric_name, dims, unit) DO UPDATE SET last_write = GREATEST(t.last_write, excluded.last_write)
    RETURNING t.id, t.namespace, t.metric_name, t.dims, t.unit
  )
  INSERT INTO metric_points (series_id, ts, resolution, count, sum, min, max, sketch)
  SELECT up.id, p.ts, p.res, p.c, p.s, p.mi, p.ma, decode(p.sk, 'base64')
  FROM unnest($6::int[], $7::bigint[], $8::int[], $9::float8[], $10::float8[], $11::float8[], $12::float8[], $13::text[]) AS p(si, ts, res, c, s, mi, ma, sk)
  JOIN sv ON sv.si = p.si
  JOIN up ON up.namespace = sv.ns AND up.metric_name = sv.mn AND up.dims = sv.dims AND up.unit = sv.unit`;

const POINT_COLUMNS = 'p.id, p.ts, p.resolution, p.count, p.sum, p.min, p.max, p.sketch, s.namespace, s.metric_name, s.dims, s.unit';

interface PointRow { id: number; ts: number; resolution: number; count: number; sum: number; min: number; max: number; sketch: Uint8Array; namespace: string; metric_name: string; dims: string; unit: string }

/** Points kept for the next write while PostgreSQL is unreachable; beyond this they are dropped and counted. */
const MAX_HELD_POINTS = 100_000;

/**
 * CloudWatch metric data on PostgreSQL, so GetMetricData and GetMetricStatistics on any api node
 * count what every worker recorded (AWS/Lambda Invocations, Duration, Errors …). The port is
 * synchronous, so every call goes through the synchronous bridge: the recorder writes once per
 * flush interval (a minute) and before each read, never per invocation — a worker's event loop
 * waits for one round trip a minute.
 *
 * A write that fails (database unreachable) is not lost: its points are held and go with the next
 * write, up to MAX_HELD_POINTS (then dropped, counted, said once). Rollups from several nodes at
 * once are safe: `replace` deletes the rows it read and inserts their rollup in one transaction,
 * and rolls back when another node removed any of those rows first.
 */
export class PgMetricStore implements MetricStore {
  readonly #client: PgSyncClient;
  readonly #log: (line: string) => void;
  #held: MetricPoint[] = [];
  #dropped = 0;
  #failing = false;

  constructor(url: string, opts: { timeoutMs?: number; log?: (line: string) => void } = {}) {
    this.#client = new PgSyncClient(url, { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), applicationName: 'flint-metrics' });
    this.#log = opts.log ?? (() => undefined);
    try {
      applySchema(this.#client, SCHEMA);
    } catch (err) {
      this.#client.close();
      throw err;
    }
  }

  /** Points dropped because the database stayed unreachable past the bound. */
  get dropped(): number {
    return this.#dropped;
  }

  append(points: MetricPoint[]): void {
    const batch = this.#held.length > 0 ? this.#held.concat(points) : points;
    this.#held = [];
    if (batch.length === 0) return;
    try {
      this.#client.query(APPEND_SQL, appendParams(batch));
      if (this.#failing) this.#log('flint: CloudWatch metrics reach PostgreSQL again');
      this.#failing = false;
    } catch (err) {
      // The recorder has drained its buffers: keep the points for the next write, within the bound.
      const keep = batch.slice(Math.max(0, batch.length - MAX_HELD_POINTS));
      this.#dropped += batch.length - keep.length;
      this.#held = keep;
      if (!this.#failing) this.#log(`flint: warning: CloudWatch metrics could not be stored in PostgreSQL (${(err as Error).message}); ${keep.length} point(s) held for the next write`);
      this.#failing = true;
    }
  }

  read(q: { namespace: string; metricName: string; dimensions: MetricDimension[]; unit?: string; from: number; to: number }): MetricPoint[] {
    this.#sendHeld();
    return this.#client.query<PointRow>(
      `SELECT ${POINT_COLUMNS} FROM metric_points p JOIN metric_series s ON s.id = p.series_id
       WHERE s.namespace = $1 AND s.metric_name = $2 AND s.dims = $3 AND ($4::text IS NULL OR s.unit = $4) AND p.ts >= $5 AND p.ts < $6
       ORDER BY p.ts, p.id`,
      [q.namespace, q.metricName, JSON.stringify(q.dimensions), q.unit ?? null, q.from, q.to],
    ).rows.map(point);
  }

  listSeries(f: MetricSeriesFilter): MetricSeries[] {
    this.#sendHeld();
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.namespace !== undefined) { args.push(f.namespace); where.push(`namespace = $${args.length}`); }
    if (f.metricName !== undefined) { args.push(f.metricName); where.push(`metric_name = $${args.length}`); }
    if (f.activeSince !== undefined) { args.push(f.activeSince); where.push(`last_write >= $${args.length}`); }
    const rows = this.#client.query<{ namespace: string; metric_name: string; dims: string; unit: string }>(
      `SELECT namespace, metric_name, dims, unit FROM metric_series ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY namespace, metric_name, dims, id`,
      args,
    ).rows;
    return rows
      .map(seriesOf)
      .filter((s) => (f.dimensions ?? []).every((d) => s.dimensions.some((sd) => sd.Name === d.Name && (d.Value === undefined || sd.Value === d.Value))));
  }

  readOlder(resolution: number, before: number, limit: number): MetricPoint[] {
    this.#sendHeld();
    return this.#client.query<PointRow>(
      `SELECT ${POINT_COLUMNS} FROM metric_points p JOIN metric_series s ON s.id = p.series_id
       WHERE p.resolution = $1 AND p.ts < $2 ORDER BY p.series_id, p.ts, p.id LIMIT $3`,
      [resolution, before, limit],
    ).rows.map(point);
  }

  replace(removed: MetricPoint[], replacement: MetricPoint[]): void {
    const ids = removed.flatMap((p) => (p.rowId !== undefined ? [p.rowId] : []));
    let session: number | undefined;
    try {
      session = this.#client.query('BEGIN').session;
      const deleted = this.#client.query('DELETE FROM metric_points WHERE id = ANY($1::bigint[])', [ids], { session }).rowCount;
      if (deleted !== ids.length) {
        // Another node's rollup took some of these rows first: its replacement counts them.
        this.#client.query('ROLLBACK', undefined, { session });
        return;
      }
      if (replacement.length > 0) this.#client.query(APPEND_SQL, appendParams(replacement), { session });
      this.#client.query('COMMIT', undefined, { session });
    } catch (err) {
      this.#client.rollback(session, err);
      throw err;
    }
  }

  expire(resolution: number, before: number): number {
    return this.#client.query('DELETE FROM metric_points WHERE resolution = $1 AND ts < $2', [resolution, before]).rowCount;
  }

  close(): void {
    this.#sendHeld();
    this.#client.close();
  }

  /** A read sees this node's own writes: points held from a failed write go first. */
  #sendHeld(): void {
    if (this.#held.length > 0) this.append([]);
  }
}

function seriesOf(r: { namespace: string; metric_name: string; dims: string; unit: string }): MetricSeries {
  return { namespace: r.namespace, metricName: r.metric_name, dimensions: JSON.parse(r.dims) as MetricDimension[], unit: r.unit };
}

function point(r: PointRow): MetricPoint {
  return { series: seriesOf(r), timestamp: r.ts, resolution: r.resolution, count: r.count, sum: r.sum, min: r.min, max: r.max, sketch: r.sketch, rowId: r.id };
}

/** APPEND_SQL's parameters: the distinct series (sorted, so two nodes lock series rows in one order), then the points. */
function appendParams(points: readonly MetricPoint[]): unknown[] {
  const series = new Map<string, { s: MetricSeries; dims: string; lastWrite: number; index: number }>();
  const keys: string[] = [];
  for (const p of points) {
    const dims = JSON.stringify(p.series.dimensions);
    const key = `${p.series.namespace}\u0000${p.series.metricName}\u0000${dims}\u0000${p.series.unit}`;
    const e = series.get(key);
    if (e) e.lastWrite = Math.max(e.lastWrite, p.timestamp);
    else series.set(key, { s: p.series, dims, lastWrite: p.timestamp, index: 0 });
    keys.push(key);
  }
  const sorted = [...series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  sorted.forEach((e, i) => { e.index = i + 1; });
  return [
    sorted.map((e) => e.s.namespace), sorted.map((e) => e.s.metricName), sorted.map((e) => e.dims), sorted.map((e) => e.s.unit), sorted.map((e) => e.lastWrite),
    keys.map((k) => series.get(k)!.index), points.map((p) => p.timestamp), points.map((p) => p.resolution),
    points.map((p) => p.count), points.map((p) => p.sum), points.map((p) => p.min), points.map((p) => p.max),
    points.map((p) => Buffer.from(p.sketch).toString('base64')),
  ];
}
