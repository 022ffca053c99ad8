import { closeSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import type { StoredLogEvent } from '../ports/log-storage.js';

/*
 * The stream file format of FileLogStorage: a header line `{"logStreamName","creationTime"}`, then
 * one event per line, `{"t": timestamp, "n": seq, "m": message}` (`"i"`: ingestion time when it
 * differs from the timestamp).
 */

/** Files up to this size are read whole at start-up (exact first/last timestamps); larger ones by their ends. */
const SCAN_WHOLE_BYTES = 256 * 1024;

/** One event's line: the same text as JSON.stringify({ t, i, n, m }) without building the object (the warm path). */
export function eventLine(timestamp: number, ingestion: number, seq: number, message: string): string {
  return '{"t":' + JSON.stringify(timestamp) + (ingestion !== timestamp ? ',"i":' + JSON.stringify(ingestion) : '') + ',"n":' + seq + ',"m":' + JSON.stringify(message) + '}\n';
}

export function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}

export function parseEvents(text: string): StoredLogEvent[] {
  const out: StoredLogEvent[] = [];
  let at = text.indexOf('\n') + 1; // past the header
  if (at === 0) return out;
  while (at < text.length) {
    const end = text.indexOf('\n', at);
    if (end < 0) break; // an unfinished line: not yet an event
    const line = text.slice(at, end);
    at = end + 1;
    try {
      const e = JSON.parse(line) as { t: number; i?: number; n: number; m: string };
      out.push({ timestamp: e.t, ingestionTime: e.i ?? e.t, message: e.m, seq: e.n });
    } catch {
      // Unreadable line: skip it, keep the rest.
    }
  }
  return out;
}

/** How many events a stream file holds (0 when unreadable). */
export function countEvents(file: string): number {
  try {
    return parseEvents(readFileSync(file, 'utf8')).length;
  } catch {
    return 0;
  }
}

/** What start-up learns of a stream file: its header, sizes and event range. */
export interface ScannedStream {
  name: string;
  creationTime: number;
  /** Bytes of events (the file without its header). */
  bytes: number;
  first?: number;
  last?: number;
  lastIngestion?: number;
  nextSeq: number;
}

/**
 * Reads a stream file's header and ends (the whole file when small: exact first/last timestamps).
 * A line torn by a crash mid-write is cut off, so the next append starts on a line of its own.
 */
export function scanStreamFile(file: string): ScannedStream | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    const headLen = Math.min(size, size <= SCAN_WHOLE_BYTES ? size : 64 * 1024);
    const head = Buffer.alloc(headLen);
    readSync(fd, head, 0, headLen, 0);
    const headText = head.toString('utf8');
    const nl = headText.indexOf('\n');
    if (nl < 0) return undefined;
    const header = JSON.parse(headText.slice(0, nl)) as { logStreamName: string; creationTime: number };
    const tailLen = Math.min(size, 64 * 1024);
    const tail = Buffer.alloc(tailLen);
    readSync(fd, tail, 0, tailLen, size - tailLen);
    const lastNl = tail.lastIndexOf(0x0a);
    const end = size - tailLen + lastNl + 1;
    if (end < size) ftruncateSync(fd, end);
    const s: ScannedStream = { name: header.logStreamName, creationTime: header.creationTime, bytes: end - (nl + 1), nextSeq: 0 };
    const sample = size <= SCAN_WHOLE_BYTES ? parseEvents(headText.slice(0, end)) : [...parseEvents(headText.slice(0, headText.lastIndexOf('\n') + 1)).slice(0, 1), ...parseEvents('\n' + tail.subarray(tail.indexOf(0x0a) + 1, lastNl + 1).toString('utf8'))];
    for (const e of sample) {
      if (s.first === undefined || e.timestamp < s.first) s.first = e.timestamp;
      if (s.last === undefined || e.timestamp > s.last) s.last = e.timestamp;
      if (s.lastIngestion === undefined || e.ingestionTime > s.lastIngestion) s.lastIngestion = e.ingestionTime;
      if (e.seq >= s.nextSeq) s.nextSeq = e.seq + 1;
    }
    return s;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
