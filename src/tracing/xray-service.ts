import { AwsError } from '../domain/errors.js';
import { isTraceRoot } from '../domain/trace-header.js';
import type { Clock } from '../ports/clock.js';
import type { TraceStore } from '../ports/trace-store.js';
import { compileFilter, FilterSyntaxError, type Filter } from './filter-expression.js';
import type { SegmentDocument } from './lambda-segments.js';
import type { TraceRecorder } from './trace-recorder.js';
import { summarizeTrace } from './trace-summary.js';

/** X-Ray's client errors are InvalidRequestException (400). */
const invalid = (message: string) => new AwsError('InvalidRequestException', message, { status: 400 });

/** Traces looked at per GetTraceSummaries page (X-Ray pages by time and hands back a NextToken). */
const PAGE = 100;
/** BatchGetTraces returns at most this many traces per call (X-Ray's page size; the CLI follows NextToken). */
const BATCH = 5;
/** PutTraceSegments: X-Ray's limit of 64 KB per segment document. */
const MAX_DOCUMENT_BYTES = 64 * 1024;

const SEGMENT_ID = /^[0-9a-f]{16}$/;

export interface SummariesQuery {
  startTime: number;
  endTime: number;
  timeRangeType?: string;
  filterExpression?: string;
  nextToken?: string;
}

/**
 * The read and write sides of the X-Ray API over Flint's trace store: GetTraceSummaries (time
 * range by trace id or event time, filter expressions, pages), BatchGetTraces (segment
 * documents as stored) and PutTraceSegments (segments sent by functions' X-Ray SDKs or anyone
 * allowed `xray:PutTraceSegments`; they are exported like Flint's own).
 */
export class XRayService {
  readonly #store: TraceStore;
  readonly #recorder: TraceRecorder;
  readonly #clock: Clock;

  constructor(deps: { store: TraceStore; recorder: TraceRecorder; clock: Clock }) {
    this.#store = deps.store;
    this.#recorder = deps.recorder;
    this.#clock = deps.clock;
  }

  traceSummaries(q: SummariesQuery): Record<string, unknown> {
    if (!(q.endTime >= q.startTime)) throw invalid('Start time must be before end time.');
    const by = q.timeRangeType === undefined || q.timeRangeType === 'TraceId' ? 'TraceId' : q.timeRangeType === 'Event' ? 'Event' : undefined;
    if (!by) throw invalid(`TimeRangeType ${q.timeRangeType} is not supported.`);
    let filter: Filter | undefined;
    if (q.filterExpression !== undefined && q.filterExpression.trim() !== '') {
      try {
        filter = compileFilter(q.filterExpression);
      } catch (err) {
        if (err instanceof FilterSyntaxError) throw invalid(`Invalid filter expression: ${err.message}`);
        throw err;
      }
    }
    const after = q.nextToken !== undefined && q.nextToken !== '' ? decodeToken(q.nextToken) : undefined;
    this.#recorder.writePending();
    const refs = this.#store.traces({ by, start: q.startTime, end: q.endTime, limit: PAGE, ...(after ? { after } : {}) });
    const segments = this.#store.segments(refs.map((r) => r.traceId));
    const summaries: unknown[] = [];
    for (const ref of refs) {
      const segs = segments.get(ref.traceId);
      if (!segs || segs.length === 0) continue;
      const { summary, subject } = summarizeTrace(ref.traceId, segs);
      if (filter && !filter(subject)) continue;
      summaries.push({ ...summary, ...(by === 'Event' ? { MatchedEventTime: new Date(Math.round(ref.time * 1000)) } : {}) });
    }
    const last = refs[refs.length - 1];
    return {
      TraceSummaries: summaries,
      ApproximateTime: new Date(this.#clock.now()),
      TracesProcessedCount: refs.length,
      ...(refs.length === PAGE && last ? { NextToken: encodeToken(last.time, last.traceId) } : {}),
    };
  }

  batchGetTraces(traceIds: string[], nextToken: string | undefined): Record<string, unknown> {
    const offset = nextToken !== undefined && nextToken !== '' ? offsetOf(nextToken) : 0;
    const page = traceIds.slice(offset, offset + BATCH);
    this.#recorder.writePending();
    const found = this.#store.segments(page.filter(isTraceRoot));
    const traces: unknown[] = [];
    const unprocessed: string[] = [];
    for (const id of page) {
      const segs = found.get(id);
      if (!segs || segs.length === 0) {
        unprocessed.push(id);
        continue;
      }
      const start = Math.min(...segs.map((s) => s.startTime));
      const end = Math.max(...segs.map((s) => s.endTime));
      traces.push({ Id: id, Duration: Math.round((end - start) * 1000) / 1000, LimitExceeded: false, Segments: segs.map((s) => ({ Id: s.id, Document: s.document })) });
    }
    const next = offset + BATCH < traceIds.length ? Buffer.from(String(offset + BATCH)).toString('base64url') : undefined;
    return { Traces: traces, UnprocessedTraceIds: unprocessed, ...(next ? { NextToken: next } : {}) };
  }

  putTraceSegments(documents: string[]): Record<string, unknown> {
    const accepted: SegmentDocument[] = [];
    const unprocessed: Array<{ Id?: string; ErrorCode: string; Message: string }> = [];
    for (const text of documents) {
      const problem = (id: string | undefined, message: string) => unprocessed.push({ ...(id ? { Id: id } : {}), ErrorCode: 'InvalidSegment', Message: message });
      if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) {
        problem(undefined, 'Segment document exceeds 64 KB');
        continue;
      }
      let doc: SegmentDocument;
      try {
        doc = JSON.parse(text) as SegmentDocument;
      } catch {
        problem(undefined, 'Invalid segment. Segment document is not valid JSON');
        continue;
      }
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        problem(undefined, 'Invalid segment. Segment document must be a JSON object');
        continue;
      }
      const id = typeof doc.id === 'string' ? doc.id : undefined;
      if (!id || !SEGMENT_ID.test(id)) problem(id, 'Invalid segment. id must be 16 hexadecimal digits');
      else if (typeof doc.name !== 'string' || doc.name === '' || doc.name.length > 200) problem(id, 'Invalid segment. name is required (up to 200 characters)');
      else if (typeof doc.trace_id !== 'string' || !isTraceRoot(doc.trace_id)) problem(id, 'Invalid segment. trace_id is not a valid X-Ray trace id');
      else if (typeof doc.start_time !== 'number') problem(id, 'Invalid segment. start_time is required');
      else if (typeof doc.end_time !== 'number' && doc.in_progress !== true) problem(id, 'Invalid segment. end_time or in_progress is required');
      else accepted.push(doc);
    }
    if (accepted.length > 0) {
      this.#recorder.record(accepted);
      this.#recorder.writePending();
    }
    return { UnprocessedTraceSegments: unprocessed };
  }
}

function encodeToken(time: number, traceId: string): string {
  return Buffer.from(JSON.stringify([time, traceId])).toString('base64url');
}

function decodeToken(token: string): { time: number; traceId: string } {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { time: v[0], traceId: v[1] };
  } catch {
    // reported below
  }
  throw invalid('Invalid NextToken.');
}

function offsetOf(token: string): number {
  const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw invalid('Invalid NextToken.');
  return n;
}
