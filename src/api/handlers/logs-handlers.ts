import type { OperationHandlers } from '../request-context.js';
import type { LogGroupService } from '../../logs/log-group-service.js';
import type { LogEventService } from '../../logs/log-event-service.js';

type In = Record<string, any>;

/**
 * CloudWatch Logs (json 1.1) on Flint's endpoint: log groups, streams, events, retention and
 * tags (src/logs). Authorization (`logs:*` on log-group ARNs) happened at the front door.
 */
export function logsHandlers(groups: LogGroupService, events: LogEventService): OperationHandlers {
  return {
    CreateLogGroup: (i: In) => groups.createLogGroup(i['logGroupName'], i['tags'] ?? {}),
    DeleteLogGroup: (i: In) => groups.deleteLogGroup(i['logGroupName']),
    CreateLogStream: (i: In) => groups.createLogStream(i['logGroupName'], i['logStreamName']),
    DeleteLogStream: (i: In) => groups.deleteLogStream(i['logGroupName'], i['logStreamName']),
    DescribeLogGroups: (i: In) => groups.describeLogGroups({ prefix: i['logGroupNamePrefix'], pattern: i['logGroupNamePattern'], limit: i['limit'], nextToken: i['nextToken'] }),
    DescribeLogStreams: (i: In) =>
      groups.describeLogStreams(groups.resolveGroup(i), { prefix: i['logStreamNamePrefix'], orderBy: i['orderBy'], descending: i['descending'], limit: i['limit'], nextToken: i['nextToken'] }),
    PutLogEvents: (i: In) => events.putLogEvents(i['logGroupName'], i['logStreamName'], i['logEvents']),
    GetLogEvents: (i: In) => events.getLogEvents(i as Parameters<LogEventService['getLogEvents']>[0]),
    FilterLogEvents: (i: In) => events.filterLogEvents(i),
    PutRetentionPolicy: (i: In) => groups.putRetentionPolicy(i['logGroupName'], i['retentionInDays']),
    DeleteRetentionPolicy: (i: In) => groups.deleteRetentionPolicy(i['logGroupName']),
    TagLogGroup: (i: In) => groups.tag(i['logGroupName'], i['tags']),
    UntagLogGroup: (i: In) => groups.untag(i['logGroupName'], i['tags']),
    ListTagsLogGroup: (i: In) => ({ tags: groups.tags(i['logGroupName']) }),
    TagResource: (i: In) => groups.tag(groups.groupNameOfArn(i['resourceArn']), i['tags']),
    UntagResource: (i: In) => groups.untag(groups.groupNameOfArn(i['resourceArn']), i['tagKeys']),
    ListTagsForResource: (i: In) => ({ tags: groups.tags(groups.groupNameOfArn(i['resourceArn'])) }),
  };
}
