import type { ServiceModel, Operation } from '../service-model.js';
import type { AwsError } from '../../domain/errors.js';
import { OperationRouter } from './rest-router.js';
import { RequestDecoder } from './rest-json-decoder.js';
import { ResponseEncoder } from './rest-json-encoder.js';
import { RestJsonErrors } from './rest-json-errors.js';
import type { EncodedResponse, OperationMatch, Protocol, ProtocolRequest } from './protocol.js';

/**
 * rest-json (Lambda, X-Ray, Scheduler): the operation is method + path template (+ literal query),
 * members come from the URI, query string, headers and a JSON body, as the model places them.
 */
export class RestJsonProtocol implements Protocol {
  readonly name = 'rest-json';
  readonly #router: OperationRouter;
  readonly #decoder: RequestDecoder;
  readonly #encoder: ResponseEncoder;
  readonly #errors: RestJsonErrors;

  constructor(model: ServiceModel) {
    this.#router = new OperationRouter(model);
    this.#decoder = new RequestDecoder(model);
    this.#encoder = new ResponseEncoder(model);
    this.#errors = new RestJsonErrors(model);
  }

  match(req: ProtocolRequest): OperationMatch | undefined {
    // AWS CLI v2 2.9 and botocore 1.29 send ListFunctions as `/2015-03-31/functions/`: match without
    // the trailing slash (the signature covers the path as received).
    const p = req.rawPath;
    const routePath = p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
    return this.#router.match(req.method, routePath, req.query);
  }

  requestedName(): string | undefined {
    return undefined;
  }

  decode(match: OperationMatch, req: ProtocolRequest): Record<string, unknown> {
    return this.#decoder.decode(match.operation, match.params ?? {}, req.query, req.headers, req.body);
  }

  encode(op: Operation, output: Record<string, unknown> | undefined, _requestId?: string): EncodedResponse {
    return this.#encoder.encode(op, output);
  }

  encodeError(err: AwsError, _requestId?: string): EncodedResponse {
    return this.#errors.encode(err);
  }
}
