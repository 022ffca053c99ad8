import type { Clock } from '../ports/clock.js';
import type { LogGroupRecord, LogStorage, LogStreamRecord } from '../ports/log-storage.js';
import { groupExists, groupNotFound, invalidParameter, logsError, streamExists, streamNotFound } from './logs-errors.js';
import { pageToken, readPageToken } from './page-token.js';

/** PutRetentionPolicy's allowed values (AWS's enum for `retentionInDays`). */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const DAY_MS = 86_400_000;
/** AWS allows 50 tags per log group. */
const MAX_TAGS = 50;

/**
 * Log groups and streams: create, describe (prefix, pattern, order, pages), delete, retention
 * (applied: events older than the retention go and files are compacted) and tags. ARNs follow
 * CloudWatch: `arn:aws:logs:<region>:<account>:log-group:<name>` (`:*` on DescribeLogGroups' `arn`).
 */
export class LogGroupService {
  readonly #storage: LogStorage;
  readonly #clock: Clock;
  readonly #arnPrefix: string;
  #sweep: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

  constructor(deps: { storage: LogStorage; clock: Clock; region: string; accountId: string }) {
    this.#storage = deps.storage;
    this.#clock = deps.clock;
    this.#arnPrefix = `arn:aws:logs:${deps.region}:${deps.accountId}:log-group:`;
  }

  groupArn(name: string): string {
    return this.#arnPrefix + name;
  }

  /** A group by name or ARN (`logGroupIdentifier`), or the error AWS gives. */
  resolveGroup(input: { logGroupName?: string; logGroupIdentifier?: string }): LogGroupRecord {
    if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) throw invalidParameter('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    let name = input.logGroupName;
    if (name === undefined && input.logGroupIdentifier !== undefined) {
      const id = input.logGroupIdentifier;
      name = id.startsWith('arn:') ? this.#nameFromArn(id) : id;
    }
    if (name === undefined) throw invalidParameter('Either logGroupName or logGroupIdentifier should be provided');
    const g = this.#storage.group(name);
    if (!g) throw groupNotFound();
    return g;
  }

  /** The cut-off of the group's retention (events before it are gone or going), or undefined. */
  retentionCutoff(g: LogGroupRecord): number | undefined {
    return g.retentionInDays !== undefined ? this.#clock.now() - g.retentionInDays * DAY_MS : undefined;
  }

