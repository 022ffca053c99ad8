/**
 * Stored X-Ray segment documents, by trace. Segments are the unit X-Ray stores and returns
 * (BatchGetTraces gives them back as JSON documents); a trace is the set sharing a trace id.
 */
export interface StoredSegment {
  traceId: string;
  /** The segment's 16-hex id. */
  id: string;
  /** Epoch seconds (fractional), as in the document. */
  startTime: number;
  endTime: number;
  /** The segment document as JSON text, exactly as recorded. */
  document: string;
}

export interface TraceRange {
  /**
   * `TraceId`: traces whose id's embedded time falls in the range (X-Ray's default);
   * `Event`: traces with a segment overlapping the range.
   */
  by: 'TraceId' | 'Event';
  /** Epoch seconds. */
  start: number;
  end: number;
  /** Continue after this trace (the last one of the previous page). */
  after?: { time: number; traceId: string };
  limit: number;
}

export interface TraceRef {
  traceId: string;
  /** The time the range is ordered by (the id's time, or the trace's first event). */
  time: number;
}

export interface TraceStore {
  /** Adds segments; a segment sent again with the same trace and id replaces the earlier one (X-Ray keeps the latest). */
  put(segments: ReadonlyArray<StoredSegment>): void;
  /** Traces in the range, oldest first, at most `limit`. */
  traces(range: TraceRange): TraceRef[];
  /** The segments of each trace asked for that exists. */
  segments(traceIds: ReadonlyArray<string>): Map<string, StoredSegment[]>;
  /** Removes traces whose last segment ended before `beforeSeconds`; returns how many. */
  prune(beforeSeconds: number): number;
  close(): void;
}
