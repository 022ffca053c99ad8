import type { Clock } from '../ports/clock.js';
import type { StoredSegment, TraceStore } from '../ports/trace-store.js';
import type { SegmentDocument } from './lambda-segments.js';

/** Where recorded segments go besides the store: the OTLP exporter (segment-spans.ts). */
export interface SegmentSink {
  export(segments: ReadonlyArray<SegmentDocument>): void;
  /** Sends what is buffered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/** X-Ray keeps traces for 30 days. */
export const TRACE_RETENTION_DAYS = 30;
/** Pruning runs after this many recorded segments (and on start), so the store stays bounded without a timer per write. */
const PRUNE_EVERY = 5000;

/**
 * Records finished segments: into the trace store (what GetTraceSummaries and BatchGetTraces
 * read) and to the span sink (OTLP), and keeps the store to X-Ray's retention.
 */
export class TraceRecorder {
  readonly #store: TraceStore;
  readonly #clock: Clock;
  readonly #sink: SegmentSink | undefined;
  readonly #retentionMs: number;
  readonly #log: (line: string) => void;
  #sincePrune = 0;
  #pending: SegmentDocument[] = [];
  #scheduled = false;

  constructor(opts: { store: TraceStore; clock: Clock; sink?: SegmentSink; retentionDays?: number; log?: (line: string) => void }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#sink = opts.sink;
    this.#retentionMs = (opts.retentionDays ?? TRACE_RETENTION_DAYS) * 86_400_000;
    this.#log = opts.log ?? (() => {});
  }

  /**
   * Queues segments; they are written (one transaction for all queued) and exported on the next
   * turn of the event loop, after the invocation's response has been sent.
   */
  record(segments: ReadonlyArray<SegmentDocument>): void {
    for (const s of segments) this.#pending.push(s);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.writePending());
    }
  }

  /** Writes what is queued now (readers call this first, so a query sees every finished invocation). */
  writePending(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const segments = this.#pending;
    this.#pending = [];
    const rows: StoredSegment[] = segments.map((s) => ({
      traceId: String(s.trace_id),
      id: s.id,
      startTime: s.start_time,
      endTime: s.end_time ?? s.start_time,
      document: JSON.stringify(s),
    }));
    try {
      this.#store.put(rows);
    } catch (err) {
      // Tracing never fails an invocation: X-Ray's daemon drops segments it cannot send, too.
      this.#log(`flint: trace segments not stored: ${String(err)}`);
    }
    try {
      this.#sink?.export(segments);
    } catch (err) {
      this.#log(`flint: trace spans not exported: ${String(err)}`);
    }
    this.#sincePrune += segments.length;
    if (this.#sincePrune >= PRUNE_EVERY) this.prune();
  }

  /** Removes traces past the retention; returns how many. */
  prune(): number {
    this.#sincePrune = 0;
    if (this.#pending.length > 0) this.writePending();
    try {
      return this.#store.prune((this.#clock.now() - this.#retentionMs) / 1000);
    } catch (err) {
      this.#log(`flint: trace pruning failed: ${String(err)}`);
      return 0;
    }
  }

  async flush(): Promise<void> {
    this.writePending();
    await this.#sink?.flush();
  }

  async close(): Promise<void> {
    this.writePending();
    await this.#sink?.shutdown();
  }
}
