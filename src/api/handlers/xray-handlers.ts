import { AwsError } from '../../domain/errors.js';
import type { OperationHandlers } from '../request-context.js';
import type { XRayService } from '../../tracing/xray-service.js';

/** Timestamps arrive decoded (Date) or as epoch seconds. */
function secondsOf(v: unknown, member: string): number {
  if (v instanceof Date) return v.getTime() / 1000;
  if (typeof v === 'number') return v;
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) throw new AwsError('InvalidRequestException', `${member} is not a valid timestamp.`, { status: 400 });
  return t / 1000;
}

/** X-Ray's trace API (rest-json) over the XRayService. */
export function xrayHandlers(xray: XRayService): OperationHandlers {
  return {
    GetTraceSummaries: (i: Record<string, unknown>) =>
      xray.traceSummaries({
        startTime: secondsOf(i['StartTime'], 'StartTime'),
        endTime: secondsOf(i['EndTime'], 'EndTime'),
        ...(typeof i['TimeRangeType'] === 'string' ? { timeRangeType: i['TimeRangeType'] } : {}),
        ...(typeof i['FilterExpression'] === 'string' ? { filterExpression: i['FilterExpression'] } : {}),
        ...(typeof i['NextToken'] === 'string' ? { nextToken: i['NextToken'] } : {}),
      }),
    BatchGetTraces: (i: Record<string, unknown>) => xray.batchGetTraces((i['TraceIds'] as string[] | undefined) ?? [], typeof i['NextToken'] === 'string' ? i['NextToken'] : undefined),
    PutTraceSegments: (i: Record<string, unknown>) => xray.putTraceSegments((i['TraceSegmentDocuments'] as string[] | undefined) ?? []),
  };
}
