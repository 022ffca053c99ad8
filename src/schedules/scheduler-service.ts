import type { Clock } from '../ports/clock.js';
import type { ScheduleDocuments, ScheduleStore } from '../ports/schedule-store.js';
import type { TargetPermissions } from '../ports/target-permissions.js';
import { isTimeZone, parseScheduleExpression } from './schedule-expression.js';
import { conflict, notFound, validation } from './schedule-errors.js';
import type { TickJob } from './schedule-ticker.js';
import type { TargetDelivery } from './target-delivery.js';
import { paginate } from './paginate.js';

export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  DeadLetterConfig?: { Arn?: string };
}

/** A schedule as GetSchedule returns it; dates in epoch ms. */
export interface ScheduleRecord {
  Name: string;
  GroupName: string;
  Arn: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  Description?: string;
  StartDate?: number;
  EndDate?: number;
  State: 'ENABLED' | 'DISABLED';
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  Target: ScheduleTarget;
  ActionAfterCompletion?: 'NONE' | 'DELETE';
  KmsKeyArn?: string;
  CreationDate: number;
  LastModificationDate: number;
  /** Where `rate()` counts from: StartDate, else the creation (its first tick) or last update. */
  anchor: number;
}

export interface ScheduleGroupRecord { Name: string; Arn: string; CreationDate: number; LastModificationDate: number; Tags: { Key: string; Value: string }[] }

const DEFAULT_GROUP = 'default';
/** Scheduler's RetryPolicy defaults (CreateSchedule reference): 185 attempts, 24 hours. */
const DEFAULT_RETRY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:(\$LATEST|[A-Za-z0-9_-]+))?$/;

/**
 * EventBridge Scheduler's schedules and schedule groups over the schedule store, and their ticks
 * as the ticker's jobs. Only Lambda function targets are served (templated target `lambda:Invoke`
 * with Input sent verbatim as the event); other target ARNs are refused at create.
 */
export class SchedulerService {
  readonly #schedules: ScheduleDocuments<ScheduleRecord>;
  readonly #groups: ScheduleDocuments<ScheduleGroupRecord>;
  readonly #store: ScheduleStore;
  readonly #clock: Clock;
  readonly #delivery: TargetDelivery;
  readonly #permissions: TargetPermissions;
  readonly #region: string;
  readonly #account: string;

  constructor(deps: { store: ScheduleStore; clock: Clock; delivery: TargetDelivery; permissions: TargetPermissions; region: string; accountId: string }) {
    this.#store = deps.store;
    this.#schedules = deps.store.documents<ScheduleRecord>('schedule');
    this.#groups = deps.store.documents<ScheduleGroupRecord>('schedule-group');
    this.#clock = deps.clock;
    this.#delivery = deps.delivery;
    this.#permissions = deps.permissions;
    this.#region = deps.region;
    this.#account = deps.accountId;
  }

