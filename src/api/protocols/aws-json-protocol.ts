import type { ServiceModel, Operation } from '../service-model.js';
import { AwsError } from '../../domain/errors.js';
import { RequestDecoder } from './rest-json-decoder.js';
import { jsonText } from './json-values.js';
import { rpcError } from './rpc-errors.js';
import { namedOperation, type EncodedResponse, type OperationMatch, type Protocol, type ProtocolRequest } from './protocol.js';

/**
 * The json 1.0/1.1 protocol (KMS, CloudWatch Logs, CloudTrail, Config, EventBridge; SQS and
 * CloudWatch in current SDKs): `POST /` with `X-Amz-Target: <targetPrefix>.<Operation>` and the
 * whole input as a JSON document; output the same way, errors as `{"__type", "message"}`.
 */
export class AwsJsonProtocol implements Protocol {
  readonly name = 'json';
  readonly #model: ServiceModel;
  readonly #decoder: RequestDecoder;
  readonly #contentType: string;
  readonly #prefixes: string[];

  constructor(model: ServiceModel) {
    this.#model = model;
    // A body that is not JSON: the json protocol's SerializationException, as AWS's Coral answers it.
    this.#decoder = new RequestDecoder(model, (m) => new AwsError('SerializationException', m, { status: 400 }));
    this.#contentType = `application/x-amz-json-${model.metadata.jsonVersion ?? '1.0'}`;
    // Current SDKs name the target by the Smithy service shape alone (`CloudTrail_20131101.LookupEvents`)
    // where botocore sends the model's full prefix (`com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.`);
    // CloudTrail's endpoint takes both.
    const prefix = model.metadata.targetPrefix ?? '';
    const short = prefix.split('.').pop()!;
    this.#prefixes = short !== prefix ? [`${prefix}.`, `${short}.`] : [`${prefix}.`];
  }

  #target(req: ProtocolRequest): string | undefined {
    const t = req.headers['x-amz-target'];
    if (typeof t !== 'string') return undefined;
    const p = this.#prefixes.find((x) => t.startsWith(x));
    return p ? t.slice(p.length) : undefined;
  }

  match(req: ProtocolRequest): OperationMatch | undefined {
    return namedOperation(this.#model, this.#target(req), req.method);
  }

  requestedName(req: ProtocolRequest): string | undefined {
    return this.#target(req) ?? (req.headers['x-amz-target'] as string | undefined);
  }

  decode(match: OperationMatch, req: ProtocolRequest): Record<string, unknown> {
    const op = match.operation;
    return op.input ? this.#decoder.decodeJsonBody(op.input.shape, req.body) : {};
  }

  encode(op: Operation, output: Record<string, unknown> | undefined, _requestId?: string): EncodedResponse {
    const headers = { 'content-type': this.#contentType };
    if (!op.output) return { status: 200, headers, body: '' };
    return { status: 200, headers, body: jsonText(output ?? {}) };
  }

  encodeError(err: AwsError, _requestId?: string): EncodedResponse {
    const e = rpcError(this.#model, err);
    return { status: e.status, headers: { 'content-type': this.#contentType, ...e.headers }, body: JSON.stringify(e.document) };
  }
}
