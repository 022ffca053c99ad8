import type { Principal } from '../domain/principal.js';

/** One control-plane call, as the audit trail keeps it (CloudTrail's management events, reduced). */
export interface AuditEvent {
  seq?: number;
  /** ISO-8601 time of the call. */
  time: string;
  requestId: string;
  /** ARN of the caller. */
  principal: string;
  /** The service's signing name; absent on events recorded before Flint served more than Lambda. */
  service?: string;
  operation: string;
  /** The function or layer the call addressed, when it named one. */
  resource?: string;
  status: number;
  errorType?: string;
  /** Request parameters with code blobs and environment values redacted. */
  detail?: Record<string, unknown>;
}

export interface AuditLog {
  record(event: AuditEvent): void;
  /** Newest last; `afterSeq` pages forward. */
  list(opts?: { afterSeq?: number; limit?: number; resource?: string }): AuditEvent[];
}

/** A finished control-plane call, as the front door reports it to the audit trail. */
export interface ControlPlaneCall {
  requestId: string;
  /** The service's signing name (`lambda`, `iam`, `sts`, …). */
  service: string;
  operation: string;
  principal: string;
  input: Record<string, unknown>;
  status: number;
  errorType?: string;
  /** The error's message, as the client received it (CloudTrail's errorMessage). */
  errorMessage?: string;
  /** aws:SourceIp of the request (CloudTrail's sourceIPAddress). */
  sourceIp?: string;
  /** The client's User-Agent header. */
  userAgent?: string;
  /** The signing key; with the principal it makes CloudTrail's userIdentity. */
  accessKeyId?: string;
  /** The verified caller in full (type, user id, role session) for userIdentity. */
  caller?: Principal;
  /** The operation's output (successful calls), for CloudTrail's responseElements. */
  output?: Record<string, unknown>;
}
