import type { Clock } from '../ports/clock.js';
import type { ScheduleDocuments, ScheduleStore } from '../ports/schedule-store.js';
import type { TargetPermissions } from '../ports/target-permissions.js';
import { AwsError } from '../domain/errors.js';
import { parseScheduleExpression } from './schedule-expression.js';
import { notFound, validation } from './schedule-errors.js';
import { paginate } from './paginate.js';
import type { TickJob } from './schedule-ticker.js';
import type { TargetDelivery } from './target-delivery.js';
import { scheduledEvent, selectInput } from './scheduled-event.js';

export interface RuleTarget {
  Id: string;
  Arn: string;
  Input?: string;
  InputPath?: string;
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  DeadLetterConfig?: { Arn?: string };
}

export interface RuleRecord {
  Name: string;
  Arn: string;
  EventBusName: string;
  ScheduleExpression?: string;
  EventPattern?: string;
  State: string;
  Description?: string;
  RoleArn?: string;
  CreatedBy: string;
  Targets: RuleTarget[];
  Tags: { Key: string; Value: string }[];
  /** `rate()` counts from the rule's creation (or last change of its expression or state). */
  anchor: number;
}

const DEFAULT_BUS = 'default';
/** EventBridge's target RetryPolicy defaults: 185 attempts, 24 hours. */
const DEFAULT_RETRY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };
/** PutTargets: at most 5 targets per rule. */
const MAX_TARGETS = 5;
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:(\$LATEST|[A-Za-z0-9_-]+))?$/;

/**
 * EventBridge rules on the default event bus. Rules with a ScheduleExpression (rate/cron) fire
 * the "Scheduled Event" to their Lambda targets through the ticker. Rules with an EventPattern are
 * validated (JSON) and stored, and listed and described like AWS's, but never match anything:
 * Flint has no PutEvents and no AWS service events.
 */
export class EventRuleService {
  readonly #rules: ScheduleDocuments<RuleRecord>;
  readonly #store: ScheduleStore;
  readonly #clock: Clock;
  readonly #delivery: TargetDelivery;
  readonly #permissions: TargetPermissions;
  readonly #uuid: () => string;
  readonly #region: string;
  readonly #account: string;

  constructor(deps: { store: ScheduleStore; clock: Clock; delivery: TargetDelivery; permissions: TargetPermissions; uuid: () => string; region: string; accountId: string }) {
    this.#store = deps.store;
    this.#rules = deps.store.documents<RuleRecord>('rule');
    this.#clock = deps.clock;
    this.#delivery = deps.delivery;
    this.#permissions = deps.permissions;
    this.#uuid = deps.uuid;
    this.#region = deps.region;
    this.#account = deps.accountId;
  }

  putRule(input: Record<string, any>): { RuleArn: string } {
    const bus = this.#bus(input['EventBusName']);
    const name = input['Name'] as string;
    const schedule = input['ScheduleExpression'] as string | undefined;
    const pattern = input['EventPattern'] as string | undefined;
    if (!schedule && !pattern) throw validation('Parameter(s) EventPattern or ScheduleExpression must be specified.');
    // Scheduled rules take rate() and cron() only (at() is Scheduler's).
    if (schedule && !parseScheduleExpression(schedule, { allowAt: false })) throw validation('Parameter ScheduleExpression is not valid.');
    if (pattern !== undefined) checkPattern(pattern);
    const existing = this.#rules.get(name);
    const now = this.#clock.now();
    const state = input['State'] ?? existing?.State ?? 'ENABLED';
    const rescheduled = !existing || existing.ScheduleExpression !== schedule || existing.State !== state;
    const record: RuleRecord = {
      Name: name,
      Arn: `arn:aws:events:${this.#region}:${this.#account}:rule/${name}`,
      EventBusName: bus,
      ...(schedule ? { ScheduleExpression: schedule } : {}),
      ...(pattern !== undefined ? { EventPattern: pattern } : {}),
      State: state,
      ...(input['Description'] !== undefined ? { Description: input['Description'] } : {}),
      ...(input['RoleArn'] !== undefined ? { RoleArn: input['RoleArn'] } : {}),
      CreatedBy: this.#account,
      Targets: existing?.Targets ?? [],
      Tags: mergeTags(existing?.Tags ?? [], input['Tags'] ?? []),
      anchor: rescheduled ? now : existing.anchor,
    };
    this.#rules.put(name, record);
    if (rescheduled) this.#store.resetTick(jobId(name), now);
    return { RuleArn: record.Arn };
  }