  create(input: Record<string, any>): { ScheduleArn: string } {
    const group = this.#group(input['GroupName']);
    const name = input['Name'] as string;
    if (this.#schedules.get(key(group.Name, name))) throw conflict(`Schedule ${name} already exists.`);
    const now = this.#clock.now();
    const record = this.#record(input, group.Name, now, now);
    this.#schedules.put(key(group.Name, name), record);
    // "If you don't provide a StartDate for a rate-based schedule, your schedule starts invoking
    // the target immediately": the creation instant is its first tick (counting starts just before).
    this.#store.resetTick(jobId(record), now - 1);
    return { ScheduleArn: record.Arn };
  }

  update(input: Record<string, any>): { ScheduleArn: string } {
    const group = this.#group(input['GroupName']);
    const existing = this.#existing(group.Name, input['Name']);
    const now = this.#clock.now();
    // UpdateSchedule replaces the whole schedule (unset optional members are cleared, as on AWS).
    const record = this.#record(input, group.Name, existing.CreationDate, now);
    this.#schedules.put(key(group.Name, record.Name), record);
    this.#store.resetTick(jobId(record), Math.max(now, this.#store.lastTick(jobId(record)) ?? now));
    return { ScheduleArn: record.Arn };
  }

  get(input: Record<string, any>): Record<string, unknown> {
    const group = this.#group(input['GroupName']);
    return view(this.#existing(group.Name, input['Name']));
  }

  delete(input: Record<string, any>): void {
    const group = this.#group(input['GroupName']);
    const record = this.#existing(group.Name, input['Name']);
    this.#remove(record);
  }

  list(input: Record<string, any>): Record<string, unknown> {
    const group = input['GroupName'] as string | undefined;
    const prefix = input['NamePrefix'] as string | undefined;
    const state = input['State'] as string | undefined;
    const all = this.#schedules.list().filter((s) => (group === undefined || s.GroupName === group) && (prefix === undefined || s.Name.startsWith(prefix)) && (state === undefined || s.State === state));
    const { page, next } = paginate(all, input['MaxResults'], input['NextToken']);
    return {
      Schedules: page.map((s) => ({ Arn: s.Arn, Name: s.Name, GroupName: s.GroupName, State: s.State, CreationDate: new Date(s.CreationDate), LastModificationDate: new Date(s.LastModificationDate), Target: { Arn: s.Target.Arn } })),
      ...(next !== undefined ? { NextToken: next } : {}),
    };
  }

  createGroup(input: Record<string, any>): { ScheduleGroupArn: string } {
    const name = input['Name'] as string;
    if (name === DEFAULT_GROUP || this.#groups.get(name)) throw conflict(`Schedule group ${name} already exists.`);
    const now = this.#clock.now();
    const g: ScheduleGroupRecord = { Name: name, Arn: this.#groupArn(name), CreationDate: now, LastModificationDate: now, Tags: input['Tags'] ?? [] };
    this.#groups.put(name, g);
    return { ScheduleGroupArn: g.Arn };
  }

  getGroup(input: Record<string, any>): Record<string, unknown> {
    return groupView(this.#group(input['Name']));
  }

  /** Deletes the group and every schedule in it (AWS deletes them with the group). */
  deleteGroup(input: Record<string, any>): void {
    const g = this.#group(input['Name']);
    if (g.Name === DEFAULT_GROUP) throw validation('The default schedule group cannot be deleted.');
    for (const s of this.#schedules.list()) if (s.GroupName === g.Name) this.#remove(s);
    this.#groups.delete(g.Name);
  }

  listGroups(input: Record<string, any>): Record<string, unknown> {
    const prefix = input['NamePrefix'] as string | undefined;
    const all = [this.#group(DEFAULT_GROUP), ...this.#groups.list()].filter((g) => prefix === undefined || g.Name.startsWith(prefix));
    const { page, next } = paginate(all, input['MaxResults'], input['NextToken']);
    return { ScheduleGroups: page.map(groupView), ...(next !== undefined ? { NextToken: next } : {}) };
  }

  /** Tags live on schedule groups only (Scheduler does not tag schedules). */
  tags(arn: string): { Key: string; Value: string }[] {
    return this.#groupByArn(arn).Tags;
  }

  tag(arn: string, tags: { Key: string; Value: string }[]): void {
    const g = this.#groupByArn(arn);
    if (g.Name === DEFAULT_GROUP) throw validation('The default schedule group cannot be tagged.');
    const merged = new Map(g.Tags.map((t) => [t.Key, t.Value]));
    for (const t of tags) merged.set(t.Key, t.Value);
    this.#groups.put(g.Name, { ...g, Tags: [...merged].map(([Key, Value]) => ({ Key, Value })) });
  }

  untag(arn: string, keys: string[]): void {
    const g = this.#groupByArn(arn);
    if (g.Name === DEFAULT_GROUP) return;
    this.#groups.put(g.Name, { ...g, Tags: g.Tags.filter((t) => !keys.includes(t.Key)) });
  }

  /** The enabled schedules as ticker jobs. */
  jobs(): TickJob[] {
    const jobs: TickJob[] = [];
    for (const s of this.#schedules.list()) {
      if (s.State !== 'ENABLED') continue;
      const expression = parseScheduleExpression(s.ScheduleExpression, { ...(s.ScheduleExpressionTimezone ? { timezone: s.ScheduleExpressionTimezone } : {}), allowAt: true });
      if (!expression) continue;
      jobs.push({
        id: jobId(s),
        expression,
        anchorMs: s.anchor,
        windowMs: s.FlexibleTimeWindow.Mode === 'FLEXIBLE' ? (s.FlexibleTimeWindow.MaximumWindowInMinutes ?? 0) * 60_000 : 0,
        ...(s.StartDate !== undefined ? { startMs: s.StartDate } : {}),
        ...(s.EndDate !== undefined ? { endMs: s.EndDate } : {}),
        fire: async () => {
          const retry = { ...DEFAULT_RETRY, ...s.Target.RetryPolicy };
          await this.#delivery.deliver({
            functionArn: s.Target.Arn,
            // Scheduler's templated Lambda target sends Input verbatim; without Input, `{}`.
            payload: s.Target.Input ?? '{}',
            denial: () => this.#permissions.roleDenial(s.Target.RoleArn, s.Target.Arn),
            maximumRetryAttempts: retry.MaximumRetryAttempts,
            maximumEventAgeMs: retry.MaximumEventAgeInSeconds * 1000,
            ...(s.Target.DeadLetterConfig?.Arn ? { deadLetterArn: s.Target.DeadLetterConfig.Arn } : {}),
            sourceArn: s.Arn,
          });
        },
        completed: () => {
          // ActionAfterCompletion DELETE: the schedule goes once its last invocation is done.
          const current = this.#schedules.get(key(s.GroupName, s.Name));
          if (current?.ActionAfterCompletion === 'DELETE' && current.LastModificationDate === s.LastModificationDate) this.#remove(current);
        },
      });
    }
    return jobs;
  }

  #record(input: Record<string, any>, group: string, created: number, now: number): ScheduleRecord {
    const name = input['Name'] as string;
    const expressionText = input['ScheduleExpression'] as string;
    const tz = input['ScheduleExpressionTimezone'] as string | undefined;
    if (tz !== undefined && !isTimeZone(tz)) throw validation(`Invalid ScheduleExpressionTimezone ${tz}.`);
    if (!parseScheduleExpression(expressionText, { ...(tz ? { timezone: tz } : {}), allowAt: true })) throw validation(`Invalid Schedule Expression ${expressionText}.`);
    const window = input['FlexibleTimeWindow'] as ScheduleRecord['FlexibleTimeWindow'];
    if (window.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes === undefined) throw validation('MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.');
    if (window.Mode === 'OFF' && window.MaximumWindowInMinutes !== undefined) throw validation('MaximumWindowInMinutes must not be provided when FlexibleTimeWindow Mode is OFF.');
    const start = toMs(input['StartDate']);
    const end = toMs(input['EndDate']);
    if (start !== undefined && end !== undefined && end <= start) throw validation('The EndDate must be later than the StartDate.');
    if (end !== undefined && end <= now) throw validation('The EndDate must be in the future.');
    const target = input['Target'] as ScheduleTarget;
    if (!LAMBDA_ARN.test(target.Arn)) throw validation(`Flint schedules invoke Lambda functions only; the target ARN ${target.Arn} is not a function ARN.`);
    return {
      Name: name,
      GroupName: group,
      Arn: `arn:aws:scheduler:${this.#region}:${this.#account}:schedule/${group}/${name}`,
      ScheduleExpression: expressionText,
      ...(tz !== undefined ? { ScheduleExpressionTimezone: tz } : {}),
      ...(input['Description'] !== undefined ? { Description: input['Description'] } : {}),
      ...(start !== undefined ? { StartDate: start } : {}),
      ...(end !== undefined ? { EndDate: end } : {}),
      State: input['State'] ?? 'ENABLED',
      FlexibleTimeWindow: window,
      Target: pick(target, ['Arn', 'RoleArn', 'Input', 'RetryPolicy', 'DeadLetterConfig']) as unknown as ScheduleTarget,
      ActionAfterCompletion: input['ActionAfterCompletion'] ?? 'NONE',
      ...(input['KmsKeyArn'] !== undefined ? { KmsKeyArn: input['KmsKeyArn'] } : {}),
      CreationDate: created,
      LastModificationDate: now,
      anchor: start ?? now,
    };
  }

  #remove(record: ScheduleRecord): void {
    this.#schedules.delete(key(record.GroupName, record.Name));
    this.#store.forgetTick(jobId(record));
  }

  #existing(group: string, name: string): ScheduleRecord {
    const record = this.#schedules.get(key(group, name));
    if (!record) throw notFound(`Schedule ${name} does not exist.`);
    return record;
  }

  #group(name: string | undefined): ScheduleGroupRecord {
    const n = name ?? DEFAULT_GROUP;
    if (n === DEFAULT_GROUP) return { Name: DEFAULT_GROUP, Arn: this.#groupArn(DEFAULT_GROUP), CreationDate: 0, LastModificationDate: 0, Tags: [] };
    const g = this.#groups.get(n);
    if (!g) throw notFound(`Schedule group ${n} does not exist.`);
    return g;
  }

  #groupByArn(arn: string): ScheduleGroupRecord {
    const m = /^arn:aws[a-z-]*:scheduler:[a-z0-9-]+:\d{12}:schedule-group\/([0-9a-zA-Z-_.]+)$/.exec(arn);
    if (!m) throw validation(`Invalid ARN ${arn}.`);
    return this.#group(m[1]);
  }

  #groupArn(name: string): string {
    return `arn:aws:scheduler:${this.#region}:${this.#account}:schedule-group/${name}`;
  }
}

const key = (group: string, name: string) => `${group}/${name}`;
const jobId = (s: { GroupName: string; Name: string }) => `scheduler:${s.GroupName}/${s.Name}`;

function toMs(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  return v instanceof Date ? v.getTime() : typeof v === 'number' ? v * 1000 : Date.parse(String(v));
}

function pick(o: Record<string, any>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}

function view(s: ScheduleRecord): Record<string, unknown> {
  const { anchor: _anchor, StartDate, EndDate, CreationDate, LastModificationDate, ...rest } = s;
  return {
    ...rest,
    CreationDate: new Date(CreationDate),
    LastModificationDate: new Date(LastModificationDate),
    ...(StartDate !== undefined ? { StartDate: new Date(StartDate) } : {}),
    ...(EndDate !== undefined ? { EndDate: new Date(EndDate) } : {}),
  };
}

function groupView(g: ScheduleGroupRecord): Record<string, unknown> {
  return { Arn: g.Arn, Name: g.Name, State: 'ACTIVE', CreationDate: new Date(g.CreationDate), LastModificationDate: new Date(g.LastModificationDate) };
}
