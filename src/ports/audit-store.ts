import type { AuditEvent } from './audit-log.js';

/** One link of the audit hash chain, as stored: an event record or a signed digest. */
export interface AuditRow {
  seq: number;
  kind: 'event' | 'digest';
  /** The record's canonical JSON text: exactly the bytes the hash covers. */
  record: string;
  /** Hash of the previous link (64 zeros before the first). */
  prevHash: string;
  /** SHA-256 hex of `prevHash` + "\n" + `record`. */
  hash: string;
  /** Digests: base64 Ed25519 signature over `record`. */
  signature?: string;
}

/** What LookupEvents filters on, taken from an event record when it is appended. */
export interface AuditRowIndex {
  eventTime: string;
  eventId: string;
  eventName: string;
  eventSource: string;
  readOnly: boolean;
  username?: string;
  accessKeyId?: string;
  resources: Array<{ type: string; name: string }>;
  /** The columns older Flint versions kept (AuditLog.list). */
  principal: string;
  service: string;
  resource?: string;
  status: number;
  errorType?: string;
  requestId: string;
}

export type LookupKey = 'EventId' | 'EventName' | 'ReadOnly' | 'Username' | 'ResourceType' | 'ResourceName' | 'EventSource' | 'AccessKeyId';

/** A row written by a Flint from before the chain: its old columns, to be sealed into the chain. */
export type LegacyAuditRow = AuditEvent & { seq: number };

/** The stored trail: append-only rows in seq order, with the lookups CloudTrail's API needs. */
export interface AuditStore {
  append(row: AuditRow, index?: AuditRowIndex): void;
  /**
   * Appends the link `build` makes from the trail's current head, in one step under the store's
   * append lock: on a shared database (cluster mode) several nodes extend one chain, so reading
   * the head and appending after it must not interleave. `build` returning undefined appends nothing.
   */
  appendAfter(build: (head: AuditRow | undefined) => { row: AuditRow; index?: AuditRowIndex } | undefined): AuditRow | undefined;
  /** The last link, or undefined for an empty trail. */
  head(): AuditRow | undefined;
  /** Links in seq order from `fromSeq` (inclusive). */
  rows(opts?: { fromSeq?: number; limit?: number }): AuditRow[];
  /** Event rows, newest first, matching one attribute and a time range; `beforeSeq` pages. */
  lookup(q: { attribute?: { key: LookupKey; value: string }; startTime?: string; endTime?: string; beforeSeq?: number; limit: number }): AuditRow[];
  /** The newest digest at or before `seq` whose time is before `time` (retention's new anchor). */
  lastDigestBefore(time: string): AuditRow | undefined;
  /** Removes every link with a lower seq (retention). Returns how many. */
  pruneBefore(seq: number): number;
  /** Rows written before the chain existed (no hash yet), oldest first. */
  unsealed(): LegacyAuditRow[];
  /** Seals one such row in place: its record, links and hash. */
  seal(row: AuditRow, index: AuditRowIndex): void;
  /** Event rows as the pre-CloudTrail AuditLog listed them, oldest first. */
  list(opts?: { afterSeq?: number; limit?: number; resource?: string }): AuditEvent[];
}