  describeRule(input: Record<string, any>): Record<string, unknown> {
    const r = this.#existing(input['Name'], input['EventBusName']);
    return ruleView(r, true);
  }

  listRules(input: Record<string, any>): Record<string, unknown> {
    this.#bus(input['EventBusName']);
    const prefix = input['NamePrefix'] as string | undefined;
    const all = this.#rules.list().filter((r) => prefix === undefined || r.Name.startsWith(prefix));
    const { page, next } = paginate(all, input['Limit'], input['NextToken']);
    return { Rules: page.map((r) => ruleView(r, false)), ...(next !== undefined ? { NextToken: next } : {}) };
  }

  deleteRule(input: Record<string, any>): void {
    const bus = this.#bus(input['EventBusName']);
    const r = this.#rules.get(input['Name']);
    // DeleteRule of a missing rule succeeds on AWS.
    if (!r || r.EventBusName !== bus) return;
    if (r.Targets.length > 0) throw validation("Rule can't be deleted since it has targets.");
    this.#rules.delete(r.Name);
    this.#store.forgetTick(jobId(r.Name));
  }

  setState(input: Record<string, any>, state: 'ENABLED' | 'DISABLED'): void {
    const r = this.#existing(input['Name'], input['EventBusName']);
    if (r.State === state) return;
    const now = this.#clock.now();
    this.#rules.put(r.Name, { ...r, State: state, anchor: now });
    this.#store.resetTick(jobId(r.Name), now);
  }

  putTargets(input: Record<string, any>): Record<string, unknown> {
    const r = this.#existing(input['Rule'], input['EventBusName']);
    const targets = new Map(r.Targets.map((t) => [t.Id, t]));
    const failed: { TargetId: string; ErrorCode: string; ErrorMessage: string }[] = [];
    for (const t of input['Targets'] as RuleTarget[]) {
      if (!LAMBDA_ARN.test(t.Arn)) {
        failed.push({ TargetId: t.Id, ErrorCode: 'ValidationException', ErrorMessage: `Flint's rules invoke Lambda functions only; ${t.Arn} is not a function ARN.` });
        continue;
      }
      if (t.Input !== undefined && t.InputPath !== undefined) throw validation('Only one of Input, InputPath, or InputTransformer must be provided.');
      if (t.Input !== undefined) {
        try {
          JSON.parse(t.Input);
        } catch {
          throw validation('Target Input is not valid JSON text.');
        }
      }
      targets.set(t.Id, pickTarget(t));
    }
    if (targets.size > MAX_TARGETS) throw new AwsError('LimitExceededException', `The requested resource exceeds the maximum number allowed.`);
    this.#rules.put(r.Name, { ...r, Targets: [...targets.values()] });
    return { FailedEntryCount: failed.length, FailedEntries: failed };
  }

