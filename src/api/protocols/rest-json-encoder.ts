import type { Operation, ServiceModel } from '../service-model.js';
import { isAsyncIterable, type EncodedResponse } from './protocol.js';
import { jsonText } from './json-values.js';

/**
 * Places an operation's output members where the model says: statusCode, headers, a raw payload,
 * or the JSON body (rest-json protocol).
 */
export class ResponseEncoder {
  readonly #model: ServiceModel;

  constructor(model: ServiceModel) {
    this.#model = model;
  }

  encode(op: Operation, output: Record<string, unknown> | undefined): EncodedResponse {
    const headers: Record<string, string> = {};
    let status = op.http.responseCode ?? 200;
    if (!op.output || !output) return { status, headers, body: '' };
    const shape = this.#model.shapes[op.output.shape]!;
    const json: Record<string, unknown> = {};
    let payload: EncodedResponse['body'] | undefined;
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const v = output[name];
      if (v === undefined || v === null) continue;
      if (ref.location === 'statusCode') status = v as number;
      else if (ref.location === 'header') headers[(ref.locationName ?? name).toLowerCase()] = String(v);
      else if (shape.payload === name) payload = Buffer.isBuffer(v) || typeof v === 'string' || isAsyncIterable(v) ? v : jsonText(v);
      else json[name] = v;
    }
    if (payload !== undefined) return { status, headers, body: payload };
    headers['content-type'] = 'application/json';
    return { status, headers, body: jsonText(json) };
  }
}
