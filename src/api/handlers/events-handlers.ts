import type { OperationHandlers } from '../request-context.js';
import type { EventRuleService } from '../../schedules/event-rule-service.js';

/** EventBridge rules on the default bus (src/schedules holds the behaviour). */
export function eventsHandlers(r: EventRuleService): OperationHandlers {
  return {
    PutRule: (i) => r.putRule(i),
    DescribeRule: (i) => r.describeRule(i),
    ListRules: (i) => r.listRules(i),
    DeleteRule: (i) => r.deleteRule(i),
    EnableRule: (i) => r.setState(i, 'ENABLED'),
    DisableRule: (i) => r.setState(i, 'DISABLED'),
    PutTargets: (i) => r.putTargets(i),
    RemoveTargets: (i) => r.removeTargets(i),
    ListTargetsByRule: (i) => r.listTargets(i),
    ListTagsForResource: (i) => ({ Tags: r.tags(i.ResourceARN) }),
    TagResource: (i) => r.tag(i.ResourceARN, i.Tags),
    UntagResource: (i) => r.untag(i.ResourceARN, i.TagKeys),
  };
}