  createLogGroup(name: string, tags: Record<string, string> = {}): void {
    if (name.toLowerCase().startsWith('aws/')) throw invalidParameter('Log groups starting with AWS/ are reserved for AWS.');
    if (Object.keys(tags).length > MAX_TAGS) throw logsError('TooManyTagsException', `A resource can have no more than ${MAX_TAGS} tags.`);
    if (!this.#storage.createGroup(name, tags)) throw groupExists();
  }

  deleteLogGroup(name: string): void {
    if (!this.#storage.deleteGroup(name)) throw groupNotFound();
  }

  createLogStream(group: string, stream: string): void {
    const r = this.#storage.createStream(group, stream);
    if (r === 'no-group') throw groupNotFound();
    if (r === 'exists') throw streamExists();
  }

  deleteLogStream(group: string, stream: string): void {
    if (!this.#storage.group(group)) throw groupNotFound();
    if (!this.#storage.deleteStream(group, stream)) throw streamNotFound();
  }

  /** DescribeLogGroups: by name; `prefix` or a case-insensitive `pattern` (substring), never both. */
  describeLogGroups(q: { prefix?: string; pattern?: string; limit?: number; nextToken?: string }): { logGroups: Record<string, unknown>[]; nextToken?: string } {
    if (q.prefix !== undefined && q.pattern !== undefined) throw invalidParameter('LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
    const after = readPageToken(q.nextToken);
    const pattern = q.pattern?.toLowerCase();
    const all = this.#storage.groups().filter((g) => (q.prefix === undefined || g.logGroupName.startsWith(q.prefix)) && (pattern === undefined || g.logGroupName.toLowerCase().includes(pattern)));
    const from = after === undefined ? all : all.filter((g) => g.logGroupName > after);
    const page = from.slice(0, q.limit ?? 50);
    const more = from.length > page.length;
    return {
      logGroups: page.map((g) => ({
        logGroupName: g.logGroupName,
        creationTime: g.creationTime,
        ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
        metricFilterCount: 0,
        arn: `${this.groupArn(g.logGroupName)}:*`,
        storedBytes: g.storedBytes,
        logGroupClass: 'STANDARD',
        logGroupArn: this.groupArn(g.logGroupName),
        deletionProtectionEnabled: false,
      })),
      ...(more ? { nextToken: pageToken(page[page.length - 1]!.logGroupName) } : {}),
    };
  }

  /**
   * DescribeLogStreams: by name (with an optional prefix) or by last event time (no prefix then,
   * as AWS refuses), ascending unless `descending`. `storedBytes` is 0, as AWS reports for streams
   * since 2019; `lastEventTimestamp` is exact here (AWS's lags up to an hour).
   */
  describeLogStreams(g: LogGroupRecord, q: { prefix?: string; orderBy?: string; descending?: boolean; limit?: number; nextToken?: string }): { logStreams: Record<string, unknown>[]; nextToken?: string } {
    const byTime = q.orderBy === 'LastEventTime';
    if (q.orderBy !== undefined && q.orderBy !== 'LogStreamName' && !byTime) throw invalidParameter(`1 validation error detected: Value '${q.orderBy}' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]`);
    if (byTime && q.prefix !== undefined) throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
    const streams = (this.#storage.streams(g.logGroupName) ?? []).filter((s) => q.prefix === undefined || s.logStreamName.startsWith(q.prefix));
    const sortKey = (s: LogStreamRecord) => (byTime ? `${String(s.lastEventTimestamp ?? 0).padStart(16, '0')}\u0000${s.logStreamName}` : s.logStreamName);
    const keyed = streams.map((s) => ({ s, k: sortKey(s) })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    if (q.descending) keyed.reverse();
    const after = readPageToken(q.nextToken);
    const from = after === undefined ? keyed : keyed.filter((e) => (q.descending ? e.k < after : e.k > after));
    const page = from.slice(0, q.limit ?? 50);
    const cutoff = this.retentionCutoff(g);
    return {
      logStreams: page.map(({ s }) => ({
        logStreamName: s.logStreamName,
        creationTime: s.creationTime,
        ...(s.firstEventTimestamp !== undefined ? { firstEventTimestamp: cutoff !== undefined ? Math.max(cutoff, s.firstEventTimestamp) : s.firstEventTimestamp } : {}),
        ...(s.lastEventTimestamp !== undefined ? { lastEventTimestamp: s.lastEventTimestamp } : {}),
        ...(s.lastIngestionTime !== undefined ? { lastIngestionTime: s.lastIngestionTime } : {}),
        arn: `${this.groupArn(g.logGroupName)}:log-stream:${s.logStreamName}`,
        storedBytes: 0,
      })),
      ...(from.length > page.length ? { nextToken: pageToken(page[page.length - 1]!.k) } : {}),
    };
  }

  /** Answers once the group's older events are removed (AWS removes them within days; here at once). */
  async putRetentionPolicy(name: string, days: number): Promise<void> {
    if (!(RETENTION_DAYS as readonly number[]).includes(days)) throw invalidParameter(`1 validation error detected: Value '${days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
    if (!this.#storage.group(name)) throw groupNotFound();
    this.#storage.updateGroup(name, { retentionInDays: days });
    // A sweep already under way may have passed this group: wait for it, then run one that sees it.
    await this.#sweeping?.catch(() => {});
    await this.applyRetention();
  }

  deleteRetentionPolicy(name: string): void {
    if (!this.#storage.group(name)) throw groupNotFound();
    this.#storage.updateGroup(name, { retentionInDays: null });
  }

  tags(name: string): Record<string, string> {
    const g = this.#storage.group(name);
    if (!g) throw groupNotFound();
    return g.tags;
  }

  tag(name: string, tags: Record<string, string>): void {
    const merged = { ...this.tags(name), ...tags };
    if (Object.keys(merged).length > MAX_TAGS) throw logsError('TooManyTagsException', `A resource can have no more than ${MAX_TAGS} tags.`);
    this.#storage.updateGroup(name, { tags: merged });
  }

  untag(name: string, keys: readonly string[]): void {
    const tags = this.tags(name);
    for (const k of keys) delete tags[k];
    this.#storage.updateGroup(name, { tags });
  }

  /** TagResource & co. take a log group ARN (with or without a trailing `:*`). */
  groupNameOfArn(arn: string): string {
    return this.#nameFromArn(arn);
  }

  /** Removes events past each group's retention and compacts its files (also on a timer: `start`). */
  applyRetention(): Promise<void> {
    if (this.#sweeping) return this.#sweeping;
    const sweep = (async () => {
      for (const g of this.#storage.groups()) {
        const cutoff = this.retentionCutoff(g);
        if (cutoff !== undefined) await this.#storage.expire(g.logGroupName, cutoff);
      }
    })().finally(() => {
      if (this.#sweeping === sweep) this.#sweeping = undefined;
    });
    this.#sweeping = sweep;
    return sweep;
  }

  start(intervalMs: number, onError: (err: unknown) => void): void {
    const run = () => this.applyRetention().catch(onError);
    void run();
    this.#sweep = setInterval(run, intervalMs).unref();
  }

  async stop(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    await this.#sweeping?.catch(() => {});
  }

  #nameFromArn(arn: string): string {
    const m = /^arn:aws[a-z-]*:logs:[^:]*:[^:]*:log-group:([^:]+)(?::\*)?$/.exec(arn);
    if (!m) throw invalidParameter(`Invalid log group ARN: ${arn}`);
    return m[1]!;
  }
}
