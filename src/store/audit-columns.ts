import type { AuditEvent } from '../ports/audit-log.js';
import type { AuditRow, AuditRowIndex } from '../ports/audit-store.js';

/**
 * The columns of an audit_events row, shared by the SQLite and PostgreSQL audit stores: the hashed
 * link itself plus copies of what LookupEvents and the old AuditLog.list filter on.
 */
export function auditColumns(row: AuditRow, index?: AuditRowIndex): Record<string, unknown> {
  const digestTime = row.kind === 'digest' ? (JSON.parse(row.record) as { digestEndTime?: string }).digestEndTime : undefined;
  return {
    seq: row.seq,
    kind: row.kind,
    time: index?.eventTime ?? digestTime ?? new Date(0).toISOString(),
    requestId: index?.requestId ?? '',
    principal: index?.principal ?? 'flint',
    service: index?.service ?? null,
    operation: index?.eventName ?? 'Digest',
    resource: index?.resource ?? null,
    status: index?.status ?? 0,
    errorType: index?.errorType ?? null,
    detail: row.kind === 'event' ? JSON.stringify((JSON.parse(row.record) as { requestParameters?: unknown }).requestParameters ?? null) : null,
    eventId: index?.eventId ?? null,
    eventSource: index?.eventSource ?? null,
    readOnly: index ? (index.readOnly ? 1 : 0) : null,
    username: index?.username ?? null,
    accessKeyId: index?.accessKeyId ?? null,
    resources: index ? JSON.stringify(index.resources) : null,
    record: row.record,
    prevHash: row.prevHash,
    hash: row.hash,
    signature: row.signature ?? null,
  };
}

/** A stored link (columns seq, kind, record, prev_hash, hash, signature) as the port returns it. */
export function toAuditRow(r: Record<string, unknown>): AuditRow {
  return {
    seq: Number(r['seq']),
    kind: r['kind'] === 'digest' ? 'digest' : 'event',
    record: (r['record'] as string | null) ?? '',
    prevHash: (r['prev_hash'] as string | null) ?? '',
    hash: (r['hash'] as string | null) ?? '',
    ...(r['signature'] ? { signature: r['signature'] as string } : {}),
  };
}

/** A stored event row as the pre-CloudTrail AuditLog listed it. */
export function toAuditEvent(r: Record<string, unknown>): AuditEvent {
  const detail = r['detail'] ? (JSON.parse(r['detail'] as string) as Record<string, unknown> | null) : null;
  return {
    seq: Number(r['seq']),
    time: r['time'] as string,
    requestId: r['request_id'] as string,
    principal: r['principal'] as string,
    ...(r['service'] ? { service: r['service'] as string } : {}),
    operation: r['operation'] as string,
    ...(r['resource'] ? { resource: r['resource'] as string } : {}),
    status: r['status'] as number,
    ...(r['error_type'] ? { errorType: r['error_type'] as string } : {}),
    ...(detail ? { detail } : {}),
  };
}
