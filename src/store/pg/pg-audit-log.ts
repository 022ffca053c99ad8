import type { AuditEvent } from '../../ports/audit-log.js';
import type { AuditRow, AuditRowIndex, AuditStore, LegacyAuditRow, LookupKey } from '../../ports/audit-store.js';
import { auditColumns, toAuditEvent, toAuditRow } from '../audit-columns.js';
import { applySchema } from './pg-schema.js';
import { PgSyncClient } from './pg-sync-client.js';

/**
 * SQLite's audit_events columns (src/store/migrations.ts, ids 3, 6, 12). `time` is ISO-8601 text
 * compared as bytes (COLLATE "C"), as SQLite compares it, whatever the database's locale.
 * `resources` is jsonb: LookupEvents' ResourceType/ResourceName filter inside it.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS audit_events (
    seq bigint PRIMARY KEY,
    kind text NOT NULL DEFAULT 'event',
    time text COLLATE "C" NOT NULL,
    request_id text NOT NULL,
    principal text NOT NULL,
    service text,
    operation text NOT NULL,
    resource text,
    status integer NOT NULL,
    error_type text,
    detail text,
    event_id text,
    event_source text,
    read_only boolean,
    username text,
    access_key_id text,
    resources jsonb,
    record text,
    prev_hash text,
    hash text,
    signature text
  );
  CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (time);
  CREATE INDEX IF NOT EXISTS audit_events_operation ON audit_events (operation)`;

const HEAD = `SELECT seq, kind, record, prev_hash, hash, signature FROM audit_events WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1`;

const LINK = 'seq, kind, record, prev_hash, hash, signature';

/** Retries of one append that lost the race for its seq (each loss means another node appended). */
const MAX_LINK_ATTEMPTS = 100;

const COLUMN: Record<Exclude<LookupKey, 'ResourceType' | 'ResourceName' | 'ReadOnly'>, string> = {
  EventId: 'event_id',
  EventName: 'operation',
  Username: 'username',
  EventSource: 'event_source',
  AccessKeyId: 'access_key_id',
};

/**
 * The audit trail (AuditStore) on PostgreSQL, one chain for the whole cluster, linked
 * optimistically: `appendAfter` builds on the head this node knows and inserts it; the primary
 * key on seq admits one link per seq, so when another node appended first the insert fails
 * (23505) and the link is rebuilt on the new head. A link that went in names the hash of the row
 * just before its seq (rows are never rewritten), so the chain stays linear however many api nodes
 * record calls — at one round trip per audited call while uncontended, where a lock would take
 * three (BEGIN + lock + head, INSERT, COMMIT). Synchronous through PgSyncClient: the trail records
 * from the front door's synchronous path.
 */
export class PgAuditLog implements AuditStore {
  readonly #client: PgSyncClient;
  /** The head as this node last wrote or read it; possibly stale (see appendAfter). */
  #head: { row: AuditRow | undefined } | undefined;

  constructor(url: string, opts: { timeoutMs?: number } = {}) {
    this.#client = new PgSyncClient(url, { ...opts, applicationName: 'flint-audit' });
    try {
      applySchema(this.#client, SCHEMA);
    } catch (err) {
      this.#client.close(); // no worker thread left behind by a store that never opened
      throw err;
    }
  }

  append(row: AuditRow, index?: AuditRowIndex): void {
    this.#head = undefined;
    this.#insert(row, index);
  }

  appendAfter(build: (head: AuditRow | undefined) => { row: AuditRow; index?: AuditRowIndex } | undefined): AuditRow | undefined {
    for (let attempt = 1; ; attempt++) {
      const head = this.#head ? this.#head.row : this.head();
      const next = build(head);
      if (!next) return undefined;
      try {
        this.#insert(next.row, next.index);
        this.#head = { row: next.row };
        return next.row;
      } catch (err) {
        // Another node took this seq: our head was stale. Read the new one and link again.
        const e = err as { code?: string; constraint?: string };
        if (e.code !== '23505' || e.constraint !== 'audit_events_pkey' || attempt >= MAX_LINK_ATTEMPTS) throw err;
        this.#head = undefined;
      }
    }
  }

  seal(row: AuditRow, index: AuditRowIndex): void {
    this.#head = undefined;
    const p = auditColumns(row, index);
    this.#client.query(
      `UPDATE audit_events SET kind = $2, event_id = $3, event_source = $4, read_only = $5, username = $6, access_key_id = $7, resources = $8,
         record = $9, prev_hash = $10, hash = $11 WHERE seq = $1 AND hash IS NULL`,
      [p['seq'], p['kind'], p['eventId'], p['eventSource'], p['readOnly'] === null ? null : p['readOnly'] === 1, p['username'], p['accessKeyId'], p['resources'], p['record'], p['prevHash'], p['hash']],
    );
  }

