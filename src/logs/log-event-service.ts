import { createHash } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { LogStorage, StoredLogEvent } from '../ports/log-storage.js';
import { compileFilterPattern } from './filter-pattern.js';
import { FilterPatternError } from './pattern-values.js';
import { groupNotFound, invalidParameter, streamNotFound } from './logs-errors.js';
import type { LogGroupService } from './log-group-service.js';
import { pageToken, readPageToken } from './page-token.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** PutLogEvents: a batch is at most 1,048,576 bytes, counting each message's UTF-8 bytes plus 26. */
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
/** GetLogEvents and FilterLogEvents answer at most 10,000 events and 1 MB. */
const MAX_EVENTS = 10_000;
const MAX_RESPONSE_BYTES = 1_048_576;

export interface InputLogEvent {
  timestamp: number;
  message: string;
}

/** A stream event's position: 56 digits, timestamp then append ordinal (CloudWatch's tokens are 56 digits too). */
const positionOf = (e: { timestamp: number; seq: number }) => String(e.timestamp).padStart(20, '0') + String(e.seq).padStart(20, '0') + '0'.repeat(16);
const START = '0'.repeat(56);

/**
 * PutLogEvents, GetLogEvents and FilterLogEvents over the log storage, with CloudWatch's batch
 * rules, time windows, 1 MB / 10,000-event pages and tokens.
 */
export class LogEventService {
  readonly #storage: LogStorage;
  readonly #groups: LogGroupService;
  readonly #clock: Clock;

  constructor(deps: { storage: LogStorage; groups: LogGroupService; clock: Clock }) {
    this.#storage = deps.storage;
    this.#groups = deps.groups;
    this.#clock = deps.clock;
  }

