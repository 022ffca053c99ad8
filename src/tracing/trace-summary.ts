import type { StoredSegment } from '../ports/trace-store.js';
import type { FilterSubject, Value } from './filter-expression.js';
import type { SegmentDocument } from './lambda-segments.js';

/** A trace as GetTraceSummaries describes it (wire member names), plus what filters look at. */
export interface SummarizedTrace {
  summary: Record<string, unknown>;
  subject: FilterSubject;
}

interface ServiceId {
  Name: string;
  Names: string[];
  AccountId?: string;
  Type?: string;
}

function serviceIdOf(s: SegmentDocument): ServiceId {
  const account = typeof s.aws?.['account_id'] === 'string' ? (s.aws['account_id'] as string) : arnAccount(s.resource_arn);
  return { Name: s.name, Names: [s.name], ...(account ? { AccountId: account } : {}), ...(s.origin ? { Type: s.origin } : {}) };
}

function arnAccount(arn: string | undefined): string | undefined {
  const a = arn?.split(':')[4];
  return a !== undefined && a !== '' ? a : undefined;
}

function walk(s: SegmentDocument, visit: (d: SegmentDocument) => void): void {
  visit(s);
  // Documents from PutTraceSegments are validated at the top only: skip what is not a subsegment.
  if (Array.isArray(s.subsegments)) for (const c of s.subsegments) if (typeof c === 'object' && c !== null) walk(c, visit);
}

function annotationValue(v: Value): Record<string, Value> {
  return typeof v === 'number' ? { NumberValue: v } : typeof v === 'boolean' ? { BooleanValue: v } : { StringValue: v };
}

/**
 * X-Ray's summary of a trace, computed from its segments: the entry point is the segment whose
 * parent is not in the trace (the first to start); ResponseTime is its duration and Duration the
 * span from the first start to the last end; the flags are set when any segment or subsegment
 * has them; root causes list the faulty (or erroneous) segments with their exceptions.
 */
export function summarizeTrace(traceId: string, stored: ReadonlyArray<StoredSegment>): SummarizedTrace {
  const segs = stored.map((s) => JSON.parse(s.document) as SegmentDocument);
  const ids = new Set(segs.map((s) => s.id));
  const entry = segs.filter((s) => s.parent_id === undefined || !ids.has(s.parent_id)).sort((a, b) => a.start_time - b.start_time)[0] ?? segs[0]!;
  const start = Math.min(...segs.map((s) => s.start_time));
  const end = Math.max(...segs.map((s) => s.end_time ?? s.start_time));
  let error = false;
  let fault = false;
  let throttle = false;
  let partial = false;
  const annotations = new Map<string, Array<{ value: Value; service: ServiceId }>>();
  const services = new Map<string, ServiceId>();
  const arns = new Set<string>();
  const faultCauses: unknown[] = [];
  const errorCauses: unknown[] = [];
  for (const seg of segs) {
    const sid = serviceIdOf(seg);
    services.set(`${sid.Name}\u0000${sid.Type ?? ''}`, sid);
    if (seg.resource_arn) arns.add(seg.resource_arn);
    walk(seg, (d) => {
      error ||= d.error === true;
      fault ||= d.fault === true;
      throttle ||= d.throttle === true;
      partial ||= d.in_progress === true;
      for (const [k, v] of Object.entries(typeof d.annotations === 'object' && d.annotations !== null ? d.annotations : {})) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') continue;
        let list = annotations.get(k);
        if (!list) annotations.set(k, (list = []));
        list.push({ value: v, service: sid });
      }
      if (d.fault === true || d.error === true) {
        const cause = {
          Services: [{
            Name: sid.Name,
            Names: sid.Names,
            ...(sid.Type ? { Type: sid.Type } : {}),
            ...(sid.AccountId ? { AccountId: sid.AccountId } : {}),
            EntityPath: [{ Name: d.name, Exceptions: (Array.isArray(d.cause?.exceptions) ? d.cause.exceptions : []).map((e) => ({ ...(e.type ? { Name: e.type } : {}), ...(e.message ? { Message: e.message } : {}) })), Remote: false }],
            Inferred: false,
          }],
          ClientImpacting: d === entry,
        };
        (d.fault === true ? faultCauses : errorCauses).push(cause);
      }
    });
  }
  const http = entry.http ?? {};
  const req = (http.request ?? {}) as Record<string, unknown>;
  const status = http.response?.status;
  const responseTime = (entry.end_time ?? entry.start_time) - entry.start_time;
  const summaryHttp: Record<string, unknown> = {
    ...(typeof req['url'] === 'string' ? { HttpURL: req['url'] } : {}),
    ...(typeof status === 'number' ? { HttpStatus: status } : {}),
    ...(typeof req['method'] === 'string' ? { HttpMethod: req['method'] } : {}),
    ...(typeof req['user_agent'] === 'string' ? { UserAgent: req['user_agent'] } : {}),
    ...(typeof req['client_ip'] === 'string' ? { ClientIp: req['client_ip'] } : {}),
  };
  const wireAnnotations: Record<string, unknown[]> = {};
  for (const [k, list] of annotations) {
    const byValue = new Map<string, { AnnotationValue: Record<string, Value>; ServiceIds: ServiceId[] }>();
    for (const { value, service } of list) {
      const key = JSON.stringify(value);
      const e = byValue.get(key) ?? { AnnotationValue: annotationValue(value), ServiceIds: [] };
      if (!e.ServiceIds.some((x) => x.Name === service.Name && x.Type === service.Type)) e.ServiceIds.push(service);
      byValue.set(key, e);
    }
    wireAnnotations[k] = [...byValue.values()];
  }
  const summary: Record<string, unknown> = {
    Id: traceId,
    StartTime: new Date(Math.round(start * 1000)),
    Duration: round3(end - start),
    ResponseTime: round3(responseTime),
    HasFault: fault,
    HasError: error,
    HasThrottle: throttle,
    IsPartial: partial,
    Http: summaryHttp,
    Annotations: wireAnnotations,
    Users: [],
    ServiceIds: [...services.values()],
    ResourceARNs: [...arns].map((ARN) => ({ ARN })),
    InstanceIds: [],
    AvailabilityZones: [],
    EntryPoint: serviceIdOf(entry),
    FaultRootCauses: faultCauses,
    ErrorRootCauses: errorCauses,
    ResponseTimeRootCauses: [],
    Revision: stored.length,
  };
  return {
    summary,
    subject: {
      ok: !error && !fault && !throttle,
      error,
      fault,
      throttle,
      partial,
      responsetime: responseTime,
      duration: end - start,
      http: {
        ...(typeof status === 'number' ? { status } : {}),
        ...(typeof req['url'] === 'string' ? { url: req['url'] } : {}),
        ...(typeof req['method'] === 'string' ? { method: req['method'] } : {}),
        ...(typeof req['user_agent'] === 'string' ? { useragent: req['user_agent'] } : {}),
        ...(typeof req['client_ip'] === 'string' ? { clientip: req['client_ip'] } : {}),
      },
      annotations: new Map([...annotations].map(([k, l]) => [k, l.map((x) => x.value)])),
      services: new Set(segs.map((s) => s.name)),
    },
  };
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
