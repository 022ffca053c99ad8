import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { LogEventFeed, LogEventRecord } from '../ports/log-events.js';

/** One log event, as CloudWatch Logs keeps it. */
export interface LogEvent {
  /** Epoch ms. */
  timestamp: number;
  message: string;
}

export interface LogStreamInfo {
  name: string;
  /** Epoch ms of the last write. */
  lastEventAt: number;
  sizeBytes: number;
}

export interface LogStreamWriter {
  readonly functionName: string;
  readonly logGroupName: string;
  readonly streamName: string;
  /** Queues an event; the store writes it with its next batch (BATCH_MS), or on close. */
  append(timestamp: number, message: string): void;
  close(): Promise<void>;
}

/**
 * How long appended events may wait to be written together. One timer for the whole store writes
 * every stream that has something pending, one write each: a busy environment costs a write per
 * 100 ms rather than one per invocation (a write per invocation was ~30 % of the server's CPU on
 * the warm path). Readers in this process flush first, so they never miss a line; `flint logs`
 * (another process) sees lines at most this late, and CloudWatch is slower still.
 */
const BATCH_MS = 100;

interface StreamBuffer {
  fd: number | undefined;
  pending: string;
}

/**
 * Function logs on disk, one file per log stream: `<root>/<function>/<stream>`, where the stream
 * name `2026/11/28/[$LATEST]<hex>` becomes nested directories as in the CloudWatch console. Each
 * line of a file is one event, `{"t": epochMs, "m": message}`, so a message may hold any text.
 * Nothing is expired: like a CloudWatch log group without a retention setting.
 */
export class LogStore implements LogEventFeed {
  readonly #root: string;
  readonly #listeners = new Set<(event: LogEventRecord) => void>();
  /** Streams with appended events not yet written. */
  readonly #dirty = new Set<StreamBuffer>();
  #timer: NodeJS.Timeout | undefined;

  constructor(root: string) {
    this.#root = root;
  }

  subscribe(listener: (event: LogEventRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get root(): string {
    return this.#root;
  }

  /**
   * A stream of the function's directory. `logGroupName` names the group its events belong to for
   * subscribers (a function's LoggingConfig.LogGroup, else `/aws/lambda/<function>`).
   */
  openStream(functionName: string, streamName: string, logGroupName = `/aws/lambda/${functionName}`): LogStreamWriter {
    const path = this.#path(functionName, streamName);
    mkdirSync(dirname(path), { recursive: true });
    // Opened now so the stream is listed from the start, as a CloudWatch stream is once created.
    const buf: StreamBuffer = { fd: openSync(path, 'a'), pending: '' };
    const dirty = this.#dirty;
    const listeners = this.#listeners;
    return {
      functionName,
      logGroupName,
      streamName,
      append: (timestamp: number, message: string) => {
        if (buf.fd === undefined) return;
        for (const l of listeners) l({ logGroupName, logStreamName: streamName, timestamp, message });
        // Same text as JSON.stringify({ t, m }), without building the object.
        buf.pending += '{"t":' + JSON.stringify(timestamp) + ',"m":' + JSON.stringify(message) + '}\n';
        if (!dirty.has(buf)) {
          dirty.add(buf);
          this.#timer ??= setTimeout(() => this.flush(), BATCH_MS).unref();
        }
      },
      close: () => {
        writeOut(buf);
        dirty.delete(buf);
        if (buf.fd !== undefined) closeSync(buf.fd);
        buf.fd = undefined;
        return Promise.resolve();
      },
    };
  }

  /** Writes what every open stream has pending (readers in this process call it first). */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const buf of this.#dirty) writeOut(buf);
    this.#dirty.clear();
  }

  /** Functions that have logs, by name. */
  async listFunctions(): Promise<string[]> {
    const entries = await readdir(this.#root, { withFileTypes: true }).catch(() => []);
    return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  }

  /** A function's streams, most recently written first. */
  async listStreams(functionName: string): Promise<LogStreamInfo[]> {
    this.flush();
    const base = this.#path(functionName);
    const out: LogStreamInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const p = join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) {
          const s = await stat(p);
          out.push({ name: relative(base, p).split(sep).join('/'), lastEventAt: s.mtimeMs, sizeBytes: s.size });
        }
      }
    };
    await walk(base);
    return out.sort((a, b) => b.lastEventAt - a.lastEventAt || (a.name < b.name ? 1 : -1));
  }

  /** Events from byte `offset` on; `nextOffset` continues after the last complete event. */
  async read(functionName: string, streamName: string, offset = 0): Promise<{ events: LogEvent[]; nextOffset: number }> {
    this.flush();
    const fh = await open(this.#path(functionName, streamName), 'r').catch(() => undefined);
    if (!fh) return { events: [], nextOffset: offset };
    try {
      const { size } = await fh.stat();
      if (size <= offset) return { events: [], nextOffset: offset };
      const buf = Buffer.alloc(size - offset);
      await fh.read(buf, 0, buf.length, offset);
      const end = buf.lastIndexOf(0x0a) + 1;
      const events: LogEvent[] = [];
      for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const e = JSON.parse(line) as { t: number; m: string };
          events.push({ timestamp: e.t, message: e.m });
        } catch {
          // A torn line from a crash mid-write: skip it, keep the rest readable.
        }
      }
      return { events, nextOffset: offset + end };
    } finally {
      await fh.close();
    }
  }

  /** Calls `onEvent` for every event already in the stream and then for new ones, until `signal` aborts. */
  async follow(functionName: string, streamName: string, onEvent: (e: LogEvent) => void, opts: { signal: AbortSignal; pollMs?: number; fromOffset?: number }): Promise<void> {
    let offset = opts.fromOffset ?? 0;
    while (!opts.signal.aborted) {
      const { events, nextOffset } = await this.read(functionName, streamName, offset);
      offset = nextOffset;
      for (const e of events) onEvent(e);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, opts.pollMs ?? 250);
        opts.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }

  #path(functionName: string, streamName?: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(functionName)) throw new Error(`not a function name: ${functionName}`);
    if (streamName === undefined) return join(this.#root, functionName);
    if (streamName.split('/').some((part) => part === '..' || part === '' || part === '.')) throw new Error(`not a log stream name: ${streamName}`);
    return join(this.#root, functionName, ...streamName.split('/'));
  }
}

/**
 * One synchronous append of a stream's pending text: a page-cache write of a few KB costs less than
 * handing it to libuv's thread pool and back, and keeps in-process readers' flush-then-read exact.
 */
function writeOut(buf: StreamBuffer): void {
  if (buf.pending === '' || buf.fd === undefined) return;
  const text = buf.pending;
  buf.pending = '';
  try {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += writeSync(buf.fd, bytes, at);
  } catch {
    // A full disk must not take the server down; the invocation itself still completes.
  }
}
