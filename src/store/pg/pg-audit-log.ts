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

/** Serialises appends to the one chain across every node (head read + insert in one step). */
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('flint-audit'))`;

const HEAD = `SELECT seq, kind, record, prev_hash, hash, signature FROM audit_events WHERE hash IS NOT NULL ORDER BY seq DESC LIMIT 1`;

const LINK = 'seq, kind, record, prev_hash, hash, signature';

const COLUMN: Record<Exclude<LookupKey, 'ResourceType' | 'ResourceName' | 'ReadOnly'>, string> = {
  EventId: 'event_id',
  EventName: 'operation',
  Username: 'username',
  EventSource: 'event_source',
  AccessKeyId: 'access_key_id',
};

/**
 * The audit trail (AuditStore) on PostgreSQL, one chain for the whole cluster. `appendAfter` takes
 * a cluster-wide advisory lock, reads the head and inserts the link built on it in one
 * transaction, so the hash chain stays linear however many api nodes record calls. Synchronous
 * through PgSyncClient: the trail records from the front door's synchronous path.
 */
export class PgAuditLog implements AuditStore {
  readonly #client: PgSyncClient;

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
    this.#insert(row, index);
  }

  appendAfter(build: (head: AuditRow | undefined) => { row: AuditRow; index?: AuditRowIndex } | undefined): AuditRow | undefined {
    // One round trip for BEGIN, the lock and the head: each statement of a simple query takes its
    // own snapshot, so the head is read after the lock is held.
    let session: number | undefined;
    try {
      const r = this.#client.query(`BEGIN; ${LOCK}; ${HEAD}`);
      session = r.session;
      const head = r.rows[0] ? toAuditRow(r.rows[0]) : undefined;
      const next = build(head);
      if (next) this.#insert(next.row, next.index, session);
      this.#client.query('COMMIT', undefined, { session });
      return next?.row;
    } catch (err) {
      this.#client.rollback(session, err);
      throw err;
    }
  }

  seal(row: AuditRow, index: AuditRowIndex): void {
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

  #insert(row: AuditRow, index: AuditRowIndex | undefined, session?: number): void {
    const p = auditColumns(row, index);
    this.#client.query(
      `INSERT INTO audit_events (seq, kind, time, request_id, principal, service, operation, resource, status, error_type, detail,
         event_id, event_source, read_only, username, access_key_id, resources, record, prev_hash, hash, signature)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
      [p['seq'], p['kind'], p['time'], p['requestId'], p['principal'], p['service'], p['operation'], p['resource'], p['status'], p['errorType'], p['detail'],
        p['eventId'], p['eventSource'], p['readOnly'] === null ? null : p['readOnly'] === 1, p['username'], p['accessKeyId'], p['resources'], p['record'], p['prevHash'], p['hash'], p['signature']],
      session === undefined ? {} : { session },
    );
  }
}
