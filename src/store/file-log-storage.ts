import { closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { LogEventRecord } from '../ports/log-events.js';
import type { LogGroupRecord, LogStorage, LogStreamRecord, LogStreamWriter, StoredLogEvent } from '../ports/log-storage.js';
import { countEvents, eventLine, parseEvents, scanStreamFile, writeAll } from './log-stream-file.js';

/**
 * Lines appended outside an invocation (init output, output a function writes after its reply) are
 * written within this; an invocation's own lines are written by `commit()` before its response.
 */
const BATCH_MS = 100;

/** Everything written reaches the disk (fdatasync, off the event loop) within this. */
export const LOG_SYNC_INTERVAL_MS = 1000;


interface GroupState {
  name: string;
  dir: string;
  creationTime: number;
  retentionInDays?: number;
  tags: Record<string, string>;
  streams: Map<string, StreamState>;
}

interface StreamState {
  group: GroupState;
  name: string;
  file: string;
  creationTime: number;
  first?: number;
  last?: number;
  lastIngestion?: number;
  /** Bytes of the stored events (the file without its header). */
  bytes: number;
  nextSeq: number;
  fd: number | undefined;
  /** Appended text not yet written. */
  pending: string;
  /** An fdatasync in flight (the fd is closed only after it). */
  syncing: Promise<void> | undefined;
  writers: number;
  deleted: boolean;
}

const key = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 32);

/**
 * Log groups on disk: `<root>/<sha256(group)>/group.json` (name, creation time, retention, tags)
 * and one file per stream, `<sha256(stream)>.log`, whose first line names the stream and whose
 * other lines are its events, `{"t": timestamp, "n": seq, "m": message}` (`"i"`: ingestion time
 * when it differs). Hashed file names keep any valid group or stream name (slashes, `[$LATEST]`,
 * `..`, 512 characters) a single safe path component.
 *
 * Appends are synchronous `write`s to O_APPEND files from the one event loop, so the events of a
 * stream are stored in append order whoever writes them; a kill -9 of the server loses nothing that
 * was written, and `fdatasync` every LOG_SYNC_INTERVAL_MS bounds what an OS crash can lose.
 */
export class FileLogStorage implements LogStorage {
  readonly #root: string;
  readonly #now: () => number;
  readonly #groups = new Map<string, GroupState>();
  readonly #listeners = new Set<(event: LogEventRecord) => void>();
  /** Streams with pending text. */
  readonly #dirty = new Set<StreamState>();
  /** Streams written since their last fdatasync. */
  readonly #unsynced = new Set<StreamState>();
  /** Files being flushed and closed. */
  readonly #closing = new Set<Promise<void>>();
  #batchTimer: NodeJS.Timeout | undefined;
  readonly #syncTimer: NodeJS.Timeout;

  constructor(root: string, now: () => number) {
    this.#root = root;
    this.#now = now;
    mkdirSync(root, { recursive: true, mode: 0o700 });
    this.#load();
    this.#syncTimer = setInterval(() => this.#syncDirty(), LOG_SYNC_INTERVAL_MS).unref();
  }

