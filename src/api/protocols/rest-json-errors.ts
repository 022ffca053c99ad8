import type { ServiceModel } from '../service-model.js';
import type { AwsError } from '../../domain/errors.js';
import type { EncodedResponse } from './protocol.js';
import { INTERNAL_FAILURE } from './internal-failure.js';

/**
 * rest-json errors. Status and the body's message key come from the model's error shape: AWS is
 * inconsistent (Lambda's ResourceNotFoundException has `Message`, InvalidParameterValueException
 * `message`), and the SDKs read whichever the model names. The type travels in
 * `x-amzn-ErrorType`, as Lambda sends it.
 */
export class RestJsonErrors {
  readonly #model: ServiceModel;
  /** The model's own name for an internal failure (Lambda: ServiceException), if it has one. */
  readonly #internal: string;

  constructor(model: ServiceModel) {
    this.#model = model;
    this.#internal = model.shapes['ServiceException'] ? 'ServiceException' : model.shapes['InternalServerException'] ? 'InternalServerException' : 'InternalFailure';
  }

  encode(err: AwsError): EncodedResponse {
    const type = err.type === INTERNAL_FAILURE ? this.#internal : err.type;
    const shape = this.#model.shapes[type];
    const status = err.status ?? shape?.error?.httpStatusCode ?? 400;
    const body: Record<string, unknown> = {};
    const members = shape?.members ?? {};
    if ('Type' in members) body['Type'] = status >= 500 ? 'Service' : 'User';
    const key = 'Message' in members ? 'Message' : 'message';
    body[key] = err.message;
    Object.assign(body, err.fields);
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': type, ...err.headers },
      body: JSON.stringify(body),
    };
  }
}
