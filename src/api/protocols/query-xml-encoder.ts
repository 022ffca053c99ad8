import { XMLBuilder } from 'fast-xml-parser';
import type { MemberRef, Operation, ServiceModel, Shape } from '../service-model.js';

/**
 * Writes query-protocol responses as AWS does:
 * `<OpResponse xmlns="…"><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>`,
 * members in model order under their `locationName`, lists wrapped in `<member>` unless flattened,
 * maps as `<entry><key/><value/></entry>`, timestamps in ISO 8601, booleans as `true`/`false`,
 * blobs in base64. The model decides the element tree; fast-xml-parser writes and escapes it.
 */
export class QueryXmlEncoder {
  readonly #model: ServiceModel;
  readonly #namespace: string;
  readonly #xml = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });

  constructor(model: ServiceModel, namespace: string) {
    this.#model = model;
    this.#namespace = namespace;
  }

  response(op: Operation, output: Record<string, unknown> | undefined, requestId: string): string {
    const root: Record<string, unknown> = { '@_xmlns': this.#namespace };
    if (op.output) {
      const result = this.#structure(this.#model.shapes[op.output.shape]!, output ?? {});
      root[op.output.resultWrapper ?? `${op.name}Result`] = result;
    }
    root['ResponseMetadata'] = { RequestId: requestId };
    return this.#xml.build({ [`${op.name}Response`]: root }) as string;
  }

  /** `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`. */
  error(code: string, message: string, sender: boolean, requestId: string): string {
    return this.#xml.build({
      ErrorResponse: {
        '@_xmlns': this.#namespace,
        Error: { Type: sender ? 'Sender' : 'Receiver', Code: code, Message: message },
        RequestId: requestId,
      },
    }) as string;
  }

  #structure(shape: Shape, value: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const v = value[name];
      if (v === undefined || v === null) continue;
      const member = this.#model.shapes[ref.shape]!;
      const element = ref.locationName ?? name;
      if (member.type === 'list' && (ref.flattened || member.flattened)) {
        out[member.member!.locationName ?? element] = (v as unknown[]).map((x) => this.#value(member.member!, x));
      } else if (member.type === 'map' && (ref.flattened || member.flattened)) {
        // A flattened map repeats the member's element per entry (SQS: <Attribute><Name/><Value/></Attribute>).
        const k = member.key!.locationName ?? 'key';
        const val = member.value!.locationName ?? 'value';
        out[element] = Object.entries(v as Record<string, unknown>).map(([key, x]) => ({ [k]: key, [val]: this.#value(member.value!, x) }));
      } else {
        out[element] = this.#value(ref, v);
      }
    }
    return out;
  }

  #value(ref: MemberRef, v: unknown): unknown {
    const shape = this.#model.shapes[ref.shape]!;
    switch (shape.type) {
      case 'structure':
        return this.#structure(shape, v as Record<string, unknown>);
      case 'list': {
        const items = (v as unknown[]).map((x) => this.#value(shape.member!, x));
        return items.length === 0 ? '' : { [shape.member!.locationName ?? 'member']: items };
      }
      case 'map': {
        const k = shape.key!.locationName ?? 'key';
        const val = shape.value!.locationName ?? 'value';
        const entries = Object.entries(v as Record<string, unknown>).map(([key, x]) => ({ [k]: key, [val]: this.#value(shape.value!, x) }));
        return entries.length === 0 ? '' : { entry: entries };
      }
      case 'timestamp': {
        const d = v instanceof Date ? v : new Date(typeof v === 'number' ? v : String(v));
        return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
      }
      case 'boolean':
        return v ? 'true' : 'false';
      case 'blob':
        return Buffer.isBuffer(v) ? v.toString('base64') : String(v);
      default:
        return String(v);
    }
  }
}
