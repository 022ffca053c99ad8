import type Database from 'better-sqlite3';
import type { AuditEvent, AuditLog } from '../ports/audit-log.js';

/** Append-only audit trail in the `audit_events` table. */
export class SqliteAuditLog implements AuditLog {
  readonly #insert: Database.Statement;
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO audit_events (time, request_id, principal, service, operation, resource, status, error_type, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  record(e: AuditEvent): void {
    this.#insert.run(e.time, e.requestId, e.principal, e.service ?? null, e.operation, e.resource ?? null, e.status, e.errorType ?? null, e.detail ? JSON.stringify(e.detail) : null);
  }

  list(opts: { afterSeq?: number; limit?: number; resource?: string } = {}): AuditEvent[] {
    const rows = this.#db
      .prepare(
        `SELECT seq, time, request_id, principal, service, operation, resource, status, error_type, detail FROM audit_events
         WHERE seq > ? ${opts.resource ? 'AND resource = ?' : ''} ORDER BY seq LIMIT ?`,
      )
      .all(...[opts.afterSeq ?? 0, ...(opts.resource ? [opts.resource] : []), opts.limit ?? 1000]) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      seq: r['seq'] as number,
      time: r['time'] as string,
      requestId: r['request_id'] as string,
      principal: r['principal'] as string,
      ...(r['service'] ? { service: r['service'] as string } : {}),
      operation: r['operation'] as string,
      ...(r['resource'] ? { resource: r['resource'] as string } : {}),
      status: r['status'] as number,
      ...(r['error_type'] ? { errorType: r['error_type'] as string } : {}),
      ...(r['detail'] ? { detail: JSON.parse(r['detail'] as string) as Record<string, unknown> } : {}),
    }));
  }
}
