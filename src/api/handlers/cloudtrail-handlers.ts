import { createHash } from 'node:crypto';
import { timestampMemberMs } from '../../domain/timestamp-member.js';
import { AwsError } from '../../domain/errors.js';
import type { OperationHandlers, ValidationSkips } from '../api-server.js';
import type { AuditTrail } from '../../observe/audit-trail.js';
import type { LookupKey } from '../../ports/audit-store.js';
import { lookupUsername } from '../../domain/cloudtrail-record.js';

/** CloudTrail's errors are plain 400s (json 1.1 `__type` = shape name). */
const trailError = (type: string, message: string) => new AwsError(type, message, { status: 400 });

const KEYS: ReadonlySet<string> = new Set(['EventId', 'EventName', 'ReadOnly', 'Username', 'ResourceType', 'ResourceName', 'EventSource', 'AccessKeyId']);
/** LookupEvents: 50 results by default, at most 50. */
const MAX_RESULTS = 50;

/** LookupEvents checks these itself, with CloudTrail's exception types rather than ValidationException. */
export const cloudTrailValidationSkips: ValidationSkips = {
  LookupEvents: new Set(['maxResults', 'lookupAttributes', 'eventCategory']),
};

const timeOf = timestampMemberMs;

/**
 * CloudTrail's event history over Flint's audit trail (src/observe/audit-trail.ts). LookupEvents
 * answers newest first; its NextToken is bound to the query it came from, as CloudTrail requires
 * the same parameters with a token. Trails, event data stores, Lake queries and Insights are not
 * modelled (UnsupportedOperationException from the front door).
 */
export function cloudTrailHandlers(trail: AuditTrail): OperationHandlers {
  return {
    LookupEvents: (i: Record<string, unknown>) => {
      const attrs = (i['LookupAttributes'] ?? []) as Array<Record<string, unknown>>;
      if (!Array.isArray(attrs)) throw trailError('InvalidLookupAttributesException', 'LookupAttributes must be a list.');
      // "Currently the list can contain only one item" (LookupEvents API reference).
      if (attrs.length > 1) throw trailError('InvalidLookupAttributesException', 'You cannot specify more than one lookup attribute.');
      let attribute: { key: LookupKey; value: string } | undefined;
      if (attrs.length === 1) {
        const key = attrs[0]!['AttributeKey'];
        const value = attrs[0]!['AttributeValue'];
        if (typeof key !== 'string' || !KEYS.has(key)) throw trailError('InvalidLookupAttributesException', `Lookup attribute key '${String(key)}' is not valid. Valid keys are: ${[...KEYS].join(', ')}.`);
        if (typeof value !== 'string' || value.length === 0) throw trailError('InvalidLookupAttributesException', `The value of lookup attribute ${key} must not be empty.`);
        if (key === 'ReadOnly' && value !== 'true' && value !== 'false') throw trailError('InvalidLookupAttributesException', `The value of lookup attribute ReadOnly must be true or false.`);
        attribute = { key: key as LookupKey, value };
      }
      const category = i['EventCategory'];
      if (category !== undefined && category !== null && category !== 'insight') throw trailError('InvalidEventCategoryException', `Event category '${String(category)}' is not valid. The only valid value is insight.`);
      const max = i['MaxResults'];
      const limit = max === undefined || max === null ? MAX_RESULTS : Number(max);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_RESULTS) throw trailError('InvalidMaxResultsException', `MaxResults must be between 1 and ${MAX_RESULTS}.`);
      const start = timeOf(i['StartTime']);
      const end = timeOf(i['EndTime']);
      if (start !== undefined && end !== undefined && start > end) throw trailError('InvalidTimeRangeException', 'The start time must be before the end time.');
      // The token: the last seq returned, bound to a hash of the query's other parameters.
      const binding = createHash('sha256').update(JSON.stringify([attribute ?? null, start ?? null, end ?? null, category ?? null])).digest('hex').slice(0, 16);
      let beforeSeq: number | undefined;
      if (i['NextToken'] !== undefined && i['NextToken'] !== null) {
        const [seq, bound] = Buffer.from(String(i['NextToken']), 'base64url').toString('utf8').split('.');
        beforeSeq = Number(seq);
        if (bound !== binding || !Number.isInteger(beforeSeq) || beforeSeq < 1) throw trailError('InvalidNextTokenException', 'Invalid NextToken: it was not issued for a request with these parameters.');
      }
      // Flint records no Insights events: the category's history is empty.
      if (category === 'insight') return { Events: [] };
      const found = trail.lookup({ ...(attribute ? { attribute } : {}), ...(start !== undefined ? { startTime: new Date(start).toISOString() } : {}), ...(end !== undefined ? { endTime: new Date(end).toISOString() } : {}), ...(beforeSeq !== undefined ? { beforeSeq } : {}), limit: limit + 1 });
      const page = found.slice(0, limit);
      const more = found.length > limit;
      return {
        Events: page.map(({ record, text }) => {
          const username = lookupUsername(record.userIdentity);
          return {
            EventId: record.eventID,
            EventName: record.eventName,
            ReadOnly: String(record.readOnly),
            ...(record.userIdentity.accessKeyId ? { AccessKeyId: record.userIdentity.accessKeyId } : {}),
            EventTime: new Date(record.eventTime),
            EventSource: record.eventSource,
            ...(username ? { Username: username } : {}),
            Resources: (record.resources ?? []).map((r) => ({ ResourceType: r.type, ResourceName: resourceName(r.ARN) })),
            CloudTrailEvent: text,
          };
        }),
        ...(more ? { NextToken: Buffer.from(`${page.at(-1)!.seq}.${binding}`, 'utf8').toString('base64url') } : {}),
      };
    },
  };
}

/** LookupEvents names resources as their short name (a function's name), not their ARN. */
function resourceName(arn: string): string {
  if (arn.includes(':function:')) return arn.split(':')[6] ?? arn;
  return arn.split(/[:/]/).pop() ?? arn;
}
