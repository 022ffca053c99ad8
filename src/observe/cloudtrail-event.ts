import type { CloudTrailRecord, CloudTrailUserIdentity } from '../domain/cloudtrail-record.js';
import { lookupUsername } from '../domain/cloudtrail-record.js';
import type { Principal } from '../domain/principal.js';
import type { AuditEvent, ControlPlaneCall } from '../ports/audit-log.js';
import type { AuditRowIndex } from '../ports/audit-store.js';

/** CloudTrail's record format version written (the current one). */
export const EVENT_VERSION = '1.09';

/** Lambda's data events (CloudTrail data resource type AWS::Lambda::Function). */
const DATA_EVENTS = new Set(['Invoke', 'InvokeAsync', 'InvokeWithResponseStream']);
/** CloudTrail marks these read-only: they change nothing (STS reads or mints credentials). */
const READ_ONLY = /^(Get|List|Describe|Lookup|BatchGet|Search|Filter|Select|Head|Decrypt|Encrypt|GenerateDataKey|ReEncrypt|Verify|Sign|Simulate|AssumeRole|StartLiveTail)/;
/**
 * Members never written to a record, at any depth: code archives, environment variables, policy
 * documents (as before), KMS plaintext, and the secrets IAM and STS hand out or take in.
 */
const REDACT = new Set([
  'ZipFile', 'Content', 'Code', 'Environment', 'Variables', 'Payload', 'Policy', 'PolicyDocument', 'AssumeRolePolicyDocument',
  'Plaintext', 'SecretAccessKey', 'SessionToken', 'Password', 'NewPassword', 'OldPassword', 'ServicePassword', 'PrivateKey', 'SecretString', 'SecretBinary',
]);
/** CloudTrail omits large response elements; Flint does beyond this many bytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * Redacted copy: secret-bearing members become '(redacted)', binary becomes a length, at any depth.
 * Only plain data is walked: anything else (a response stream, a class instance) is named, not
 * copied, and nesting stops at a depth no AWS shape reaches.
 */
export function redact(v: unknown, depth = 0): unknown {
  if (v === null || v === undefined) return v;
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return `(binary, ${v.length} bytes)`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'function' || typeof v === 'symbol') return undefined;
  if (typeof v !== 'object') return v;
  if (depth > 32) return '(nested too deep)';
  if (Array.isArray(v)) return v.map((x) => redact(x, depth + 1));
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return `(${(v as object).constructor?.name ?? 'object'})`;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = REDACT.has(k) ? '(redacted)' : redact(x, depth + 1);
  return out;
}

export function isReadOnly(operation: string): boolean {
  return READ_ONLY.test(operation);
}

export function categoryOf(service: string, operation: string): 'Management' | 'Data' {
  return service === 'lambda' && DATA_EVENTS.has(operation) ? 'Data' : 'Management';
}

/** eventSource: the service's endpoint name (signing name + `.amazonaws.com`; CloudWatch signs as `monitoring`). */
export const eventSourceOf = (service: string) => `${service}.amazonaws.com`;