  subscribe(listener: (event: LogEventRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  groups(): LogGroupRecord[] {
    return [...this.#groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((g) => this.#groupRecord(g));
  }

  group(logGroupName: string): LogGroupRecord | undefined {
    const g = this.#groups.get(logGroupName);
    return g ? this.#groupRecord(g) : undefined;
  }

  createGroup(logGroupName: string, tags: Record<string, string>): boolean {
    if (this.#groups.has(logGroupName)) return false;
    this.#newGroup(logGroupName, tags);
    return true;
  }

  deleteGroup(logGroupName: string): boolean {
    const g = this.#groups.get(logGroupName);
    if (!g) return false;
    for (const s of g.streams.values()) this.#retire(s);
    this.#groups.delete(logGroupName);
    rmSync(g.dir, { recursive: true, force: true });
    return true;
  }

  updateGroup(logGroupName: string, change: { retentionInDays?: number | null; tags?: Record<string, string> }): void {
    const g = this.#groups.get(logGroupName);
    if (!g) return;
    if (change.retentionInDays === null) delete g.retentionInDays;
    else if (change.retentionInDays !== undefined) g.retentionInDays = change.retentionInDays;
    if (change.tags) g.tags = { ...change.tags };
    this.#saveGroup(g);
  }

  streams(logGroupName: string): LogStreamRecord[] | undefined {
    const g = this.#groups.get(logGroupName);
    if (!g) return undefined;
    return [...g.streams.values()].map((s) => ({
      logStreamName: s.name,
      creationTime: s.creationTime,
      ...(s.first !== undefined ? { firstEventTimestamp: s.first } : {}),
      ...(s.last !== undefined ? { lastEventTimestamp: s.last } : {}),
      ...(s.lastIngestion !== undefined ? { lastIngestionTime: s.lastIngestion } : {}),
      storedBytes: s.bytes,
    }));
  }

  createStream(logGroupName: string, logStreamName: string): 'created' | 'exists' | 'no-group' {
    const g = this.#groups.get(logGroupName);
    if (!g) return 'no-group';
    if (g.streams.has(logStreamName)) return 'exists';
    this.#newStream(g, logStreamName);
    return 'created';
  }

  deleteStream(logGroupName: string, logStreamName: string): boolean {
    const s = this.#groups.get(logGroupName)?.streams.get(logStreamName);
    if (!s) return false;
    this.#retire(s);
    s.group.streams.delete(logStreamName);
    rmSync(s.file, { force: true });
    return true;
  }

  openStream(logGroupName: string, logStreamName: string): LogStreamWriter {
    let state = this.#ensure(logGroupName, logStreamName);
    state.writers++;
    // A writer outlives a DeleteLogGroup/DeleteLogStream of its stream: its next line creates them again.
    const live = () => {
      if (state.deleted) {
        state = this.#ensure(logGroupName, logStreamName);
        state.writers++;
      }
      return state;
    };
    let closed = false;
    return {
      logGroupName,
      logStreamName,
      append: (timestamp, message) => {
        if (closed) return;
        const s = live();
        this.#append(s, timestamp, message, timestamp);
        if (!this.#dirty.has(s)) {
          this.#dirty.add(s);
          this.#batchTimer ??= setTimeout(() => this.#flushDirty(), BATCH_MS).unref();
        }
      },
      commit: () => {
        if (!state.deleted) this.#writeOut(state);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        if (state.deleted) return;
        this.#writeOut(state);
        if (--state.writers === 0) this.#closeFd(state);
      },
    };
  }

  put(logGroupName: string, logStreamName: string, events: readonly { timestamp: number; message: string }[]): void {
    const s = this.#groups.get(logGroupName)?.streams.get(logStreamName);
    if (!s) throw new Error(`no log stream ${logGroupName} ${logStreamName}`);
    const ingestion = this.#now();
    for (const e of events) this.#append(s, e.timestamp, e.message, ingestion);
    this.#writeOut(s);
  }

  async read(logGroupName: string, logStreamName: string): Promise<StoredLogEvent[]> {
    const s = this.#groups.get(logGroupName)?.streams.get(logStreamName);
    if (!s) return [];
    this.#writeOut(s);
    const text = await readFile(s.file, 'utf8').catch(() => '');
    return parseEvents(text);
  }

  async expire(logGroupName: string, before: number): Promise<{ removedEvents: number; removedStreams: number }> {
    const g = this.#groups.get(logGroupName);
    let removedEvents = 0;
    let removedStreams = 0;
    if (!g) return { removedEvents, removedStreams };
    for (const s of [...g.streams.values()]) {
      const newest = s.last ?? s.creationTime;
      if (newest < before && s.writers === 0 && s.pending === '') {
        removedEvents += s.nextSeq > 0 ? countEvents(s.file) : 0;
        this.deleteStream(g.name, s.name);
        removedStreams++;
      } else if (s.first !== undefined && s.first < before) {
        removedEvents += this.#compact(s, before);
      }
      // Other requests get their turn between streams.
      await new Promise((r) => setImmediate(r));
    }
    return { removedEvents, removedStreams };
  }

  async sync(): Promise<void> {
    this.#flushDirty();
    await Promise.all([...this.#unsynced].map((s) => this.#syncOne(s)));
  }

  async close(): Promise<void> {
    clearInterval(this.#syncTimer);
    if (this.#batchTimer) clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    await this.sync();
    for (const g of this.#groups.values()) for (const s of g.streams.values()) this.#closeFd(s);
    await Promise.all([...this.#closing]);
  }

  #groupRecord(g: GroupState): LogGroupRecord {
    let storedBytes = 0;
    for (const s of g.streams.values()) storedBytes += s.bytes;
    return { logGroupName: g.name, creationTime: g.creationTime, ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}), tags: { ...g.tags }, storedBytes };
  }

  #ensure(logGroupName: string, logStreamName: string): StreamState {
    const g = this.#groups.get(logGroupName) ?? this.#newGroup(logGroupName, {});
    return g.streams.get(logStreamName) ?? this.#newStream(g, logStreamName);
  }

  #newGroup(name: string, tags: Record<string, string>): GroupState {
    const g: GroupState = { name, dir: join(this.#root, key(name)), creationTime: this.#now(), tags: { ...tags }, streams: new Map() };
    mkdirSync(g.dir, { recursive: true, mode: 0o700 });
    this.#saveGroup(g);
    this.#groups.set(name, g);
    return g;
  }

  #newStream(g: GroupState, name: string): StreamState {
    const s: StreamState = { group: g, name, file: join(g.dir, `${key(name)}.log`), creationTime: this.#now(), bytes: 0, nextSeq: 0, fd: undefined, pending: '', syncing: undefined, writers: 0, deleted: false };
    // The header is the stream's existence: written (with O_EXCL: a hash collision is refused) before it is listed.
    const fd = openSync(s.file, 'wx', 0o600);
    try {
      writeAll(fd, JSON.stringify({ logStreamName: name, creationTime: s.creationTime }) + '\n');
    } finally {
      closeSync(fd);
    }
    g.streams.set(name, s);
    return s;
  }

  /** group.json, replaced atomically (temp file, fsync, rename). */
  #saveGroup(g: GroupState): void {
    const tmp = join(g.dir, 'group.json.tmp');
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeAll(fd, JSON.stringify({ logGroupName: g.name, creationTime: g.creationTime, ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}), tags: g.tags }) + '\n');
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(g.dir, 'group.json'));
  }

  #append(s: StreamState, timestamp: number, message: string, ingestion: number): void {
    const seq = s.nextSeq++;
    const line = eventLine(timestamp, ingestion, seq, message);
    s.pending += line;
    s.bytes += line.length;
    if (s.first === undefined || timestamp < s.first) s.first = timestamp;
    if (s.last === undefined || timestamp > s.last) s.last = timestamp;
    s.lastIngestion = ingestion;
    if (this.#listeners.size === 0) return;
    const record: LogEventRecord = { logGroupName: s.group.name, logStreamName: s.name, timestamp, message };
    for (const l of this.#listeners) {
      try {
        l(record);
      } catch {
        // A subscriber's failure (metrics extraction) never loses the line.
      }
    }
  }

  /** One synchronous write of a stream's pending text (a page-cache write of a few KB costs less than a thread-pool round trip). */
  #writeOut(s: StreamState): void {
    if (s.pending === '' || s.deleted) return;
    const text = s.pending;
    s.pending = '';
    this.#dirty.delete(s);
    try {
      s.fd ??= openSync(s.file, 'a', 0o600);
      writeAll(s.fd, text);
      this.#unsynced.add(s);
    } catch {
      // A full disk must not take the server down; the invocation itself still completes.
    }
  }

  #flushDirty(): void {
    if (this.#batchTimer) clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    for (const s of [...this.#dirty]) this.#writeOut(s);
    this.#dirty.clear();
  }

  #syncDirty(): void {
    for (const s of [...this.#unsynced]) void this.#syncOne(s);
  }

  #syncOne(s: StreamState): Promise<void> {
    if (s.syncing) return s.syncing;
    this.#unsynced.delete(s);
    const fd = s.fd;
    if (fd === undefined) return Promise.resolve();
    s.syncing = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).finally(() => {
      s.syncing = undefined;
      // Streams only PutLogEvents writes keep no file open between batches.
      if (s.writers === 0 && s.fd === fd && s.pending === '') this.#closeFd(s);
    });
    return s.syncing;
  }

  /** Closes a stream's file after any fdatasync in flight on it. */
  #closeFd(s: StreamState): void {
    const fd = s.fd;
    if (fd === undefined) return;
    s.fd = undefined;
    // Written since the last fdatasync: flushed before the close, so closing keeps the 1 s promise.
    const unsynced = this.#unsynced.delete(s) && !s.deleted;
    if (!unsynced && !s.syncing) {
      closeSync(fd);
      return;
    }
    const closing: Promise<void> = (s.syncing ?? Promise.resolve())
      .then(() => (unsynced ? new Promise<void>((resolve) => fdatasync(fd, () => resolve())) : undefined))
      .then(() => closeSync(fd))
      .finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
  }

  #retire(s: StreamState): void {
    s.deleted = true;
    s.pending = '';
    this.#dirty.delete(s);
    this.#closeFd(s);
  }

