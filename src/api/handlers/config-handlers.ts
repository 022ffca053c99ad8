import { AwsError } from '../../domain/errors.js';
import { timestampMemberMs } from '../../domain/timestamp-member.js';
import type { OperationHandlers } from '../request-context.js';
import type { ConfigurationRecorder } from '../../history/configuration-recorder.js';
import { LAMBDA_FUNCTION, type ConfigurationItem } from '../../history/configuration-item.js';

/** AWS Config's error shapes are plain 400s (json 1.1 `__type` = shape name). */
const configError = (type: string, message: string) => new AwsError(type, message, { status: 400 });

/** AWS Config's limits: GetResourceConfigHistory 10 by default, at most 100; ListDiscoveredResources 100 by default, at most 100. */
const MAX_LIMIT = 100;

function limitOf(v: unknown, dflt: number): number {
  if (v === undefined || v === null || v === 0) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > MAX_LIMIT) throw configError('InvalidLimitException', `Value '${String(v)}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to ${MAX_LIMIT}`);
  return n;
}

const timeOf = timestampMemberMs;

/** Tokens are the base64 of the position; anything else is InvalidNextTokenException, as in AWS Config. */
function tokenOf(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(Buffer.from(String(v), 'base64url').toString('utf8'));
  if (!Number.isInteger(n) || n < 0) throw configError('InvalidNextTokenException', 'The nextToken provided is invalid');
  return n;
}
const tokenFor = (n: number) => Buffer.from(String(n), 'utf8').toString('base64url');

function wire(item: ConfigurationItem): Record<string, unknown> {
  const { configurationItemCaptureTime, resourceCreationTime, configuration, ...rest } = item;
  return {
    ...rest,
    configurationItemCaptureTime: new Date(configurationItemCaptureTime),
    ...(resourceCreationTime !== undefined ? { resourceCreationTime: new Date(resourceCreationTime) } : {}),
    ...(configuration !== null ? { configuration } : {}),
    relationships: [],
    supplementaryConfiguration: {},
  };
}

/**
 * AWS Config's read side for Lambda functions (src/history records them). Other resource types
 * are never discovered: AWS Config answers ResourceNotDiscoveredException for a resource it has
 * not recorded, and an empty list from ListDiscoveredResources.
 */
export function configHandlers(recorder: ConfigurationRecorder): OperationHandlers {
  return {
    GetResourceConfigHistory: (i: Record<string, unknown>) => {
      const resourceType = String(i['resourceType']);
      const resourceId = String(i['resourceId']);
      const limit = limitOf(i['limit'], 10);
      const laterTime = timeOf(i['laterTime']);
      const earlierTime = timeOf(i['earlierTime']);
      if (laterTime !== undefined && earlierTime !== undefined && earlierTime > laterTime) {
        throw configError('InvalidTimeRangeException', 'The earlierTime must be before the laterTime');
      }
      const after = tokenOf(i['nextToken']);
      if (resourceType !== LAMBDA_FUNCTION || !recorder.known(resourceId)) {
        throw configError('ResourceNotDiscoveredException', `Resource ${resourceId} of resourceType:${resourceType} is unknown or has not been discovered`);
      }
      const order = i['chronologicalOrder'] === 'Forward' ? 'Forward' : 'Reverse';
      const page = recorder.history({
        resourceId,
        limit,
        chronologicalOrder: order,
        ...(laterTime !== undefined ? { laterTime } : {}),
        ...(earlierTime !== undefined ? { earlierTime } : {}),
        ...(after !== undefined ? { after } : {}),
      });
      return { configurationItems: page.items.map(wire), ...(page.next !== undefined ? { nextToken: tokenFor(page.next) } : {}) };
    },
    ListDiscoveredResources: (i: Record<string, unknown>) => {
      const limit = limitOf(i['limit'], MAX_LIMIT);
      const after = tokenOf(i['nextToken']) ?? 0;
      if (i['resourceType'] !== LAMBDA_FUNCTION) return { resourceIdentifiers: [] };
      const all = recorder.discovered({
        includeDeleted: i['includeDeletedResources'] === true,
        ...(Array.isArray(i['resourceIds']) ? { resourceIds: i['resourceIds'] as string[] } : {}),
        ...(typeof i['resourceName'] === 'string' ? { resourceName: i['resourceName'] } : {}),
      });
      const page = all.slice(after, after + limit);
      return {
        resourceIdentifiers: page.map((r) => ({
          resourceType: LAMBDA_FUNCTION,
          resourceId: r.resourceId,
          resourceName: r.resourceName,
          ...(r.resourceDeletionTime !== undefined ? { resourceDeletionTime: new Date(r.resourceDeletionTime) } : {}),
        })),
        ...(after + limit < all.length ? { nextToken: tokenFor(after + limit) } : {}),
      };
    },
  };
}