export function userIdentityOf(caller: Principal | undefined, arn: string, accessKeyId: string | undefined): CloudTrailUserIdentity {
  const accountId = caller?.accountId ?? arn.split(':')[4] ?? '';
  const key = accessKeyId ? { accessKeyId } : {};
  const issued = caller?.tokenIssuedAt !== undefined ? { attributes: { creationDate: new Date(caller.tokenIssuedAt).toISOString(), mfaAuthenticated: 'false' as const } } : undefined;
  // Rows sealed from before the chain kept only the ARN: the identity type follows from it.
  const type = caller?.type ?? (arn.includes(':user/') ? 'User' : arn.includes(':assumed-role/') ? 'AssumedRole' : 'Account');
  if (!caller && type === 'User') return { type: 'IAMUser', arn, accountId, userName: arn.split('/').pop()! };
  if (!caller && type === 'AssumedRole') return { type: 'AssumedRole', arn, accountId };
  switch (caller?.type) {
    case 'User':
      return { type: 'IAMUser', principalId: caller.userId, arn, accountId, ...key, userName: caller.userName ?? arn.split('/').pop()!, ...(issued ? { sessionContext: issued } : {}) };
    case 'AssumedRole': {
      const roleArn = caller.roleArn ?? '';
      return {
        type: 'AssumedRole',
        principalId: caller.userId,
        arn,
        accountId,
        ...key,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: caller.userId.split(':')[0]!, arn: roleArn, accountId, userName: roleArn.split('/').pop() ?? '' },
          attributes: issued?.attributes ?? { creationDate: '', mfaAuthenticated: 'false' },
        },
      };
    }
    default:
      return { type: 'Root', principalId: accountId, arn, accountId, ...key, ...(issued ? { sessionContext: issued } : {}) };
  }
}

/** The resources a call names, as CloudTrail's `resources` (ARNs) and LookupEvents' (type, name). */
export function resourcesOf(input: Record<string, unknown>, region: string, accountId: string): Array<{ type: string; ARN: string; name: string }> {
  const out: Array<{ type: string; ARN: string; name: string }> = [];
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  const add = (type: string, name: string | undefined, arnOf: (n: string) => string) => {
    if (!name) return;
    const arn = name.startsWith('arn:') ? name : arnOf(name);
    const short = !name.startsWith('arn:') ? name.split(':')[0]! : name.includes(':function:') ? name.split(':')[6]! : name.split(/[:/]/).pop()!;
    out.push({ type, ARN: arn, name: short });
  };
  const tagged = str('Resource');
  add('AWS::Lambda::Function', str('FunctionName') ?? (tagged?.includes(':function:') ? tagged : undefined), (n) => `arn:aws:lambda:${region}:${accountId}:function:${n}`);
  add('AWS::Lambda::LayerVersion', str('LayerName'), (n) => `arn:aws:lambda:${region}:${accountId}:layer:${n}`);
  add('AWS::IAM::User', str('UserName'), (n) => `arn:aws:iam::${accountId}:user/${n}`);
  add('AWS::IAM::Role', str('RoleName') ?? str('RoleArn'), (n) => `arn:aws:iam::${accountId}:role/${n}`);
  add('AWS::IAM::Group', str('GroupName'), (n) => `arn:aws:iam::${accountId}:group/${n}`);
  add('AWS::IAM::Policy', str('PolicyArn'), (n) => n);
  add('AWS::KMS::Key', str('KeyId') && !str('KeyId')!.startsWith('alias/') ? str('KeyId') : undefined, (n) => `arn:aws:kms:${region}:${accountId}:key/${n}`);
  return out;
}

export interface BuiltEvent {
  record: CloudTrailRecord;
  index: AuditRowIndex;
}

function indexOf(record: CloudTrailRecord, resources: Array<{ type: string; ARN: string; name: string }>, legacy: { principal: string; service: string; resource?: string; status: number; errorType?: string }): AuditRowIndex {
  const username = lookupUsername(record.userIdentity);
  return {
    eventTime: record.eventTime,
    eventId: record.eventID,
    eventName: record.eventName,
    eventSource: record.eventSource,
    readOnly: record.readOnly,
    ...(username ? { username } : {}),
    ...(record.userIdentity.accessKeyId ? { accessKeyId: record.userIdentity.accessKeyId } : {}),
    // ResourceName matches the name or the ARN.
    resources: resources.flatMap((r) => [{ type: r.type, name: r.name }, ...(r.ARN !== r.name ? [{ type: r.type, name: r.ARN }] : [])]),
    requestId: record.requestID,
    ...legacy,
  };
}

