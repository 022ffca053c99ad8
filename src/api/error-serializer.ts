import type { ServiceModel } from './service-model.js';
import { LambdaError } from '../domain/errors.js';
import type { EncodedResponse } from './response-encoder.js';

/**
 * The one place errors become HTTP responses. Status and the body's message key come from the
 * model's error shape: AWS is inconsistent (ResourceNotFoundException has `Message`,
 * InvalidParameterValueException `message`), and the SDKs read whichever the model names.
 * Errors that are not LambdaErrors become ServiceException 500; their cause is logged, never sent.
 */
export class ErrorSerializer {
  readonly #model: ServiceModel;
  readonly #log: (err: unknown) => void;

  constructor(model: ServiceModel, log: (err: unknown) => void) {
    this.#model = model;
    this.#log = log;
  }

  serialize(err: unknown): EncodedResponse {
    if (!(err instanceof LambdaError)) {
      this.#log(err);
      return this.serialize(new LambdaError('ServiceException', 'An internal error occurred in Flint; the cause was logged on the server.'));
    }
    const shape = this.#model.shapes[err.type];
    const status = err.status ?? shape?.error?.httpStatusCode ?? 400;
    const body: Record<string, unknown> = {};
    const members = shape?.members ?? {};
    if ('Type' in members) body['Type'] = status >= 500 ? 'Service' : 'User';
    const key = 'Message' in members ? 'Message' : 'message';
    body[key] = err.message;
    Object.assign(body, err.fields);
    return {
      status,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': err.type, ...err.headers },
      body: JSON.stringify(body),
    };
  }
}
