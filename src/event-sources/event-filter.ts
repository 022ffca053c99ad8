import { InvalidParameterValueException } from '../domain/errors.js';

/**
 * Lambda's event filtering (FilterCriteria): EventBridge pattern syntax applied to each record.
 * A record passes when any filter matches; a pattern names fields as the record has them (for SQS:
 * `body`, `attributes`, `messageAttributes`; a body that is JSON is matched as an object, any other
 * body as a plain string). Comparison operators supported: exact values (strings, numbers, null,
 * booleans), `prefix`, `suffix`, `anything-but` (value, list, or `{prefix}`/`{suffix}`), `numeric`,
 * `exists`, `equals-ignore-case`, `wildcard`, and `$or`.
 */
export class EventFilter {
  readonly #patterns: PatternNode[];

  private constructor(patterns: PatternNode[]) {
    this.#patterns = patterns;
  }

  /**
   * Parses FilterCriteria.Filters[].Pattern; throws Lambda's InvalidParameterValueException
   * "Invalid filter pattern definition." for anything that is not a valid pattern.
   */
  static parse(filters: ReadonlyArray<{ Pattern?: string }> | undefined): EventFilter | undefined {
    if (!filters || filters.length === 0) return undefined;
    const patterns = filters.map((f) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(f.Pattern ?? '');
      } catch {
        throw invalid();
      }
      if (!isObject(parsed)) throw invalid();
      validate(parsed, 0);
      return parsed;
    });
    return new EventFilter(patterns);
  }

  /** True when any pattern matches the record. */
  matches(record: Record<string, unknown>): boolean {
    return this.#patterns.some((p) => matchObject(p, record));
  }
}

type PatternNode = Record<string, unknown>;

function invalid(): Error {
  return new InvalidParameterValueException('Invalid filter pattern definition.');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const OPERATORS = new Set(['prefix', 'suffix', 'anything-but', 'numeric', 'exists', 'equals-ignore-case', 'wildcard']);

function validate(node: PatternNode, depth: number): void {
  if (depth > 20 || Object.keys(node).length === 0) throw invalid();
  for (const [k, v] of Object.entries(node)) {
    if (k === '$or') {
      if (!Array.isArray(v) || v.length < 2) throw invalid();
      for (const alt of v) {
        if (!isObject(alt)) throw invalid();
        validate(alt, depth + 1);
      }
    } else if (Array.isArray(v)) {
      if (v.length === 0) throw invalid();
      for (const item of v) validateLeaf(item);
    } else if (isObject(v)) {
      validate(v, depth + 1);
    } else {
      // EventBridge requires match values inside arrays: {"a": "b"} is not a pattern.
      throw invalid();
    }
  }
}

function validateLeaf(item: unknown): void {
  if (item === null || typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return;
  if (!isObject(item)) throw invalid();
  const keys = Object.keys(item);
  if (keys.length !== 1 || !OPERATORS.has(keys[0]!)) throw invalid();
  const op = keys[0]!;
  const arg = item[op];
  switch (op) {
    case 'prefix':
    case 'suffix':
      if (typeof arg !== 'string' && !(isObject(arg) && typeof arg['equals-ignore-case'] === 'string')) throw invalid();
      return;
    case 'equals-ignore-case':
    case 'wildcard':
      if (typeof arg !== 'string') throw invalid();
      return;
    case 'exists':
      if (typeof arg !== 'boolean') throw invalid();
      return;
    case 'anything-but':
      if (typeof arg === 'string' || typeof arg === 'number') return;
      if (Array.isArray(arg) && arg.length > 0 && arg.every((a) => typeof a === 'string' || typeof a === 'number')) return;
      if (isObject(arg) && Object.keys(arg).length === 1 && ['prefix', 'suffix', 'equals-ignore-case'].includes(Object.keys(arg)[0]!)) return;
      throw invalid();
    case 'numeric':
      validateNumeric(arg);
      return;
  }
}

const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

function validateNumeric(arg: unknown): void {
  if (!Array.isArray(arg) || arg.length === 0 || arg.length % 2 !== 0 || arg.length > 4) throw invalid();
  for (let i = 0; i < arg.length; i += 2) {
    if (typeof arg[i] !== 'string' || !NUMERIC_OPS.has(arg[i] as string) || typeof arg[i + 1] !== 'number') throw invalid();
  }
}

function matchObject(pattern: PatternNode, event: unknown): boolean {
  for (const [k, v] of Object.entries(pattern)) {
    if (k === '$or') {
      if (!(v as PatternNode[]).some((alt) => matchObject(alt, event))) return false;
      continue;
    }
    const value = isObject(event) ? event[k] : undefined;
    if (Array.isArray(v)) {
      if (!matchLeaves(v, value)) return false;
    } else if (!isObject(value) || !matchObject(v as PatternNode, value)) {
      return false;
    }
  }
  return true;
}

/** A field matches when any pattern value matches it (or, for an array field, any of its elements). */
function matchLeaves(leaves: unknown[], value: unknown): boolean {
  return leaves.some((leaf) => {
    if (isObject(leaf) && 'exists' in leaf) {
      const present = value !== undefined && !isObject(value) && !(Array.isArray(value) && value.length === 0);
      return leaf['exists'] === present;
    }
    if (value === undefined) return false;
    // anything-but over an array field: no element may be excluded.
    if (isObject(leaf) && 'anything-but' in leaf && Array.isArray(value)) return value.every((v) => matchLeaf(leaf, v));
    const values = Array.isArray(value) ? value : [value];
    return values.some((v) => matchLeaf(leaf, v));
  });
}

function matchLeaf(leaf: unknown, value: unknown): boolean {
  if (!isObject(leaf)) return leaf === value;
  const [op, arg] = Object.entries(leaf)[0]!;
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && (typeof arg === 'string' ? value.startsWith(arg) : value.toLowerCase().startsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase()));
    case 'suffix':
      return typeof value === 'string' && (typeof arg === 'string' ? value.endsWith(arg) : value.toLowerCase().endsWith(String((arg as Record<string, unknown>)['equals-ignore-case']).toLowerCase()));
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (arg as string).toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && wildcardRegex(arg as string).test(value);
    case 'numeric':
      return typeof value === 'number' && numericMatch(arg as Array<string | number>, value);
    case 'anything-but': {
      if (isObject(arg)) {
        const [sub, s] = Object.entries(arg)[0]! as [string, string];
        if (typeof value !== 'string') return true;
        if (sub === 'prefix') return !value.startsWith(s);
        if (sub === 'suffix') return !value.endsWith(s);
        return value.toLowerCase() !== s.toLowerCase();
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.includes(value as string | number);
    }
    default:
      return false;
  }
}

function numericMatch(spec: Array<string | number>, value: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const n = spec[i + 1] as number;
    const ok = { '=': value === n, '<': value < n, '<=': value <= n, '>': value > n, '>=': value >= n }[spec[i] as '='];
    if (!ok) return false;
  }
  return true;
}

function wildcardRegex(p: string): RegExp {
  return new RegExp('^' + p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
}
