import type { BodyLimits } from '../aws-service.js';
import { RequestEntityTooLargeException, RequestTooLargeException, type AwsError } from '../../domain/errors.js';

function codeTooLarge(op: string, n: number): AwsError {
  return new RequestEntityTooLargeException(`Request must be smaller than ${n} bytes for the ${op} operation`);
}

/**
 * Lambda's request-size ceilings, as AWS enforces them before the operation runs.
 * CreateFunction and friends: 70,167,211 bytes (the 50 MB zip, base64-encoded, plus JSON).
 * Invoke: 6 MB synchronous payload; InvokeAsync: 256 KB.
 */
export const LAMBDA_BODY_LIMITS: BodyLimits = {
  CreateFunction: { bytes: 70_167_211, error: codeTooLarge },
  UpdateFunctionCode: { bytes: 70_167_211, error: codeTooLarge },
  PublishLayerVersion: { bytes: 70_167_211, error: codeTooLarge },
  Invoke: { bytes: 6_291_456, error: (_op, n) => new RequestTooLargeException(`Request must be smaller than ${n} bytes for the InvokeFunction operation`) },
  // InvokeWithResponseStream takes the same 6 MB request payload as Invoke (only the response may be larger).
  InvokeWithResponseStream: { bytes: 6_291_456, error: (_op, n) => new RequestTooLargeException(`Request must be smaller than ${n} bytes for the InvokeFunction operation`) },
  InvokeAsync: { bytes: 262_144, error: (_op, n) => new RequestTooLargeException(`Request must be smaller than ${n} bytes for the InvokeFunction operation`) },
};
