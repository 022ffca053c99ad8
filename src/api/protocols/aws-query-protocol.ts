import type { ServiceModel, Operation } from '../service-model.js';
import type { AwsError } from '../../domain/errors.js';
import { QueryDecoder } from './query-decoder.js';
import { QueryXmlEncoder } from './query-xml-encoder.js';
import { INTERNAL_FAILURE } from './internal-failure.js';
import { namedOperation, type EncodedResponse, type OperationMatch, type Protocol, type ProtocolRequest } from './protocol.js';

/**
 * The front door's own error types, as the query protocol services (IAM, STS, SQS/CloudWatch for
 * older clients) name them on the wire, with their statuses: IAM and STS answer a bad signature
 * with `SignatureDoesNotMatch`, an unknown key with `InvalidClientTokenId`, a denial with
 * `AccessDenied`, a model violation with `ValidationError`, an unknown Action with `InvalidAction`.
 */
const QUERY_CODES: Record<string, { code: string; status: number }> = {
  InvalidSignatureException: { code: 'SignatureDoesNotMatch', status: 403 },
  UnrecognizedClientException: { code: 'InvalidClientTokenId', status: 403 },
  MissingAuthenticationTokenException: { code: 'MissingAuthenticationToken', status: 403 },
  IncompleteSignatureException: { code: 'IncompleteSignature', status: 400 },
  ExpiredTokenException: { code: 'ExpiredToken', status: 400 },
  AccessDeniedException: { code: 'AccessDenied', status: 403 },
  ValidationException: { code: 'ValidationError', status: 400 },
  UnknownOperationException: { code: 'InvalidAction', status: 400 },
  UnsupportedOperationException: { code: 'InvalidAction', status: 400 },
  RequestEntityTooLargeException: { code: 'RequestEntityTooLarge', status: 413 },
  [INTERNAL_FAILURE]: { code: 'InternalFailure', status: 500 },
};

/** Namespaces of query services whose JSON-era models no longer carry one. */
const NAMESPACES: Record<string, string> = { sqs: 'http://queue.amazonaws.com/doc/2012-11-05/' };

/**
 * The query protocol (IAM, STS; SQS and CloudWatch as the Debian AWS CLI 2.9 and boto3 1.26 send
 * them): `Action=<Operation>&Version=<apiVersion>&…` form parameters (or a GET query string),
 * XML responses, `<ErrorResponse>` errors.
 */
export class AwsQueryProtocol implements Protocol {
  readonly name = 'query';
  readonly #model: ServiceModel;
  readonly #decoder: QueryDecoder;
  readonly #xml: QueryXmlEncoder;

  constructor(model: ServiceModel) {
    this.#model = model;
    this.#decoder = new QueryDecoder(model);
    this.#xml = new QueryXmlEncoder(model, model.metadata.xmlNamespace ?? NAMESPACES[model.metadata.endpointPrefix] ?? `https://${model.metadata.endpointPrefix}.amazonaws.com/doc/${model.metadata.apiVersion}/`);
  }

  /** A query request carries a form body, or (GET) its parameters in the query string. */
  static applies(method: string, headers: ProtocolRequest['headers'], query: URLSearchParams): boolean {
    const type = headers['content-type'];
    return (typeof type === 'string' && type.startsWith('application/x-www-form-urlencoded')) || (method === 'GET' && query.has('Action'));
  }

  #params(req: ProtocolRequest): URLSearchParams {
    if (req.method === 'POST' && req.body.length > 0) return new URLSearchParams(req.body.toString('utf8'));
    return req.query;
  }

  match(req: ProtocolRequest): OperationMatch | undefined {
    // Query requests may also be GETs: the method does not decide here.
    return namedOperation(this.#model, this.#params(req).get('Action'));
  }

  requestedName(req: ProtocolRequest): string | undefined {
    return this.#params(req).get('Action') ?? undefined;
  }

  decode(match: OperationMatch, req: ProtocolRequest): Record<string, unknown> {
    const op = match.operation;
    return op.input ? this.#decoder.decode(op.input.shape, this.#params(req)) : {};
  }

  encode(op: Operation, output: Record<string, unknown> | undefined, requestId: string): EncodedResponse {
    return { status: 200, headers: { 'content-type': 'text/xml' }, body: this.#xml.response(op, output, requestId) };
  }

  encodeError(err: AwsError, requestId: string): EncodedResponse {
    const shape = this.#model.shapes[err.type];
    const known = QUERY_CODES[err.type];
    const code = shape?.error?.code ?? known?.code ?? err.type.replace(/Exception$/, '');
    const status = shape?.error?.httpStatusCode ?? known?.status ?? err.status ?? (shape?.fault ? 500 : 400);
    return {
      status,
      headers: { 'content-type': 'text/xml', ...err.headers },
      body: this.#xml.error(code, err.message, status < 500, requestId),
    };
  }
}
