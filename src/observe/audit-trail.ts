import type { AuditLog, ControlPlaneCall } from '../ports/audit-log.js';
import type { Clock } from '../ports/clock.js';

/** Calls that only read are not audited (CloudTrail's "read-only" management events are opt-in). */
const READ_ONLY = /^(Get|List)/;
/** Invoke is data plane, not a control-plane change. */
const DATA_PLANE = new Set(['Invoke', 'InvokeAsync', 'InvokeWithResponseStream']);
/** STS calls that read or mint credentials change no configuration. */
const NOT_A_CHANGE = new Set(['GetCallerIdentity', 'GetSessionToken', 'AssumeRole', 'GetAccessKeyInfo']);
/** Members never written to the trail: code archives and secret-bearing values. */
const REDACT = new Set(['ZipFile', 'Content', 'Code', 'Environment', 'Payload', 'Policy', 'PolicyDocument', 'AssumeRolePolicyDocument']);

/**
 * Turns every control-plane change (successful or refused) into an audit event, and every
 * authorization denial of any call, reads and invokes included: CloudTrail records AccessDenied
 * errorCodes for read-only and data events too, and a denial is what an auditor looks for.
 */
export class AuditTrail {
  readonly #log: AuditLog;
  readonly #clock: Clock;

  constructor(log: AuditLog, clock: Clock) {
    this.#log = log;
    this.#clock = clock;
  }

  onCall(call: ControlPlaneCall): void {
    const denied = call.errorType === 'AccessDeniedException';
    if (!denied && (READ_ONLY.test(call.operation) || DATA_PLANE.has(call.operation) || NOT_A_CHANGE.has(call.operation))) return;
    const detail: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(call.input)) {
      if (REDACT.has(k)) detail[k] = '(redacted)';
      else if (!Buffer.isBuffer(v)) detail[k] = v;
    }
    const resource = (call.input['FunctionName'] ?? call.input['LayerName'] ?? call.input['Resource'] ?? call.input['UserName'] ?? call.input['RoleName'] ?? call.input['RoleArn'] ?? call.input['GroupName'] ?? call.input['PolicyArn']) as string | undefined;
    this.#log.record({
      time: new Date(this.#clock.now()).toISOString(),
      requestId: call.requestId,
      principal: call.principal,
      service: call.service,
      operation: call.operation,
      ...(resource ? { resource } : {}),
      status: call.status,
      ...(call.errorType ? { errorType: call.errorType } : {}),
      detail,
    });
  }
}
