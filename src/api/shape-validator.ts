import type { MemberRef, ServiceModel, Shape } from './service-model.js';
import { ValidationException } from '../domain/errors.js';

/**
 * Validates a decoded input against the model's constraints and reports every violation the way
 * AWS's Coral front end does: `N validation error(s) detected: Value 'x' at 'path' failed to satisfy
 * constraint: ...`, joined by "; ", with camelCase member paths.
 */
export class ShapeValidator {
  readonly #model: ServiceModel;
  readonly #regexes = new Map<string, RegExp>();
  /** Each structure's members with their camelCase names, listed once per shape rather than per request. */
  readonly #members = new Map<Shape, Array<{ name: string; ref: MemberRef; camel: string; required: boolean }>>();

  constructor(model: ServiceModel) {
    this.#model = model;
  }

  /** Throws ValidationException listing every violation; `skip` holds member paths validated elsewhere. */
  validate(shapeName: string, value: Record<string, unknown>, skip: ReadonlySet<string> = NO_SKIPS): void {
    const errors: string[] = [];
    this.#structure(this.#model.shapes[shapeName]!, value, '', errors, skip);
    if (errors.length > 0) {
      const head = errors.length === 1 ? '1 validation error detected: ' : `${errors.length} validation errors detected: `;
      throw new ValidationException(head + errors.join('; '));
    }
  }

