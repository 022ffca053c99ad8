import type { ServiceModel } from '../service-model.js';
import type { AwsError } from '../../domain/errors.js';
import { INTERNAL_FAILURE } from './internal-failure.js';

export interface RpcError {
  status: number;
  headers: Record<string, string>;
  /** `{ __type, message, …fields }`: the json and rpc-v2-cbor protocols' error document. */
  document: Record<string, unknown>;
}

/**
 * The error document of the RPC protocols (json 1.0/1.1 and smithy-rpc-v2-cbor): `__type` names
 * the error shape, status comes from the shape's `error.httpStatusCode` (400 when the model gives
 * none, 500 for internal failures). Services that moved from query to JSON
 * (`awsQueryCompatible`: SQS, CloudWatch) also send `x-amzn-query-error: <query code>;Sender|Receiver`,
 * which SDKs use to report the old query error codes.
 */
export function rpcError(model: ServiceModel, err: AwsError): RpcError {
  const shape = model.shapes[err.type];
  // The Coral front end answers an unknown target with 400, not the 404 a REST path gets.
  const status = err.type === 'UnknownOperationException' ? 400 : err.status ?? shape?.error?.httpStatusCode ?? (err.type === INTERNAL_FAILURE || shape?.fault ? 500 : 400);
  const headers: Record<string, string> = { 'x-amzn-errortype': err.type, ...err.headers };
  if (model.metadata.awsQueryCompatible && shape?.error?.code) {
    headers['x-amzn-query-error'] = `${shape.error.code};${status >= 500 ? 'Receiver' : 'Sender'}`;
  }
  return { status, headers, document: { __type: err.type, message: err.message, ...err.fields } };
}
