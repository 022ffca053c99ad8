import type { Clock } from '../ports/clock.js';
import type { MessageQueues } from '../ports/message-queues.js';
import type { ScheduleStore } from '../ports/schedule-store.js';
import type { TargetPermissions } from '../ports/target-permissions.js';
import { EventRuleService } from './event-rule-service.js';
import { SchedulerService } from './scheduler-service.js';
import { ScheduleTicker } from './schedule-ticker.js';
import { TargetDelivery, type EventInvoker } from './target-delivery.js';

export interface Schedules {
  scheduler: SchedulerService;
  rules: EventRuleService;
  ticker: ScheduleTicker;
  delivery: TargetDelivery;
  /** One pass: due retries, then due ticks (what the timer runs each second; tests call it). */
  runDue(): Promise<number>;
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

/** Scheduler's schedules and EventBridge's scheduled rules over one store and one ticker. */
export function createSchedules(deps: {
  store: ScheduleStore;
  clock: Clock;
  invoker: EventInvoker;
  permissions: TargetPermissions;
  /** Dead-letter queues, when the queue service is present. */
  queues?: MessageQueues;
  uuid: () => string;
  region: string;
  accountId: string;
  log: (line: string) => void;
}): Schedules {
  const delivery = new TargetDelivery({ invoker: deps.invoker, clock: deps.clock, log: deps.log, ...(deps.queues ? { queues: deps.queues } : {}) });
  const common = { store: deps.store, clock: deps.clock, delivery, permissions: deps.permissions, region: deps.region, accountId: deps.accountId };
  const scheduler = new SchedulerService(common);
  const rules = new EventRuleService({ ...common, uuid: deps.uuid });
  const ticker = new ScheduleTicker({ store: deps.store, clock: deps.clock, jobs: () => [...scheduler.jobs(), ...rules.jobs()], log: deps.log });
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  // Passes run one after another: a test's runDue() after moving its clock waits for a timer pass
  // in flight and then makes its own, at the new time.
  let chain: Promise<unknown> = Promise.resolve();
  const runDue = (): Promise<number> => {
    const p = chain.then(async () => {
      await delivery.retryDue();
      return ticker.runDue();
    });
    chain = p.catch(() => 0);
    return p;
  };
  return {
    scheduler,
    rules,
    ticker,
    delivery,
    runDue,
    start(intervalMs = 1_000) {
      timer = setInterval(() => {
        if (busy) return;
        busy = true;
        runDue().catch((err: unknown) => deps.log(`flint: schedule pass failed: ${String(err)}`)).finally(() => { busy = false; });
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await chain;
    },
  };
}
