import { TemplateError } from './template-error.js';

/** `Ref: AWS::NoValue`: the property (or list item) it stands for is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** What intrinsic functions read: parameter values, pseudo parameters, conditions and resources. */
export interface IntrinsicScope {
  /** Parameter values after overrides and defaults (CommaDelimitedList as arrays). */
  parameters: Record<string, string | string[]>;
  pseudo: { region: string; accountId: string; stackName: string; partition: string };
  /** Condition definitions of the template (evaluated on demand, once each). */
  conditions: Record<string, unknown>;
  mappings: Record<string, Record<string, Record<string, unknown>>>;
  /** `Ref` of a resource: its physical id (function name, role name, layer version ARN, …). */
  ref(logicalId: string): string | undefined;
  /** `Fn::GetAtt`: a resource attribute (Arn, …), undefined when the resource or attribute is unknown. */
  getAtt(logicalId: string, attribute: string): unknown;
}

/**
 * CloudFormation's intrinsic functions over parsed template data: Ref, Fn::GetAtt, Fn::Sub,
 * Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::FindInMap,
 * Fn::Base64, Fn::GetAZs, Fn::ToJsonString and Condition references, with AWS::NoValue removing
 * what it stands for. Each failure is a TemplateError naming the property path.
 */
export class IntrinsicResolver {
  readonly #scope: IntrinsicScope;
  readonly #conditionValues = new Map<string, boolean>();
  readonly #evaluating = new Set<string>();

  constructor(scope: IntrinsicScope) {
    this.#scope = scope;
  }

  /** Resolves every intrinsic in `value`; `path` names it in errors (e.g. `Resources.Fn.Properties`). */
  resolve(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value.map((v, i) => this.resolve(v, `${path}[${i}]`)).filter((v) => v !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') return value;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return this.#call(keys[0]!, obj[keys[0]!], `${path}.${keys[0]}`);
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const v = this.resolve(obj[k], `${path}.${k}`);
      if (v !== NO_VALUE) out[k] = v;
    }
    return out;
  }

