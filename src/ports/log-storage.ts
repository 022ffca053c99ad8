import type { LogEventFeed } from './log-events.js';

/** One stored event of a log stream. */
export interface StoredLogEvent {
  /** Epoch ms, as the writer gave it. */
  timestamp: number;
  /** Epoch ms when Flint stored it. */
  ingestionTime: number;
  message: string;
  /** Append ordinal within the stream: increasing, never reused (kept across compaction). */
  seq: number;
}

/** The writing end of one log stream (an execution environment holds one). */
export interface LogStreamWriter {
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** Adds an event: subscribers see it now; it reaches the OS with the next `commit()` (or within a moment). */
  append(timestamp: number, message: string): void;
  /**
   * One write of everything appended so far, before anything depending on it (an Invoke response)
   * is sent. Never blocks on a network: a driver whose storage is remote (PostgreSQL) starts the
   * write and returns, so the lines are stored shortly after the response.
   */
  commit(): void;
  close(): Promise<void>;
}

export interface LogGroupRecord {
  logGroupName: string;
  /** Epoch ms. */
  creationTime: number;
  retentionInDays?: number;
  tags: Record<string, string>;
  storedBytes: number;
}

export interface LogStreamRecord {
  logStreamName: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
}

/** What opening a stream for writing needs: function environments write through this only. */
export interface LogStreams {
  /** Creates the group and the stream when missing (as Lambda does on a function's first log line). */
  openStream(logGroupName: string, logStreamName: string): LogStreamWriter;
}

/**
 * CloudWatch Logs' storage: log groups by name, their streams, and the events in append order.
 * Every appended event — a function's output or PutLogEvents — goes to the feed's subscribers.
 */
export interface LogStorage extends LogStreams, LogEventFeed {
  /** All groups, by name. */
  groups(): LogGroupRecord[];
  group(logGroupName: string): LogGroupRecord | undefined;
  /** False when the group exists already. */
  createGroup(logGroupName: string, tags: Record<string, string>): boolean;
  /** False when there was no such group. */
  deleteGroup(logGroupName: string): boolean;
  /** `retentionInDays: null` removes the retention setting. */
  updateGroup(logGroupName: string, change: { retentionInDays?: number | null; tags?: Record<string, string> }): void;
  /** A group's streams, by name (undefined: no such group). */
  streams(logGroupName: string): LogStreamRecord[] | undefined;
  createStream(logGroupName: string, logStreamName: string): 'created' | 'exists' | 'no-group';
  deleteStream(logGroupName: string, logStreamName: string): boolean;
  /** Appends a batch and writes it to the OS before returning (PutLogEvents answers after this). */
  put(logGroupName: string, logStreamName: string, events: readonly { timestamp: number; message: string }[]): void;
  /** A stream's events in stored order ([] when it does not exist). */
  read(logGroupName: string, logStreamName: string): Promise<StoredLogEvent[]>;
  /** Removes a group's events older than `before` (epoch ms) and compacts its files; empty streams go. */
  expire(logGroupName: string, before: number): Promise<{ removedEvents: number; removedStreams: number }>;
  /** Writes and flushes to disk everything appended so far. */
  sync(): Promise<void>;
  close(): Promise<void>;
}
