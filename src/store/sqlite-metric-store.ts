import type Database from 'better-sqlite3';
import type { MetricDimension, MetricPoint, MetricSeries, MetricSeriesFilter, MetricStore } from '../ports/metric-store.js';

interface SeriesRow {
  id: number;
  namespace: string;
  metric_name: string;
  dims: string;
  unit: string;
}
interface PointRow {
  rowid: number;
  series_id: number;
  ts: number;
  resolution: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  sketch: Buffer;
}

/**
 * CloudWatch metric data in flint.db: one row per series (namespace, name, sorted dimensions, unit)
 * and one per flushed bucket. The tables are created here rather than by the numbered migrations
 * so that this driver stays independent of the other stores' migration sequence.
 */
export class SqliteMetricStore implements MetricStore {
  readonly #db: Database.Database;
  readonly #ids = new Map<string, number>();
  readonly #series = new Map<number, MetricSeries>();
  readonly #insertPoint: Database.Statement;
  readonly #touch: Database.Statement;
  readonly #insertSeries: Database.Statement;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(`
      CREATE TABLE IF NOT EXISTS metric_series (
        id INTEGER PRIMARY KEY,
        namespace TEXT NOT NULL,
        metric_name TEXT NOT NULL,
        dims TEXT NOT NULL,
        unit TEXT NOT NULL,
        last_write INTEGER NOT NULL,
        UNIQUE (namespace, metric_name, dims, unit)
      );
      CREATE TABLE IF NOT EXISTS metric_points (
        series_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        resolution INTEGER NOT NULL,
        count REAL NOT NULL,
        sum REAL NOT NULL,
        min REAL NOT NULL,
        max REAL NOT NULL,
        sketch BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS metric_points_series ON metric_points (series_id, ts);
      CREATE INDEX IF NOT EXISTS metric_points_age ON metric_points (resolution, ts);
    `);
    this.#insertPoint = db.prepare('INSERT INTO metric_points (series_id, ts, resolution, count, sum, min, max, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#insertSeries = db.prepare('INSERT INTO metric_series (namespace, metric_name, dims, unit, last_write) VALUES (?, ?, ?, ?, ?)');
    this.#touch = db.prepare('UPDATE metric_series SET last_write = MAX(last_write, ?) WHERE id = ?');
    for (const r of db.prepare('SELECT id, namespace, metric_name, dims, unit FROM metric_series').all() as SeriesRow[]) this.#remember(r);
  }

  #remember(r: SeriesRow): void {
    const series: MetricSeries = { namespace: r.namespace, metricName: r.metric_name, dimensions: JSON.parse(r.dims) as MetricDimension[], unit: r.unit };
    this.#ids.set(keyOf(r.namespace, r.metric_name, r.dims, r.unit), r.id);
    this.#series.set(r.id, series);
  }

  #idOf(s: MetricSeries, at: number): number {
    const dims = JSON.stringify(s.dimensions);
    const key = keyOf(s.namespace, s.metricName, dims, s.unit);
    let id = this.#ids.get(key);
    if (id === undefined) {
      const info = this.#insertSeries.run(s.namespace, s.metricName, dims, s.unit, at);
      id = Number(info.lastInsertRowid);
      this.#remember({ id, namespace: s.namespace, metric_name: s.metricName, dims, unit: s.unit });
    }
    return id;
  }

  append(points: MetricPoint[]): void {
    this.#db.transaction(() => {
      for (const p of points) {
        const id = this.#idOf(p.series, p.timestamp);
        this.#insertPoint.run(id, p.timestamp, p.resolution, p.count, p.sum, p.min, p.max, Buffer.from(p.sketch));
        this.#touch.run(p.timestamp, id);
      }
    })();
  }

  #point(r: PointRow): MetricPoint {
    return { series: this.#series.get(r.series_id)!, timestamp: r.ts, resolution: r.resolution, count: r.count, sum: r.sum, min: r.min, max: r.max, sketch: r.sketch, rowId: r.rowid };
  }

  read(q: { namespace: string; metricName: string; dimensions: MetricDimension[]; unit?: string; from: number; to: number }): MetricPoint[] {
    const dims = JSON.stringify(q.dimensions);
    const ids = [...this.#ids.entries()]
      .filter(([, id]) => {
        const s = this.#series.get(id)!;
        return s.namespace === q.namespace && s.metricName === q.metricName && JSON.stringify(s.dimensions) === dims && (q.unit === undefined || s.unit === q.unit);
      })
      .map(([, id]) => id);
    if (ids.length === 0) return [];
    const rows = this.#db
      .prepare(`SELECT rowid, * FROM metric_points WHERE series_id IN (${ids.map(() => '?').join(',')}) AND ts >= ? AND ts < ? ORDER BY ts`)
      .all(...ids, q.from, q.to) as PointRow[];
    return rows.map((r) => this.#point(r));
  }

  listSeries(f: MetricSeriesFilter): MetricSeries[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.namespace !== undefined) { where.push('namespace = ?'); args.push(f.namespace); }
    if (f.metricName !== undefined) { where.push('metric_name = ?'); args.push(f.metricName); }
    if (f.activeSince !== undefined) { where.push('last_write >= ?'); args.push(f.activeSince); }
    const rows = this.#db
      .prepare(`SELECT id FROM metric_series ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY namespace, metric_name, dims`)
      .all(...args) as Array<{ id: number }>;
    return rows
      .map((r) => this.#series.get(r.id)!)
      .filter((s) => (f.dimensions ?? []).every((d) => s.dimensions.some((sd) => sd.Name === d.Name && (d.Value === undefined || sd.Value === d.Value))));
  }

  readOlder(resolution: number, before: number, limit: number): MetricPoint[] {
    const rows = this.#db.prepare('SELECT rowid, * FROM metric_points WHERE resolution = ? AND ts < ? ORDER BY series_id, ts LIMIT ?').all(resolution, before, limit) as PointRow[];
    return rows.map((r) => this.#point(r));
  }

  replace(removed: MetricPoint[], replacement: MetricPoint[]): void {
    const del = this.#db.prepare('DELETE FROM metric_points WHERE rowid = ?');
    this.#db.transaction(() => {
      for (const p of removed) if (p.rowId !== undefined) del.run(p.rowId);
      for (const p of replacement) this.#insertPoint.run(this.#idOf(p.series, p.timestamp), p.timestamp, p.resolution, p.count, p.sum, p.min, p.max, Buffer.from(p.sketch));
    })();
  }

  expire(resolution: number, before: number): number {
    return this.#db.prepare('DELETE FROM metric_points WHERE resolution = ? AND ts < ?').run(resolution, before).changes;
  }
}

const keyOf = (namespace: string, metricName: string, dims: string, unit: string) => `${namespace}\0${metricName}\0${dims}\0${unit}`;