  /**
   * AWS's rules: events in chronological order, spanning at most 24 hours, at most 1 MB; events
   * more than 2 hours ahead, older than 14 days or past the group's retention are rejected by index
   * (`rejectedLogEventsInfo`) and the rest stored. Sequence tokens are accepted and ignored, as AWS
   * does since January 2023.
   */
  putLogEvents(group: string, stream: string, events: readonly InputLogEvent[]): Record<string, unknown> {
    const g = this.#storage.group(group);
    if (!g) throw groupNotFound();
    if (!this.#storage.streams(group)!.some((s) => s.logStreamName === stream)) throw streamNotFound();
    let bytes = 0;
    for (let i = 0; i < events.length; i++) {
      bytes += Buffer.byteLength(events[i]!.message) + EVENT_OVERHEAD;
      if (i > 0 && events[i]!.timestamp < events[i - 1]!.timestamp) throw invalidParameter('Log events in a single PutLogEvents request must be in chronological order.');
    }
    if (bytes > MAX_BATCH_BYTES) throw invalidParameter(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
    if (events.length > 1 && events[events.length - 1]!.timestamp - events[0]!.timestamp > DAY_MS) throw invalidParameter('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
    const now = this.#clock.now();
    const cutoff = this.#groups.retentionCutoff(g);
    let tooOldEnd = 0;
    let expiredEnd = 0;
    let tooNewStart = events.length;
    events.forEach((e, i) => {
      if (e.timestamp < now - 14 * DAY_MS) tooOldEnd = i + 1;
      if (cutoff !== undefined && e.timestamp < cutoff) expiredEnd = i + 1;
      if (e.timestamp > now + 2 * HOUR_MS && tooNewStart === events.length) tooNewStart = i;
    });
    const accepted = events.slice(Math.max(tooOldEnd, expiredEnd), tooNewStart);
    if (accepted.length) this.#storage.put(group, stream, accepted);
    const rejected = {
      ...(tooNewStart < events.length ? { tooNewLogEventStartIndex: tooNewStart } : {}),
      ...(tooOldEnd > 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}),
      ...(expiredEnd > 0 ? { expiredLogEventEndIndex: expiredEnd } : {}),
    };
    return {
      nextSequenceToken: String(now).padStart(56, '0'),
      ...(Object.keys(rejected).length ? { rejectedLogEventsInfo: rejected } : {}),
    };
  }

  /**
   * GetLogEvents: one stream in timestamp order, `startTime` inclusive, `endTime` exclusive. From
   * the tail unless `startFromHead`; `f/…` continues after the last event returned, `b/…` before
   * the first; at either end the token passed in comes back (how clients know they are done).
   */
  async getLogEvents(q: { logGroupName?: string; logGroupIdentifier?: string; logStreamName: string; startTime?: number; endTime?: number; limit?: number; startFromHead?: boolean; nextToken?: string }): Promise<Record<string, unknown>> {
    const g = this.#groups.resolveGroup(q);
    if (!this.#storage.streams(g.logGroupName)!.some((s) => s.logStreamName === q.logStreamName)) throw streamNotFound();
    const token = q.nextToken === undefined ? undefined : /^([fb])\/(\d{56})$/.exec(q.nextToken);
    if (q.nextToken !== undefined && !token) throw invalidParameter('The specified nextToken is invalid.');
    const cutoff = this.#groups.retentionCutoff(g) ?? 0;
    const from = Math.max(cutoff, q.startTime ?? 0);
    const events = (await this.#storage.read(g.logGroupName, q.logStreamName))
      .filter((e) => e.timestamp >= from && (q.endTime === undefined || e.timestamp < q.endTime))
      .map((e) => ({ e, pos: positionOf(e) }))
      .sort((a, b) => (a.pos < b.pos ? -1 : a.pos > b.pos ? 1 : 0));
    const limit = q.limit ?? MAX_EVENTS;
    const forward = token ? token[1] === 'f' : q.startFromHead === true;
    let page: typeof events;
    if (forward) {
      const after = token?.[2] ?? START;
      page = capBytes(events.filter((x) => x.pos > after).slice(0, limit), false);
    } else {
      const before = token?.[2];
      const upTo = before === undefined ? events : events.filter((x) => x.pos < before);
      page = capBytes(upTo.slice(Math.max(0, upTo.length - limit)), true);
    }
    const first = page[0]?.pos;
    const last = page[page.length - 1]?.pos;
    return {
      events: page.map(({ e }) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
      nextForwardToken: last !== undefined ? `f/${last}` : token?.[1] === 'f' ? q.nextToken : `f/${token?.[2] ?? events[events.length - 1]?.pos ?? START}`,
      nextBackwardToken: first !== undefined ? `b/${first}` : token?.[1] === 'b' ? q.nextToken : `b/${token?.[2] ?? START}`,
    };
  }

  /**
   * FilterLogEvents: the group's events (some streams by name or prefix) in `[startTime, endTime]`
   * matching the filter pattern, interleaved across streams in timestamp order (always, as AWS since
   * 2019). `searchedLogStreams` is empty, as AWS returns it since 2020.
   */
  async filterLogEvents(q: { logGroupName?: string; logGroupIdentifier?: string; logStreamNames?: string[]; logStreamNamePrefix?: string; startTime?: number; endTime?: number; filterPattern?: string; limit?: number; nextToken?: string }): Promise<Record<string, unknown>> {
    const g = this.#groups.resolveGroup(q);
    if (q.logStreamNames !== undefined && q.logStreamNamePrefix !== undefined) throw invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
    let match: (m: string) => boolean;
    try {
      match = compileFilterPattern(q.filterPattern ?? '');
    } catch (err) {
      if (err instanceof FilterPatternError) throw invalidParameter(err.message);
      throw err;
    }
    const after = readPageToken(q.nextToken);
    const from = Math.max(this.#groups.retentionCutoff(g) ?? 0, q.startTime ?? 0);
    const to = q.endTime ?? Number.MAX_SAFE_INTEGER;
    const names = q.logStreamNames ? new Set(q.logStreamNames) : undefined;
    const streams = this.#storage.streams(g.logGroupName)!.filter((s) =>
      (names === undefined || names.has(s.logStreamName)) &&
      (q.logStreamNamePrefix === undefined || s.logStreamName.startsWith(q.logStreamNamePrefix)) &&
      s.lastEventTimestamp !== undefined && s.lastEventTimestamp >= from && (s.firstEventTimestamp ?? 0) <= to);
    const found: { e: StoredLogEvent; stream: string; id: string }[] = [];
    for (const s of streams) {
      const streamDigits = String(parseInt(createHash('sha256').update(s.logStreamName).digest('hex').slice(0, 13), 16)).padStart(16, '0');
      for (const e of await this.#storage.read(g.logGroupName, s.logStreamName)) {
        if (e.timestamp < from || e.timestamp > to) continue;
        const id = String(e.timestamp).padStart(20, '0') + streamDigits + String(e.seq).padStart(20, '0');
        if (after !== undefined && id <= after) continue;
        if (!match(e.message)) continue;
        found.push({ e, stream: s.logStreamName, id });
      }
    }
    found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const page = capBytes(found.slice(0, q.limit ?? MAX_EVENTS), false);
    return {
      events: page.map(({ e, stream, id }) => ({ logStreamName: stream, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: id })),
      searchedLogStreams: [],
      ...(page.length < found.length ? { nextToken: pageToken(page[page.length - 1]!.id) } : {}),
    };
  }
}

/** At most 1 MB of events: from the front (forward pages) or from the back (tail pages). */
function capBytes<T extends { e: { message: string } }>(page: T[], fromBack: boolean): T[] {
  let bytes = 0;
  const order = fromBack ? [...page].reverse() : page;
  let n = 0;
  for (const x of order) {
    bytes += Buffer.byteLength(x.e.message) + EVENT_OVERHEAD;
    if (bytes > MAX_RESPONSE_BYTES && n > 0) break;
    n++;
  }
  return fromBack ? page.slice(page.length - n) : page.slice(0, n);
}
