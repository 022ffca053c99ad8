import type { OperationHandlers } from '../request-context.js';
import type { SchedulerService } from '../../schedules/scheduler-service.js';

/** EventBridge Scheduler (src/schedules holds the behaviour). */
export function schedulerHandlers(s: SchedulerService): OperationHandlers {
  return {
    CreateSchedule: (i) => s.create(i),
    UpdateSchedule: (i) => s.update(i),
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
