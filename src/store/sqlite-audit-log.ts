import type Database from 'better-sqlite3';
import type { AuditEvent } from '../ports/audit-log.js';
import type { AuditRow, AuditRowIndex, AuditStore, LegacyAuditRow, LookupKey } from '../ports/audit-store.js';
import { auditColumns, toAuditEvent, toAuditRow } from './audit-columns.js';

/** LookupEvents attribute → the indexed column it filters (resources go through json_each). */
const COLUMN: Record<Exclude<LookupKey, 'ResourceType' | 'ResourceName'>, string> = {
  EventId: 'event_id',
  EventName: 'operation',
  ReadOnly: 'read_only',
  Username: 'username',
  EventSource: 'event_source',
  AccessKeyId: 'access_key_id',
};

const LINK = 'seq, kind, record, prev_hash, hash, signature';

/**
 * The audit trail in the `audit_events` table of flint.db: one row per link of the hash chain
 * (events and digests), written once and never updated — except the one-time sealing of rows an
 * older Flint wrote before the chain existed. Lookup columns are copies for indexing; the hashed
 * `record` is what LookupEvents returns.
 */
export class SqliteAuditLog implements AuditStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  /** The chain's head as this process last wrote it (undefined: not known, read it). */
  #head: { row: AuditRow | undefined } | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO audit_events (seq, kind, time, request_id, principal, service, operation, resource, status, error_type, detail,
         event_id, event_source, read_only, username, access_key_id, resources, record, prev_hash, hash, signature)
       VALUES (@seq, @kind, @time, @requestId, @principal, @service, @operation, @resource, @status, @errorType, @detail,
         @eventId, @eventSource, @readOnly, @username, @accessKeyId, @resources, @record, @prevHash, @hash, @signature)`,
    );
  }

  append(row: AuditRow, index?: AuditRowIndex): void {
    this.#head = undefined;
    this.#insert.run(auditColumns(row, index));
  }

  appendAfter(build: (head: AuditRow | undefined) => { row: AuditRow; index?: AuditRowIndex } | undefined): AuditRow | undefined {
    // One process owns flint.db (as SqliteMetadataStore assumes), so the head it wrote last is the
    // head: no read, and the insert alone is the atomic step — the audited call's cost stays as before.
    const head = this.#head ? this.#head.row : this.head();
    const next = build(head);
    if (!next) return undefined;
    this.#insert.run(auditColumns(next.row, next.index));
    this.#head = { row: next.row };
    return next.row;
  }

  seal(row: AuditRow, index: AuditRowIndex): void {
    this.#head = undefined;
    const p = auditColumns(row, index);
    this.#db
      .prepare(
        `UPDATE audit_events SET kind = @kind, event_id = @eventId, event_source = @eventSource, read_only = @readOnly, username = @username,
           access_key_id = @accessKeyId, resources = @resources, record = @record, prev_hash = @prevHash, hash = @hash WHERE seq = @seq AND hash IS NULL`,
      )
      .run({ seq: p['seq'], kind: p['kind'], eventId: p['eventId'], eventSource: p['eventSource'], readOnly: p['readOnly'], username: p['username'], accessKeyId: p['accessKeyId'], resources: p['resources'], record: p['record'], prevHash: p['prevHash'], hash: p['hash'] });
  }

  head(): AuditRow | undefined {
    const r = this.#db.prepare(`SELECT ${LINK} FROM audit_events WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1`).get() as Record<string, unknown> | undefined;
    return r ? toAuditRow(r) : undefined;
  }

  rows(opts: { fromSeq?: number; limit?: number } = {}): AuditRow[] {
    return (this.#db.prepare(`SELECT ${LINK} FROM audit_events WHERE seq >= ? ORDER BY seq LIMIT ?`).all(opts.fromSeq ?? Number.MIN_SAFE_INTEGER, opts.limit ?? -1) as Array<Record<string, unknown>>).map(toAuditRow);
  }

  lookup(q: { attribute?: { key: LookupKey; value: string }; startTime?: string; endTime?: string; beforeSeq?: number; limit: number }): AuditRow[] {
    const where = ["kind = 'event'", 'record IS NOT NULL'];
    const args: unknown[] = [];
    if (q.attribute) {
      const { key, value } = q.attribute;
      if (key === 'ResourceType' || key === 'ResourceName') {
        where.push(`EXISTS (SELECT 1 FROM json_each(audit_events.resources) WHERE json_extract(value, '$.${key === 'ResourceType' ? 'type' : 'name'}') = ?)`);
        args.push(value);
      } else if (key === 'ReadOnly') {
        where.push('read_only = ?');
        args.push(value === 'true' ? 1 : 0);
      } else {
        where.push(`${COLUMN[key]} = ?`);
        args.push(value);
      }
    }
    if (q.startTime !== undefined) { where.push('time >= ?'); args.push(q.startTime); }
    if (q.endTime !== undefined) { where.push('time <= ?'); args.push(q.endTime); }
    if (q.beforeSeq !== undefined) { where.push('seq < ?'); args.push(q.beforeSeq); }
    const sql = `SELECT ${LINK} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`;
    return (this.#db.prepare(sql).all(...args, q.limit) as Array<Record<string, unknown>>).map(toAuditRow);
  }

  lastDigestBefore(time: string): AuditRow | undefined {
    const r = this.#db.prepare(`SELECT ${LINK} FROM audit_events WHERE kind = 'digest' AND time < ? ORDER BY seq DESC LIMIT 1`).get(time) as Record<string, unknown> | undefined;
    return r ? toAuditRow(r) : undefined;
  }

  pruneBefore(seq: number): number {
    this.#head = undefined;
    return this.#db.prepare('DELETE FROM audit_events WHERE seq < ?').run(seq).changes;
  }

  unsealed(): LegacyAuditRow[] {
    const rows = this.#db.prepare('SELECT seq, time, request_id, principal, service, operation, resource, status, error_type, detail FROM audit_events WHERE hash IS NULL ORDER BY seq').all() as Array<Record<string, unknown>>;
    return rows.map((r) => toAuditEvent(r) as LegacyAuditRow);
  }

  list(opts: { afterSeq?: number; limit?: number; resource?: string } = {}): AuditEvent[] {
    const rows = this.#db
      .prepare(
        `SELECT seq, time, request_id, principal, service, operation, resource, status, error_type, detail FROM audit_events
         WHERE kind = 'event' AND seq > ? ${opts.resource ? 'AND resource = ?' : ''} ORDER BY seq LIMIT ?`,
      )
      .all(...[opts.afterSeq ?? 0, ...(opts.resource ? [opts.resource] : []), opts.limit ?? 1000]) as Array<Record<string, unknown>>;
    return rows.map(toAuditEvent);
  }
}
