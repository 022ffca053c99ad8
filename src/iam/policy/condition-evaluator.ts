import type { Comparison, OperatorSpec } from './condition-operators.js';
import { anchoredAlternation, patternSource } from './glob-pattern.js';
import { cidrContains, parseCidr, parseIp, type CidrBlock } from './ip-address.js';
import { parseTemplate, resolveChunks, resolveText, type Template } from './policy-variables.js';
import type { RequestKeys } from './request-keys.js';

/** Whether one request value matches at least one of the policy's values. */
type ValueTest = (value: string) => boolean;

/** A condition operator's values, compiled once; `bind` resolves policy variables per request. */
interface ValueMatcher {
  bind(keys: RequestKeys): ValueTest;
}

/** One `"Operator": { "key": [values] }` entry of a Condition block. */
export interface CompiledCondition {
  spec: OperatorSpec;
  /** Lower-cased context key name. */
  key: string;
  matcher: ValueMatcher;
  /** Null only: the policy's true/false values. */
  nullValues: boolean[];
}

const NEVER: ValueTest = () => false;

function constant(test: ValueTest): ValueMatcher {
  return { bind: () => test };
}

function compare(c: Comparison, a: number, b: number): boolean {
  switch (c) {
    case 'eq':
      return a === b;
    case 'lt':
      return a < b;
    case 'lte':
      return a <= b;
    case 'gt':
      return a > b;
    case 'gte':
      return a >= b;
  }
}

function parseNumber(s: string): number {
  return s.trim() === '' ? NaN : Number(s);
}

/** IAM's date values: ISO 8601 (with or without time) or epoch seconds ("Date condition operators"). */
export function parseDate(s: string): number {
  if (/^-?\d+$/.test(s)) return Number(s) * 1000;
  return s.trim() === '' ? NaN : Date.parse(s);
}

function numericMatcher(spec: OperatorSpec, values: string[], parse: (s: string) => number): ValueMatcher {
  const policy = values.map(parse).filter((n) => !Number.isNaN(n));
  const c = spec.compare;
  return constant((v) => {
    const n = parse(v);
    if (Number.isNaN(n)) return false;
    for (const p of policy) if (compare(c, n, p)) return true;
    return false;
  });
}

function setMatcher(templates: Template[], fold: (s: string) => string): ValueMatcher {
  if (!templates.some((t) => t.dynamic)) {
    // Static templates resolve without the request (resolveText turns ${*} into *).
    const set = new Set(templates.map((t) => fold(resolveText(t, () => undefined)!)));
    return constant((v) => set.has(fold(v)));
  }
  return {
    bind(keys) {
      const set = new Set<string>();
      for (const t of templates) {
        const r = resolveText(t, keys.lookup);
        if (r !== undefined) set.add(fold(r));
      }
      return (v) => set.has(fold(v));
    },
  };
}

/** StringLike and Arn… values: one alternation RegExp; with variables, one per distinct resolution. */
export function patternMatcher(templates: Template[], arnAware: boolean): ValueMatcher {
  if (!templates.some((t) => t.dynamic)) {
    const sources = templates.map((t) => patternSource(resolveChunks(t, () => undefined)!, arnAware));
    if (sources.length === 0) return constant(NEVER);
    const re = anchoredAlternation(sources, false);
    return constant((v) => re.test(v));
  }
  const cache = new Map<string, RegExp | undefined>();
  return {
    bind(keys) {
      const sources: string[] = [];
      for (const t of templates) {
        const chunks = resolveChunks(t, keys.lookup);
        if (chunks) sources.push(patternSource(chunks, arnAware));
      }
      const cacheKey = sources.join('\u0000');
      let re = cache.get(cacheKey);
      if (re === undefined && !cache.has(cacheKey)) {
        re = sources.length ? anchoredAlternation(sources, false) : undefined;
        // Bounded: a variable such as aws:username takes one value per caller.
        if (cache.size >= 256) cache.clear();
        cache.set(cacheKey, re);
      }
      const r = re;
      return r ? (v) => r.test(v) : NEVER;
    },
  };
}

export function compileCondition(
  spec: OperatorSpec,
  key: string,
  values: string[],
  variablesEnabled: boolean,
): CompiledCondition {
  const vars = variablesEnabled && spec.variables;
  const templates = () => values.map((v) => parseTemplate(v, vars));
  let matcher: ValueMatcher;
  let nullValues: boolean[] = [];
  switch (spec.kind) {
    case 'string':
    case 'binary':
      matcher = setMatcher(templates(), (s) => s);
      break;
    case 'stringIgnoreCase':
      matcher = setMatcher(templates(), (s) => s.toLowerCase());
      break;
    case 'stringLike':
      matcher = patternMatcher(templates(), false);
      break;
    case 'arn':
      matcher = patternMatcher(templates(), true);
      break;
    case 'numeric':
      matcher = numericMatcher(spec, values, parseNumber);
      break;
    case 'date':
      matcher = numericMatcher(spec, values, parseDate);
      break;
    case 'bool': {
      const set = new Set(values.map((v) => v.toLowerCase()));
      matcher = constant((v) => set.has(v.toLowerCase()));
      break;
    }
    case 'ip': {
      const blocks = values.map(parseCidr).filter((b): b is CidrBlock => b !== undefined);
      matcher = constant((v) => {
        const ip = parseIp(v);
        if (!ip) return false;
        for (const b of blocks) if (cidrContains(b, ip)) return true;
        return false;
      });
      break;
    }
    case 'null':
      matcher = constant(NEVER);
      nullValues = values.map((v) => v.toLowerCase() === 'true');
      break;
  }
  return { spec, key: key.toLowerCase(), matcher, nullValues };
}

/**
 * One condition against the request, as IAM documents it:
 * - a missing key makes the condition false, except: negated operators (true), `…IfExists`
 *   (true), `ForAllValues:` (true — it also holds for an empty set), and Null (which tests exactly
 *   that);
 * - several policy values for the key are an OR (a NOR for negated operators);
 * - `ForAnyValue:` needs at least one request value to pass, `ForAllValues:` every one.
 */
export function evaluateCondition(c: CompiledCondition, keys: RequestKeys): boolean {
  const raw = keys.get(c.key);
  const missing = raw === undefined || (typeof raw !== 'string' && raw.length === 0);
  const spec = c.spec;
  if (spec.kind === 'null') {
    for (const wantMissing of c.nullValues) if (wantMissing === missing) return true;
    return false;
  }
  if (missing) {
    if (spec.set === 'all') return true;
    if (spec.set === 'any') return spec.ifExists;
    return spec.ifExists || spec.negated;
  }
  const test = c.matcher.bind(keys);
  const negated = spec.negated;
  if (typeof raw === 'string') {
    const hit = test(raw);
    return negated ? !hit : hit;
  }
  const values = raw as readonly string[];
  if (spec.set === 'all') {
    for (const v of values) if (test(v) === negated) return false;
    return true;
  }
  if (spec.set === 'any') {
    for (const v of values) if (test(v) !== negated) return true;
    return false;
  }
  // A multivalued key under a single-valued operator: it matches when any value matches.
  let hit = false;
  for (const v of values) if (test(v)) hit = true;
  return negated ? !hit : hit;
}