  /** A named condition's value (Conditions section). */
  condition(name: string, path = `Conditions.${name}`): boolean {
    const known = this.#conditionValues.get(name);
    if (known !== undefined) return known;
    if (!(name in this.#scope.conditions)) throw new TemplateError(`${path}: unknown condition ${name}`);
    if (this.#evaluating.has(name)) throw new TemplateError(`${path}: condition ${name} refers to itself`);
    this.#evaluating.add(name);
    const v = this.#boolean(this.#scope.conditions[name], `Conditions.${name}`);
    this.#evaluating.delete(name);
    this.#conditionValues.set(name, v);
    return v;
  }

  #boolean(value: unknown, path: string): boolean {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const [k] = Object.keys(value);
      const arg = (value as Record<string, unknown>)[k!];
      if (k === 'Condition') return this.condition(this.#string(arg, path), path);
      if (k === 'Fn::Equals') {
        const [a, b] = this.#args(arg, 2, path, k);
        return String(this.resolve(a, path)) === String(this.resolve(b, path));
      }
      if (k === 'Fn::Not') return !this.#boolean(this.#args(arg, 1, path, k)[0], path);
      if (k === 'Fn::And') return this.#list(arg, path, k).every((c) => this.#boolean(c, path));
      if (k === 'Fn::Or') return this.#list(arg, path, k).some((c) => this.#boolean(c, path));
    }
    const v = this.resolve(value, path);
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    throw new TemplateError(`${path}: a condition must be Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition`);
  }

  #call(fn: string, arg: unknown, path: string): unknown {
    switch (fn) {
      case 'Ref': return this.#ref(this.#string(arg, path), path);
      case 'Fn::GetAtt': {
        const parts = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : this.#args(arg, 2, path, fn).map((a) => this.#string(this.resolve(a, path), path));
        const [id, attr] = parts as [string, string];
        const v = this.#scope.getAtt(id, attr);
        if (v === undefined) throw new TemplateError(`${path}: Fn::GetAtt ${id}.${attr}: no such resource or attribute`);
        return v;
      }
      case 'Fn::Sub': return this.#sub(arg, path);
      case 'Fn::Join': {
        const [delimiter, list] = this.#args(arg, 2, path, fn);
        const items = this.resolve(list, path);
        if (!Array.isArray(items)) throw new TemplateError(`${path}: Fn::Join needs a list to join`);
        return items.map((x) => this.#scalar(x, path)).join(this.#string(delimiter, path));
      }
      case 'Fn::Select': {
        const [index, list] = this.#args(arg, 2, path, fn);
        const items = this.resolve(list, path);
        const i = Number(this.resolve(index, path));
        if (!Array.isArray(items) || !Number.isInteger(i) || i < 0 || i >= items.length) throw new TemplateError(`${path}: Fn::Select index ${String(index)} is out of range`);
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.#args(arg, 2, path, fn);
        return this.#string(this.resolve(source, path), path).split(this.#string(delimiter, path));
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = this.#args(arg, 3, path, fn);
        return this.resolve(this.condition(this.#string(name, path), path) ? whenTrue : whenFalse, path);
      }
      case 'Fn::Equals': case 'Fn::Not': case 'Fn::And': case 'Fn::Or':
        return this.#boolean({ [fn]: arg }, path);
      case 'Fn::FindInMap': {
        const [map, top, second] = this.#args(arg, 3, path, fn).map((a) => this.#string(this.resolve(a, path), path)) as [string, string, string];
        const v = this.#scope.mappings[map]?.[top]?.[second];
        if (v === undefined) throw new TemplateError(`${path}: Fn::FindInMap ${map}.${top}.${second} is not in Mappings`);
        return this.resolve(v, path);
      }
      case 'Fn::Base64': return Buffer.from(this.#string(this.resolve(arg, path), path)).toString('base64');
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${this.#scope.pseudo.region}${z}`);
      case 'Fn::ToJsonString': return JSON.stringify(this.resolve(arg, path));
      case 'Fn::Length': {
        const v = this.resolve(arg, path);
        if (!Array.isArray(v)) throw new TemplateError(`${path}: Fn::Length needs a list`);
        return v.length;
      }
      default:
        throw new TemplateError(`${path}: ${fn} is not supported by flint deploy --template (Flint has no stack exports or macros)`);
    }
  }

  #ref(name: string, path: string): unknown {
    const p = this.#scope.pseudo;
    switch (name) {
      case 'AWS::NoValue': return NO_VALUE;
      case 'AWS::Region': return p.region;
      case 'AWS::AccountId': return p.accountId;
      case 'AWS::StackName': return p.stackName;
      case 'AWS::StackId': return `arn:${p.partition}:cloudformation:${p.region}:${p.accountId}:stack/${p.stackName}/flint`;
      case 'AWS::Partition': return p.partition;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::NotificationARNs': return [];
    }
    if (name in this.#scope.parameters) return this.#scope.parameters[name];
    const physical = this.#scope.ref(name);
    if (physical !== undefined) return physical;
    throw new TemplateError(`${path}: Ref ${name}: no such parameter or resource`);
  }

  #sub(arg: unknown, path: string): string {
    let template: string;
    let vars: Record<string, unknown> = {};
    if (typeof arg === 'string') template = arg;
    else {
      const [t, v] = this.#args(arg, 2, path, 'Fn::Sub');
      template = this.#string(t, path);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TemplateError(`${path}: Fn::Sub's second item is a mapping of variables`);
      vars = v as Record<string, unknown>;
    }
    return template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      if (name in vars) return this.#scalar(this.resolve(vars[name], `${path}.${name}`), path);
      if (name.includes('.') && !name.startsWith('AWS::')) {
        const dot = name.indexOf('.');
        return this.#scalar(this.#call('Fn::GetAtt', [name.slice(0, dot), name.slice(dot + 1)], path), path);
      }
      return this.#scalar(this.#ref(name, path), path);
    });
  }

  #args(arg: unknown, n: number, path: string, fn: string): unknown[] {
    if (!Array.isArray(arg) || arg.length !== n) throw new TemplateError(`${path}: ${fn} takes a list of ${n} item${n === 1 ? '' : 's'}`);
    return arg;
  }

  #list(arg: unknown, path: string, fn: string): unknown[] {
    if (!Array.isArray(arg) || arg.length === 0) throw new TemplateError(`${path}: ${fn} takes a list of conditions`);
    return arg;
  }

  #string(v: unknown, path: string): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    throw new TemplateError(`${path}: expected a string, got ${v === NO_VALUE ? 'AWS::NoValue' : JSON.stringify(v)}`);
  }

  #scalar(v: unknown, path: string): string {
    if (Array.isArray(v)) return v.map((x) => this.#string(x, path)).join(',');
    return this.#string(v, path);
  }
}
