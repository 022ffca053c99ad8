import type { IncomingHttpHeaders } from 'node:http';
import type { MemberRef, Operation, ServiceModel, Shape } from '../service-model.js';
import { camel } from '../shape-validator.js';
import { AwsError, InvalidRequestContentException, ValidationException } from '../../domain/errors.js';
import { timestampInput } from './json-values.js';

/** How a body that is not the JSON the model wants is refused: Lambda's InvalidRequestContentException, the json protocol's SerializationException. */
export type BodyError = (message: string) => AwsError;
const lambdaBodyError: BodyError = (m) => new InvalidRequestContentException(m);

/**
 * Turns an HTTP request into the operation's input object, member by member, from where the
 * model puts each one (uri, querystring, header, payload or JSON body) — the rest-json protocol.
 */
export class RequestDecoder {
  readonly #model: ServiceModel;
  readonly #bodyError: BodyError;
  /** Each input shape's members as entries, listed once (the model does not change). */
  readonly #members = new Map<string, Array<[string, MemberRef]>>();

  constructor(model: ServiceModel, bodyError: BodyError = lambdaBodyError) {
    this.#model = model;
    this.#bodyError = bodyError;
  }

  /** The json protocols: the whole body is the input structure (an empty body is an empty input). */
  decodeJsonBody(shapeName: string, body: Buffer): Record<string, unknown> {
    if (body.length === 0) return {};
    const doc = this.#parseJson(body);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw this.#bodyError('Start of structure or map found where not expected.');
    return this.#coerce(shapeName, doc, '') as Record<string, unknown>;
  }

  /** Checks an already-parsed value (CBOR) against the model. */
  coerceValue(shapeName: string, value: unknown): Record<string, unknown> {
    return (this.#coerce(shapeName, value, '') ?? {}) as Record<string, unknown>;
  }

  #parseJson(body: Buffer): unknown {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw this.#bodyError(`Could not parse request body into json: ${(err as Error).message}`);
    }
  }

  #entries(shapeName: string, shape: Shape): Array<[string, MemberRef]> {
    let e = this.#members.get(shapeName);
    if (!e) this.#members.set(shapeName, (e = Object.entries(shape.members ?? {})));
    return e;
  }

  decode(
    op: Operation,
    params: Record<string, string>,
    query: URLSearchParams,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Record<string, unknown> {
    const input: Record<string, unknown> = {};
    if (!op.input) return input;
    const shape = this.#model.shapes[op.input.shape]!;
    const members = this.#entries(op.input.shape, shape);
    let bodyMembers = false;
    for (const [name, ref] of members) {
      const target = this.#model.shapes[ref.shape]!;
      const wireName = ref.locationName ?? name;
      switch (ref.location) {
        case 'uri':
          if (params[wireName] !== undefined) input[name] = params[wireName];
          break;
        case 'querystring': {
          const values = query.getAll(wireName);
          if (values.length === 0) break;
          input[name] = target.type === 'list' ? values : scalar(target, values[0]!, camel(name));
          break;
        }
        case 'header': {
          const raw = headers[wireName.toLowerCase()];
          const v = Array.isArray(raw) ? raw.join(',') : raw;
          if (v !== undefined) input[name] = scalar(target, v, camel(name));
          break;
        }
        case 'headers':
        case 'statusCode':
          break;
        default:
          if (shape.payload === name) {
            input[name] = target.type === 'blob' ? body : this.#parseJson(body);
          } else {
            bodyMembers = true;
          }
      }
    }
    if (bodyMembers && body.length > 0) {
      const doc = this.#parseJson(body);
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
        throw this.#bodyError('Could not parse request body into json: the body must be a JSON object');
      }
      for (const [name, ref] of members) {
        if (ref.location || shape.payload === name) continue;
        const v = (doc as Record<string, unknown>)[name];
        if (v !== undefined) input[name] = this.#coerce(ref.shape, v, camel(name));
      }
    }
    return input;
  }

  /** Checks JSON types against the model, decoding base64 blobs. */
  #coerce(shapeName: string, v: unknown, path: string): unknown {
    if (v === null) return undefined;
    const shape = this.#model.shapes[shapeName]!;
    const fail = (want: string): never => {
      throw this.#bodyError(
        `Could not parse request body into json: Cannot deserialize value of type \`${want}\` from ${describe(v)} at '${path}'`,
      );
    };
    switch (shape.type) {
      case 'string':
        if (typeof v !== 'string') fail('java.lang.String');
        return v;
      case 'integer': case 'long':
        if (typeof v !== 'number' || !Number.isInteger(v)) fail(shape.type === 'long' ? 'java.lang.Long' : 'java.lang.Integer');
        return v;
      case 'double': case 'float':
        if (typeof v !== 'number') fail('java.lang.Double');
        return v;
      case 'boolean':
        if (typeof v !== 'boolean') fail('java.lang.Boolean');
        return v;
      case 'blob':
        if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v as Uint8Array);
        if (typeof v !== 'string') fail('java.nio.ByteBuffer');
        return Buffer.from(v as string, 'base64');
      case 'timestamp': {
        const d = timestampInput(v);
        if (!d) fail('java.util.Date');
        return d;
      }
      case 'list':
        if (!Array.isArray(v)) fail('java.util.ArrayList');
        return (v as unknown[]).map((x, i) => (x === null ? null : this.#coerce(shape.member!.shape, x, `${path}.${i + 1}.member`)));
      case 'map': {
        if (typeof v !== 'object' || Array.isArray(v)) fail('java.util.HashMap');
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v as object)) out[k] = x === null ? null : this.#coerce(shape.value!.shape, x, path);
        return out;
      }
      case 'structure': {
        if (typeof v !== 'object' || Array.isArray(v)) fail('structure');
        const out: Record<string, unknown> = {};
        for (const [name, ref] of Object.entries(shape.members ?? {})) {
          const x = (v as Record<string, unknown>)[name];
          if (x !== undefined) out[name] = this.#coerce(ref.shape, x, path ? `${path}.${camel(name)}` : camel(name));
        }
        return out;
      }
    }
    return v;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `String value ('${v}')`;
  if (Array.isArray(v)) return 'Array value';
  if (typeof v === 'object') return 'Object value';
  return `${typeof v} value (${String(v)})`;
}


/** Query strings and headers carry text; convert to the member's type or fail like AWS. */
function scalar(shape: Shape, raw: string, path: string): unknown {
  switch (shape.type) {
    case 'integer': case 'long': {
      if (!/^-?\d+$/.test(raw)) throw new ValidationException(`1 validation error detected: Value '${raw}' at '${path}' failed to satisfy constraint: Member must be a number`);
      return Number(raw);
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new ValidationException(`1 validation error detected: Value '${raw}' at '${path}' failed to satisfy constraint: Member must be a boolean`);
      return raw === 'true';
    default:
      return raw;
  }
}