/** The CloudTrail record of a call the front door served. */
export function callEvent(call: ControlPlaneCall, ctx: { time: string; eventId: string; region: string; accountId: string }): BuiltEvent {
  const readOnly = isReadOnly(call.operation);
  const category = categoryOf(call.service, call.operation);
  const resources = resourcesOf(call.input, ctx.region, ctx.accountId);
  let responseElements: Record<string, unknown> | null = null;
  if (!readOnly && call.output && !call.errorType) {
    responseElements = redact(call.output) as Record<string, unknown>;
    if (JSON.stringify(responseElements).length > MAX_RESPONSE_BYTES) responseElements = { omitted: true, reason: `larger than ${MAX_RESPONSE_BYTES} bytes` };
  }
  const record: CloudTrailRecord = {
    eventVersion: EVENT_VERSION,
    userIdentity: userIdentityOf(call.caller, call.principal, call.accessKeyId),
    eventTime: ctx.time,
    eventSource: eventSourceOf(call.service),
    eventName: call.operation,
    awsRegion: ctx.region,
    sourceIPAddress: (call.sourceIp ?? '').replace(/^::ffff:/, ''),
    userAgent: call.userAgent ?? '',
    ...(call.errorType ? { errorCode: call.errorType, errorMessage: call.errorMessage ?? '' } : {}),
    requestParameters: Object.keys(call.input).length ? (redact(call.input) as Record<string, unknown>) : null,
    responseElements,
    additionalEventData: { httpStatus: call.status },
    requestID: call.requestId,
    eventID: ctx.eventId,
    readOnly,
    ...(resources.length ? { resources: resources.map((r) => ({ accountId: ctx.accountId, type: r.type, ARN: r.ARN })) } : {}),
    eventType: 'AwsApiCall',
    managementEvent: category === 'Management',
    recipientAccountId: ctx.accountId,
    eventCategory: category,
  };
  return { record, index: indexOf(record, resources, { principal: call.principal, service: call.service, ...(resources[0] ? { resource: resources[0].name } : {}), status: call.status, ...(call.errorType ? { errorType: call.errorType } : {}) }) };
}

/**
 * The record of something a service did on its own (KMS uses on a function's behalf), or of a row
 * an older Flint wrote (sealed with what it kept: no identity details, no source address).
 */
export function serviceEvent(e: AuditEvent, ctx: { eventId: string; region: string; accountId: string }): BuiltEvent {
  const service = e.service ?? 'lambda';
  const byService = !e.principal.startsWith('arn:');
  const resources = e.resource ? resourcesOf({ [service === 'kms' ? 'KeyId' : 'FunctionName']: e.resource }, ctx.region, ctx.accountId) : [];
  const readOnly = isReadOnly(e.operation);
  const record: CloudTrailRecord = {
    eventVersion: EVENT_VERSION,
    userIdentity: byService ? { type: 'AWSService', invokedBy: e.principal } : userIdentityOf(undefined, e.principal, undefined),
    eventTime: e.time,
    eventSource: eventSourceOf(service),
    eventName: e.operation,
    awsRegion: ctx.region,
    sourceIPAddress: byService ? e.principal : '',
    userAgent: byService ? e.principal : '',
    ...(e.errorType ? { errorCode: e.errorType, errorMessage: '' } : {}),
    requestParameters: e.detail ? (redact(e.detail) as Record<string, unknown>) : null,
    responseElements: null,
    additionalEventData: { httpStatus: e.status },
    requestID: e.requestId,
    eventID: ctx.eventId,
    readOnly,
    ...(resources.length ? { resources: resources.map((r) => ({ accountId: ctx.accountId, type: r.type, ARN: r.ARN })) } : {}),
    eventType: byService ? 'AwsServiceEvent' : 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ctx.accountId,
    eventCategory: 'Management',
  };
  return { record, index: indexOf(record, resources, { principal: e.principal, service, ...(e.resource ? { resource: e.resource } : {}), status: e.status, ...(e.errorType ? { errorType: e.errorType } : {}) }) };
}