  head(): AuditRow | undefined {
    const r = this.#client.query(HEAD).rows[0];
    return r ? toAuditRow(r) : undefined;
  }

  rows(opts: { fromSeq?: number; limit?: number } = {}): AuditRow[] {
    return this.#client.query(`SELECT ${LINK} FROM audit_events WHERE seq >= $1 ORDER BY seq LIMIT $2`, [opts.fromSeq ?? Number.MIN_SAFE_INTEGER, opts.limit ?? null]).rows.map(toAuditRow);
  }

  lookup(q: { attribute?: { key: LookupKey; value: string }; startTime?: string; endTime?: string; beforeSeq?: number; limit: number }): AuditRow[] {
    const where = ["kind = 'event'", 'record IS NOT NULL'];
    const args: unknown[] = [];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (q.attribute) {
      const { key, value } = q.attribute;
      if (key === 'ResourceType' || key === 'ResourceName') {
        where.push(`EXISTS (SELECT 1 FROM jsonb_array_elements(resources) e WHERE e->>'${key === 'ResourceType' ? 'type' : 'name'}' = ${arg(value)})`);
      } else if (key === 'ReadOnly') {
        where.push(`read_only = ${arg(value === 'true')}`);
      } else {
        where.push(`${COLUMN[key]} = ${arg(value)}`);
      }
    }
    if (q.startTime !== undefined) where.push(`time >= ${arg(q.startTime)}`);
    if (q.endTime !== undefined) where.push(`time <= ${arg(q.endTime)}`);
    if (q.beforeSeq !== undefined) where.push(`seq < ${arg(q.beforeSeq)}`);
    const sql = `SELECT ${LINK} FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${arg(q.limit)}`;
    return this.#client.query(sql, args).rows.map(toAuditRow);
  }

  lastDigestBefore(time: string): AuditRow | undefined {
    const r = this.#client.query(`SELECT ${LINK} FROM audit_events WHERE kind = 'digest' AND time < $1 ORDER BY seq DESC LIMIT 1`, [time]).rows[0];
    return r ? toAuditRow(r) : undefined;
  }

  pruneBefore(seq: number): number {
    this.#head = undefined;
    return this.#client.query('DELETE FROM audit_events WHERE seq < $1', [seq]).rowCount;
  }

  /** Always empty on a new PG database (the chain predates cluster mode); kept for the port. */
  unsealed(): LegacyAuditRow[] {
    return this.#client.query('SELECT seq, time, request_id, principal, service, operation, resource, status, error_type, detail FROM audit_events WHERE hash IS NULL ORDER BY seq').rows.map((r) => toAuditEvent(r) as LegacyAuditRow);
  }

  list(opts: { afterSeq?: number; limit?: number; resource?: string } = {}): AuditEvent[] {
    const args: unknown[] = [opts.afterSeq ?? 0, opts.limit ?? 1000];
    if (opts.resource) args.push(opts.resource);
    const sql = `SELECT seq, time, request_id, principal, service, operation, resource, status, error_type, detail FROM audit_events
      WHERE kind = 'event' AND seq > $1 ${opts.resource ? 'AND resource = $3' : ''} ORDER BY seq LIMIT $2`;
    return this.#client.query(sql, args).rows.map(toAuditEvent);
  }

  close(): void {
    this.#client.close();
  }

  #insert(row: AuditRow, index: AuditRowIndex | undefined): void {
    const p = auditColumns(row, index);
    this.#client.query(
      `INSERT INTO audit_events (seq, kind, time, request_id, principal, service, operation, resource, status, error_type, detail,
         event_id, event_source, read_only, username, access_key_id, resources, record, prev_hash, hash, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
      [p['seq'], p['kind'], p['time'], p['requestId'], p['principal'], p['service'], p['operation'], p['resource'], p['status'], p['errorType'], p['detail'],
        p['eventId'], p['eventSource'], p['readOnly'] === null ? null : p['readOnly'] === 1, p['username'], p['accessKeyId'], p['resources'], p['record'], p['prevHash'], p['hash'], p['signature']],
    );
  }
}