  removeTargets(input: Record<string, any>): Record<string, unknown> {
    const r = this.#existing(input['Rule'], input['EventBusName']);
    const ids = new Set(input['Ids'] as string[]);
    this.#rules.put(r.Name, { ...r, Targets: r.Targets.filter((t) => !ids.has(t.Id)) });
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  listTargets(input: Record<string, any>): Record<string, unknown> {
    const r = this.#existing(input['Rule'], input['EventBusName']);
    const { page, next } = paginate(r.Targets, input['Limit'], input['NextToken']);
    return { Targets: page, ...(next !== undefined ? { NextToken: next } : {}) };
  }

  tags(arn: string): { Key: string; Value: string }[] {
    return this.#byArn(arn).Tags;
  }

  tag(arn: string, tags: { Key: string; Value: string }[]): void {
    const r = this.#byArn(arn);
    this.#rules.put(r.Name, { ...r, Tags: mergeTags(r.Tags, tags) });
  }

  untag(arn: string, keys: string[]): void {
    const r = this.#byArn(arn);
    this.#rules.put(r.Name, { ...r, Tags: r.Tags.filter((t) => !keys.includes(t.Key)) });
  }

  /** Enabled scheduled rules with targets, as ticker jobs. */
  jobs(): TickJob[] {
    const jobs: TickJob[] = [];
    for (const r of this.#rules.list()) {
      if (r.State === 'DISABLED' || !r.ScheduleExpression) continue;
      const expression = parseScheduleExpression(r.ScheduleExpression, { allowAt: false });
      if (!expression) continue;
      jobs.push({
        id: jobId(r.Name),
        expression,
        anchorMs: r.anchor,
        windowMs: 0,
        fire: async (tick) => {
          // Targets read at fire time: PutTargets after the rule's creation applies from the next tick.
          const current = this.#rules.get(r.Name);
          if (!current) return;
          const event = scheduledEvent({ id: this.#uuid(), account: this.#account, region: this.#region, tickMs: tick, ruleArn: current.Arn });
          for (const t of current.Targets) {
            const retry = { ...DEFAULT_RETRY, ...t.RetryPolicy };
            await this.#delivery.deliver({
              functionArn: t.Arn,
              payload: selectInput(event, t),
              denial: () => (this.#permissions.servicePermitted(t.Arn, 'events.amazonaws.com', current.Arn, this.#account) ? undefined : `The resource policy of ${t.Arn} does not allow events.amazonaws.com to invoke it for ${current.Arn}.`),
              maximumRetryAttempts: retry.MaximumRetryAttempts,
              maximumEventAgeMs: retry.MaximumEventAgeInSeconds * 1000,
              ...(t.DeadLetterConfig?.Arn ? { deadLetterArn: t.DeadLetterConfig.Arn } : {}),
              sourceArn: current.Arn,
            });
          }
        },
      });
    }
    return jobs;
  }

  #existing(name: string, busName: string | undefined): RuleRecord {
    const bus = this.#bus(busName);
    const r = this.#rules.get(name);
    if (!r || r.EventBusName !== bus) throw notFound(`Rule ${name} does not exist on EventBus ${bus}.`);
    return r;
  }

  #bus(name: string | undefined): string {
    const bus = name ?? DEFAULT_BUS;
    const short = bus.startsWith('arn:') ? bus.slice(bus.lastIndexOf('/') + 1) : bus;
    if (short !== DEFAULT_BUS) throw notFound(`Event bus ${short} does not exist.`);
    return short;
  }

  #byArn(arn: string): RuleRecord {
    const m = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:rule\/([.\-_A-Za-z0-9]+)$/.exec(arn);
    const r = m ? this.#rules.get(m[1]!) : undefined;
    if (!r) throw notFound(`Rule ${m?.[1] ?? arn} does not exist on EventBus default.`);
    return r;
  }
}

const jobId = (rule: string) => `events:default/${rule}`;

function checkPattern(pattern: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(pattern);
  } catch (err) {
    throw new AwsError('InvalidEventPatternException', `Event pattern is not valid. Reason: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new AwsError('InvalidEventPatternException', 'Event pattern is not valid. Reason: Filter is not an object');
}

function mergeTags(a: { Key: string; Value: string }[], b: { Key: string; Value: string }[]): { Key: string; Value: string }[] {
  const m = new Map(a.map((t) => [t.Key, t.Value]));
  for (const t of b) m.set(t.Key, t.Value);
  return [...m].map(([Key, Value]) => ({ Key, Value }));
}

function pickTarget(t: RuleTarget): RuleTarget {
  return Object.fromEntries(Object.entries(t).filter(([k, v]) => v !== undefined && ['Id', 'Arn', 'Input', 'InputPath', 'RetryPolicy', 'DeadLetterConfig'].includes(k))) as unknown as RuleTarget;
}

function ruleView(r: RuleRecord, describe: boolean): Record<string, unknown> {
  return {
    Name: r.Name,
    Arn: r.Arn,
    ...(r.EventPattern !== undefined ? { EventPattern: r.EventPattern } : {}),
    ...(r.ScheduleExpression !== undefined ? { ScheduleExpression: r.ScheduleExpression } : {}),
    State: r.State,
    ...(r.Description !== undefined ? { Description: r.Description } : {}),
    ...(r.RoleArn !== undefined ? { RoleArn: r.RoleArn } : {}),
    EventBusName: r.EventBusName,
    ...(describe ? { CreatedBy: r.CreatedBy } : {}),
  };
}
