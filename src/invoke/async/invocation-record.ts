import type { AttemptOutcome } from '../../ports/event-queue.js';
import type { FailureCondition } from './retry-policy.js';

/**
 * The invocation record Lambda sends to an asynchronous invocation's destinations, field for field
 * as recorded from AWS (SQS destination bodies in test_lambda_destinations.snapshot.json):
 *
 *   { version: '1.0', timestamp, requestContext: { requestId, functionArn, condition,
 *     approximateInvokeCount }, requestPayload, responseContext: { statusCode, executedVersion,
 *     functionError? }, responsePayload }
 *
 * `functionArn` is the qualified ARN that was invoked (`...:function:name:$LATEST` for an
 * unqualified invoke). When the event never ran (throttled or failing on the service side until it
 * expired) Flint sends `responseContext` with the last error's status only and `responsePayload`
 * with that error's type and message — AWS does not document that case.
 */
export interface InvocationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'Success' | FailureCondition;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext?: { statusCode: number; executedVersion?: string; functionError?: string };
  responsePayload?: unknown;
}

export function invocationRecord(args: {
  requestId: string;
  functionArn: string;
  condition: 'Success' | FailureCondition;
  approximateInvokeCount: number;
  requestPayload: Buffer;
  outcome: AttemptOutcome | undefined;
  /** Epoch ms. */
  timestamp: number;
}): InvocationRecord {
  const record: InvocationRecord = {
    version: '1.0',
    timestamp: new Date(args.timestamp).toISOString(),
    requestContext: {
      requestId: args.requestId,
      functionArn: args.functionArn,
      condition: args.condition,
      approximateInvokeCount: args.approximateInvokeCount,
    },
    requestPayload: decodeJson(args.requestPayload),
  };
  const o = args.outcome;
  if (o) {
    record.responseContext = {
      statusCode: o.statusCode,
      ...(o.executedVersion !== undefined ? { executedVersion: o.executedVersion } : {}),
      ...(o.functionError !== undefined ? { functionError: o.functionError } : {}),
    };
    if (o.payloadBase64 !== undefined) record.responsePayload = decodeJson(Buffer.from(o.payloadBase64, 'base64'));
    else if (o.errorType !== undefined) record.responsePayload = { errorType: o.errorType, errorMessage: o.errorMessage ?? '' };
  }
  return record;
}

/** Payloads are JSON in Lambda; a body that is not JSON is carried as a string rather than lost. */
export function decodeJson(buf: Buffer): unknown {
  if (buf.length === 0) return null;
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
