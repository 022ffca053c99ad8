import type { OperationHandlers, RequestContext } from '../request-context.js';
import type { SchedulerService } from '../../schedules/scheduler-service.js';

/**
 * Creating or updating a schedule hands its target's role to Scheduler: the caller must be allowed
 * `iam:PassRole` on it (with `iam:PassedToService` scheduler.amazonaws.com), as on AWS.
 */
function passRole(i: { Target?: { RoleArn?: string } }, ctx: RequestContext): void {
  if (i.Target?.RoleArn) ctx.checkAccess('iam:PassRole', i.Target.RoleArn, { 'iam:PassedToService': 'scheduler.amazonaws.com' });
}

/** EventBridge Scheduler (src/schedules holds the behaviour). */
export function schedulerHandlers(s: SchedulerService): OperationHandlers {
  return {
    CreateSchedule: (i, ctx) => {
      passRole(i, ctx);
      return s.create(i);
    },
    UpdateSchedule: (i, ctx) => {
      passRole(i, ctx);
      return s.update(i);
    },
    GetSchedule: (i) => s.get(i),
    DeleteSchedule: (i) => s.delete(i),
    ListSchedules: (i) => s.list(i),
    CreateScheduleGroup: (i) => s.createGroup(i),
    GetScheduleGroup: (i) => s.getGroup(i),
    DeleteScheduleGroup: (i) => s.deleteGroup(i),
    ListScheduleGroups: (i) => s.listGroups(i),
    ListTagsForResource: (i) => ({ Tags: s.tags(i.ResourceArn) }),
    TagResource: (i) => s.tag(i.ResourceArn, i.Tags),
    UntagResource: (i) => s.untag(i.ResourceArn, i.TagKeys),
  };
}
