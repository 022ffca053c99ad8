import type { MemberRef, ServiceModel, Shape } from '../service-model.js';
import { camel } from '../shape-validator.js';
import { ValidationException } from '../../domain/errors.js';

/**
 * Decodes the query protocol's flat `Name.member.1.Key=…` parameters into the operation's input
 * structure, as botocore's query serializer writes them: structures as `Prefix.Member`, lists as
 * `Prefix.member.N` (flattened lists `Prefix.N`), maps as `Prefix.entry.N.key/value`, an empty
 * list as a bare `Prefix=`; scalars converted to the member's type.
 */
export class QueryDecoder {
  readonly #model: ServiceModel;

  constructor(model: ServiceModel) {
    this.#model = model;
  }

  decode(shapeName: string, params: URLSearchParams): Record<string, unknown> {
    const flat = new Map<string, string>();
    for (const [k, v] of params) if (!flat.has(k)) flat.set(k, v);
    const prefixes = new Set<string>();
    for (const k of flat.keys()) {
      for (let i = k.indexOf('.'); i >= 0; i = k.indexOf('.', i + 1)) prefixes.add(k.slice(0, i));
    }
    const has = (p: string) => flat.has(p) || prefixes.has(p);
    return this.#structure(this.#model.shapes[shapeName]!, '', flat, has, '') as Record<string, unknown>;
  }

  #structure(shape: Shape, prefix: string, flat: Map<string, string>, has: (p: string) => boolean, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const key = prefix + (ref.locationName ?? this.#flattenedItemName(ref) ?? name);
      if (!has(key)) continue;
      const v = this.#value(ref, key, flat, has, path ? `${path}.${camel(name)}` : camel(name));
      if (v !== undefined) out[name] = v;
    }
    return out;
  }

  /** A flattened list's items carry the member's name in place of the list's (`AttributeName.1`), as botocore serializes them. */
  #flattenedItemName(ref: MemberRef): string | undefined {
    const shape = this.#model.shapes[ref.shape];
    return shape?.type === 'list' && (ref.flattened || shape.flattened) ? shape.member?.locationName : undefined;
  }

  #value(ref: MemberRef, key: string, flat: Map<string, string>, has: (p: string) => boolean, path: string): unknown {
    const shape = this.#model.shapes[ref.shape]!;
    switch (shape.type) {
      case 'structure':
        return this.#structure(shape, `${key}.`, flat, has, path);
      case 'list': {
        if (flat.get(key) === '') return [];
        const flattened = ref.flattened || shape.flattened;
        const item = flattened ? key : `${key}.${shape.member!.locationName ?? 'member'}`;
        const out: unknown[] = [];
        for (let i = 1; has(`${item}.${i}`); i++) out.push(this.#value(shape.member!, `${item}.${i}`, flat, has, `${path}.${i}.member`));
        return out;
      }
      case 'map': {
        const entry = ref.flattened || shape.flattened ? key : `${key}.entry`;
        const kName = shape.key!.locationName ?? 'key';
        const vName = shape.value!.locationName ?? 'value';
        const out: Record<string, unknown> = {};
        for (let i = 1; has(`${entry}.${i}`); i++) {
          const k = flat.get(`${entry}.${i}.${kName}`);
          if (k !== undefined) out[k] = this.#value(shape.value!, `${entry}.${i}.${vName}`, flat, has, path);
        }
        return out;
      }
      default: {
        const raw = flat.get(key);
        return raw === undefined ? undefined : scalar(shape, raw, path);
      }
    }
  }
}

function scalar(shape: Shape, raw: string, path: string): unknown {
  const invalid = (what: string): never => {
    throw new ValidationException(`1 validation error detected: Value '${raw}' at '${path}' failed to satisfy constraint: Member must be ${what}`);
  };
  switch (shape.type) {
    case 'integer':
    case 'long':
      if (!/^-?\d+$/.test(raw)) invalid('a number');
      return Number(raw);
    case 'double':
    case 'float': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) invalid('a number');
      return n;
    }
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') invalid('a boolean');
      return raw === 'true';
    case 'timestamp': {
      const t = /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : Date.parse(raw);
      if (Number.isNaN(t)) invalid('a timestamp');
      return new Date(t);
    }
    case 'blob':
      return Buffer.from(raw, 'base64');
    default:
      return raw;
  }
}
