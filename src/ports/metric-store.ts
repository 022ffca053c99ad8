/** A CloudWatch dimension. */
export interface MetricDimension {
  Name: string;
  Value: string;
}

/** What identifies one stored series: CloudWatch keeps each unit of a metric apart. */
export interface MetricSeries {
  namespace: string;
  metricName: string;
  /** Sorted by Name. */
  dimensions: MetricDimension[];
  unit: string;
}

/** One stored aggregate: the values of a series in [timestamp, timestamp + resolution s). */
export interface MetricPoint {
  series: MetricSeries;
  /** Epoch ms of the bucket start. */
  timestamp: number;
  /** Bucket length in seconds: 1 (high resolution), 60, 300 or 3600. */
  resolution: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  /** The aggregate's quantile sketch, opaque to the store. */
  sketch: Uint8Array;
  /** The stored row, on points read back (`replace` removes by it). */
  rowId?: number;
}

export interface MetricSeriesFilter {
  namespace?: string;
  metricName?: string;
  /** Each must be among the series' dimensions; a filter without Value matches any value. */
  dimensions?: Array<{ Name: string; Value?: string }>;
  /** Only series written at or after this epoch ms. */
  activeSince?: number;
}

/**
 * Durable CloudWatch metric data. Writes append (the service merges equal buckets when it reads
 * or rolls them up); `replace` swaps a series' range for its rollup in one transaction.
 */
export interface MetricStore {
  append(points: MetricPoint[]): void;
  /** Points of exactly these series (namespace, name, dimensions; every unit unless `unit`), timestamp in [from, to). */
  read(q: { namespace: string; metricName: string; dimensions: MetricDimension[]; unit?: string; from: number; to: number }): MetricPoint[];
  /** Distinct series, ordered by namespace, name and dimensions. */
  listSeries(filter: MetricSeriesFilter): MetricSeries[];
  /** Points of `resolution` older than `before`, for rollup. */
  readOlder(resolution: number, before: number, limit: number): MetricPoint[];
  /** Deletes the rows of the given points (read back, with their rowId) and appends `replacement`, atomically. */
  replace(removed: MetricPoint[], replacement: MetricPoint[]): void;
  /** Deletes points of `resolution` older than `before`. */
  expire(resolution: number, before: number): number;
}