  #structure(shape: Shape, value: Record<string, unknown>, path: string, errors: string[], skip: ReadonlySet<string>): void {
    for (const m of this.#membersOf(shape)) {
      const memberPath = path ? `${path}.${m.camel}` : m.camel;
      const v = value[m.name];
      // A skip hands a member's constraint wording to its service, never its presence: a required
      // member that is absent is refused here (a signed `?find=LayerVersion` without Arn was a 500).
      if (v === undefined || v === null) {
        if (m.required) errors.push(`Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`);
        continue;
      }
      if (skip.size > 0 && skip.has(memberPath)) continue;
      this.#member(m.ref, v, memberPath, errors, skip);
    }
  }

  #membersOf(shape: Shape): Array<{ name: string; ref: MemberRef; camel: string; required: boolean }> {
    let list = this.#members.get(shape);
    if (!list) {
      list = Object.entries(shape.members ?? {}).map(([name, ref]) => ({ name, ref, camel: camel(name), required: shape.required?.includes(name) ?? false }));
      this.#members.set(shape, list);
    }
    return list;
  }

  #member(ref: MemberRef, v: unknown, path: string, errors: string[], skip: ReadonlySet<string>): void {
    const shape = this.#model.shapes[ref.shape]!;
    const problems = this.#constraints(shape, v);
    if (problems.length > 0) {
      // Sensitive members (environment variables, secrets) are named but never echoed, as AWS
      // words it: "Value at 'environment.variables' failed to satisfy constraint: …".
      errors.push(`${shape.sensitive ? 'Value' : `Value ${render(v)}`} at '${path}' failed to satisfy constraint: ${problems.join(', ')}`);
      return;
    }
    if (shape.type === 'structure' && isObject(v)) this.#structure(shape, v, path, errors, skip);
  }

  /** The constraint texts a single value violates (nested list/map elements folded in AWS style). */
  #constraints(shape: Shape, v: unknown): string[] {
    const out: string[] = [];
    switch (shape.type) {
      case 'string': {
        if (typeof v !== 'string') break;
        if (shape.enum && !shape.enum.includes(v)) out.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
        if (shape.max !== undefined && v.length > shape.max) out.push(`Member must have length less than or equal to ${shape.max}`);
        if (shape.min !== undefined && v.length < shape.min) out.push(`Member must have length greater than or equal to ${shape.min}`);
        if (shape.pattern !== undefined && !this.#regex(shape.pattern).test(v)) out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
        break;
      }
      case 'integer': case 'long': case 'double': case 'float': {
        if (typeof v !== 'number') break;
        if (shape.max !== undefined && v > shape.max) out.push(`Member must have value less than or equal to ${shape.max}`);
        if (shape.min !== undefined && v < shape.min) out.push(`Member must have value greater than or equal to ${shape.min}`);
        break;
      }
      case 'list': {
        if (!Array.isArray(v)) break;
        if (shape.max !== undefined && v.length > shape.max) out.push(`Member must have length less than or equal to ${shape.max}`);
        if (shape.min !== undefined && v.length < shape.min) out.push(`Member must have length greater than or equal to ${shape.min}`);
        if (out.length > 0) break;
        const inner = this.#model.shapes[shape.member!.shape]!;
        for (const item of v) {
          const p = item === null || item === undefined ? ['Member must not be null'] : this.#constraints(inner, item);
          if (p.length > 0) {
            out.push(`Member must satisfy constraint: [${[...this.#declared(inner), 'Member must not be null'].filter(uniq).join(', ')}]`);
            break;
          }
        }
        break;
      }
      case 'map': {
        if (!isObject(v)) break;
        const keyShape = this.#model.shapes[shape.key!.shape]!;
        const valShape = this.#model.shapes[shape.value!.shape]!;
        if (shape.max !== undefined && Object.keys(v).length > shape.max) out.push(`Member must have length less than or equal to ${shape.max}`);
        for (const [k, val] of Object.entries(v)) {
          const kp = this.#constraints(keyShape, k);
          if (kp.length > 0) { out.push(`Map keys must satisfy constraint: [${this.#declared(keyShape).join(', ')}]`); break; }
          const vp = val === null ? ['Member must not be null'] : this.#constraints(valShape, val);
          if (vp.length > 0) { out.push(`Map value must satisfy constraint: [${[...this.#declared(valShape), 'Member must not be null'].filter(uniq).join(', ')}]`); break; }
        }
        break;
      }
      default:
        break;
    }
    return out;
  }

  /**
   * Every constraint a shape declares. For a failing list element or map entry Coral names all of
   * them, not only the violated ones (recorded: layers, routing weights, map keys), and prints
   * Double bounds the Java way (1.0); map keys carry no "Member must not be null".
   */
  #declared(shape: Shape): string[] {
    const out: string[] = [];
    if (shape.type === 'string') {
      if (shape.enum) out.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
      if (shape.max !== undefined) out.push(`Member must have length less than or equal to ${shape.max}`);
      if (shape.min !== undefined) out.push(`Member must have length greater than or equal to ${shape.min}`);
      if (shape.pattern !== undefined) out.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
    } else if (shape.type === 'integer' || shape.type === 'long' || shape.type === 'double' || shape.type === 'float') {
      const fmt = (n: number) => (shape.type === 'double' || shape.type === 'float') && Number.isInteger(n) ? n.toFixed(1) : String(n);
      if (shape.max !== undefined) out.push(`Member must have value less than or equal to ${fmt(shape.max)}`);
      if (shape.min !== undefined) out.push(`Member must have value greater than or equal to ${fmt(shape.min)}`);
    }
    return out;
  }

  #regex(pattern: string): RegExp {
    let re = this.#regexes.get(pattern);
    if (!re) {
      try {
        re = new RegExp(`^(?:${pattern})$`, 'u');
      } catch {
        re = new RegExp(`^(?:${pattern})$`);
      }
      this.#regexes.set(pattern, re);
    }
    return re;
  }
}

const uniq = (x: string, i: number, a: string[]) => a.indexOf(x) === i;
const NO_SKIPS: ReadonlySet<string> = new Set();

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** AWS's member paths are the model names with a lower-case first letter. */
export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Renders a value as Java's toString would (Coral's messages): lists `[a, b]`, maps `{k=v}`. */
export function render(v: unknown): string {
  return v === null || v === undefined ? 'null' : `'${inner(v)}'`;
}

function inner(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(inner).join(', ')}]`;
  if (typeof v === 'object' && v !== null) {
    // Map values in Lambda's model that are numbers are Doubles (routing weights): Java prints 2.0.
    return `{${Object.entries(v).map(([k, x]) => `${k}=${typeof x === 'number' && Number.isInteger(x) ? x.toFixed(1) : inner(x)}`).join(', ')}}`;
  }
  return String(v);
}