  /** Rewrites a stream without its events older than `before`; returns how many went. */
  #compact(s: StreamState, before: number): number {
    this.#writeOut(s);
    const text = readFileSync(s.file, 'utf8');
    const nl = text.indexOf('\n');
    const events = parseEvents(text);
    const kept = events.filter((e) => e.timestamp >= before);
    if (kept.length === events.length) return 0;
    const tmp = s.file + '.tmp';
    const fd = openSync(tmp, 'w', 0o600);
    let body = '';
    for (const e of kept) body += eventLine(e.timestamp, e.ingestionTime, e.seq, e.message);
    try {
      writeAll(fd, text.slice(0, nl + 1) + body);
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, s.file);
    // Writers reopen the new file on their next write.
    this.#closeFd(s);
    s.bytes = Buffer.byteLength(body);
    s.first = kept.length ? Math.min(...kept.map((e) => e.timestamp)) : undefined;
    s.last = kept.length ? Math.max(...kept.map((e) => e.timestamp)) : undefined;
    return events.length - kept.length;
  }

  /** Reads every group and stream back; a line torn by a crash mid-write is cut off. */
  #load(): void {
    for (const entry of readdirSync(this.#root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(this.#root, entry.name);
      let meta: { logGroupName: string; creationTime: number; retentionInDays?: number; tags?: Record<string, string> };
      try {
        meta = JSON.parse(readFileSync(join(dir, 'group.json'), 'utf8'));
      } catch {
        continue; // Not a group (or one whose creation never finished).
      }
      const g: GroupState = { name: meta.logGroupName, dir, creationTime: meta.creationTime, ...(meta.retentionInDays !== undefined ? { retentionInDays: meta.retentionInDays } : {}), tags: meta.tags ?? {}, streams: new Map() };
      this.#groups.set(g.name, g);
      for (const f of readdirSync(dir)) {
        if (!f.endsWith('.log')) continue;
        const file = join(dir, f);
        const scanned = scanStreamFile(file);
        if (scanned) g.streams.set(scanned.name, { ...scanned, group: g, file, fd: undefined, pending: '', syncing: undefined, writers: 0, deleted: false });
      }
    }
  }
}
