import { Decoder, Encoder } from 'cbor-x';
import type { ServiceModel, Operation } from '../service-model.js';
import { AwsError } from '../../domain/errors.js';
import { RequestDecoder } from './rest-json-decoder.js';
import { rpcError } from './rpc-errors.js';
import { namedOperation, type EncodedResponse, type OperationMatch, type Protocol, type ProtocolRequest } from './protocol.js';

/** Smithy RPC v2 CBOR requests and responses say so in this header. */
const PROTOCOL_HEADER = 'smithy-protocol';
const PROTOCOL_ID = 'rpc-v2-cbor';

/**
 * smithy-rpc-v2-cbor (CloudWatch as current botocore and the AWS CLI v1 send it):
 * `POST /service/<ServiceShape>/operation/<Operation>` with `smithy-protocol: rpc-v2-cbor`, a CBOR
 * body (timestamps as tag 1 epoch seconds, blobs as byte strings); errors are CBOR
 * `{__type, message}` documents.
 */
export class RpcV2CborProtocol implements Protocol {
  readonly name = 'smithy-rpc-v2-cbor';
  readonly #model: ServiceModel;
  readonly #decoder: RequestDecoder;
  readonly #cborIn = new Decoder({ mapsAsObjects: true, useRecords: false });
  readonly #cborOut = new Encoder({ useRecords: false, tagUint8Array: false });

  constructor(model: ServiceModel) {
    this.#model = model;
    this.#decoder = new RequestDecoder(model, (m) => new AwsError('SerializationException', m, { status: 400 }));
  }

  static applies(headers: ProtocolRequest['headers']): boolean {
    return headers[PROTOCOL_HEADER] === PROTOCOL_ID;
  }

  #operationName(req: ProtocolRequest): string | undefined {
    const m = /^\/service\/([^/]+)\/operation\/([^/]+)$/.exec(req.rawPath);
    return m ? m[2] : undefined;
  }

  match(req: ProtocolRequest): OperationMatch | undefined {
    return namedOperation(this.#model, this.#operationName(req), req.method);
  }

  requestedName(req: ProtocolRequest): string | undefined {
    return this.#operationName(req);
  }

  decode(match: OperationMatch, req: ProtocolRequest): Record<string, unknown> {
    const op = match.operation;
    if (!op.input || req.body.length === 0) return {};
    let doc: unknown;
    try {
      doc = this.#cborIn.decode(req.body);
    } catch (err) {
      throw new AwsError('SerializationException', `Could not parse the request body as CBOR: ${(err as Error).message}`, { status: 400 });
    }
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new AwsError('SerializationException', 'The request body must be a CBOR map.', { status: 400 });
    return this.#decoder.coerceValue(op.input.shape, doc);
  }

  encode(op: Operation, output: Record<string, unknown> | undefined, _requestId?: string): EncodedResponse {
    const headers = { [PROTOCOL_HEADER]: PROTOCOL_ID, 'content-type': 'application/cbor' };
    if (!op.output) return { status: 200, headers, body: '' };
    return { status: 200, headers, body: this.#cborOut.encode(withoutUndefined(output ?? {})) };
  }

  encodeError(err: AwsError, _requestId?: string): EncodedResponse {
    const e = rpcError(this.#model, err);
    return { status: e.status, headers: { [PROTOCOL_HEADER]: PROTOCOL_ID, 'content-type': 'application/cbor', ...e.headers }, body: this.#cborOut.encode(e.document) };
  }
}

/** CBOR has an `undefined` value; Smithy clients expect absent members instead. */
function withoutUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutUndefined);
  if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== null) out[k] = withoutUndefined(x);
    return out;
  }
  return v;
}
