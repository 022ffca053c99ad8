/**
 * A subset of X-Ray's filter expression language (GetTraceSummaries' FilterExpression):
 *   - boolean keywords `ok`, `error`, `fault`, `throttle`, `partial` (alone, or `= true|false`);
 *   - number keywords `responsetime`, `duration`, `http.status` with = != < <= > >=;
 *   - string keywords `http.url`, `http.method`, `http.useragent`, `http.clientip` with = != CONTAINS
 *     BEGINSWITH ENDSWITH;
 *   - `annotation.key` / `annotation[key]` against a string, number or boolean;
 *   - `service("name")` (a service of that name is in the trace) and `service()`;
 *   - combined with AND / OR / NOT (also && || !) and parentheses, AND binding tighter.
 * Anything else is refused with the error X-Ray gives for a filter it cannot parse.
 */
export type Value = string | number | boolean;

/** What a filter looks at: a trace's summary values. */
export interface FilterSubject {
  ok: boolean;
  error: boolean;
  fault: boolean;
  throttle: boolean;
  partial: boolean;
  responsetime: number;
  duration: number;
  http: { status?: number; url?: string; method?: string; useragent?: string; clientip?: string };
  /** Every annotation value recorded in the trace, by key. */
  annotations: Map<string, Value[]>;
  /** Names of the trace's services (segments). */
  services: Set<string>;
}

export type Filter = (s: FilterSubject) => boolean;

export class FilterSyntaxError extends Error {}

type Token = { kind: 'str'; v: string } | { kind: 'num'; v: number } | { kind: 'word'; v: string } | { kind: 'op'; v: string };

const OPS = ['<=', '>=', '!=', '&&', '||', '=', '<', '>', '(', ')', '!', ','];

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let v = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        v += text[j];
        j++;
      }
      if (j >= text.length) throw new FilterSyntaxError('unterminated string');
      out.push({ kind: 'str', v });
      i = j + 1;
      continue;
    }
    const num = /^-?\d+(?:\.\d+)?/.exec(text.slice(i));
    if (num && (c === '-' || /\d/.test(c))) {
      out.push({ kind: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const op = OPS.find((o) => text.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', v: op });
      i += op.length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.:\-]*(?:\[[^\]]+\])?/.exec(text.slice(i));
    if (!word) throw new FilterSyntaxError(`unexpected '${c}'`);
    out.push({ kind: 'word', v: word[0] });
    i += word[0].length;
  }
  return out;
}

const BOOL_KEYS = new Set(['ok', 'error', 'fault', 'throttle', 'partial']);
const NUM_KEYS = new Set(['responsetime', 'duration', 'http.status']);
const STR_KEYS = new Set(['http.url', 'http.method', 'http.useragent', 'http.clientip']);
const COMPARATORS = new Set(['=', '!=', '<', '<=', '>', '>=', 'CONTAINS', 'BEGINSWITH', 'ENDSWITH']);

function compare(a: Value | undefined, op: string, b: Value): boolean {
  if (a === undefined) return false;
  if (typeof b === 'number') {
    const x = typeof a === 'number' ? a : Number(a);
    if (Number.isNaN(x)) return false;
    switch (op) {
      case '=': return x === b;
      case '!=': return x !== b;
      case '<': return x < b;
      case '<=': return x <= b;
      case '>': return x > b;
      case '>=': return x >= b;
      default: return false;
    }
  }
  if (typeof b === 'boolean') return op === '=' ? a === b : op === '!=' ? a !== b : false;
  const x = String(a);
  switch (op) {
    case '=': return x === b;
    case '!=': return x !== b;
    case 'CONTAINS': return x.includes(b);
    case 'BEGINSWITH': return x.startsWith(b);
    case 'ENDSWITH': return x.endsWith(b);
    default: return false;
  }
}

/** Compiles a filter expression; throws FilterSyntaxError when it is not in the subset above. */
export function compileFilter(text: string): Filter {
  const toks = tokenize(text);
  let at = 0;
  const peek = () => toks[at];
  const isWord = (t: Token | undefined, w: string) => t?.kind === 'word' && t.v.toUpperCase() === w;
  const isOp = (t: Token | undefined, o: string) => t?.kind === 'op' && t.v === o;
  const expectOp = (o: string) => {
    if (!isOp(peek(), o)) throw new FilterSyntaxError(`expected '${o}'`);
    at++;
  };
  const comparator = (): string | undefined => {
    const t = peek();
    if (t?.kind === 'op' && COMPARATORS.has(t.v)) return (at++, t.v);
    if (t?.kind === 'word' && COMPARATORS.has(t.v.toUpperCase())) return (at++, t.v.toUpperCase());
    return undefined;
  };
  const literal = (): Value => {
    const t = toks[at++];
    if (t?.kind === 'str' || t?.kind === 'num') return t.v;
    if (t?.kind === 'word' && (t.v === 'true' || t.v === 'false')) return t.v === 'true';
    throw new FilterSyntaxError('expected a value');
  };

  const orExpr = (): Filter => {
    let left = andExpr();
    while (isWord(peek(), 'OR') || isOp(peek(), '||')) {
      at++;
      const l = left;
      const r = andExpr();
      left = (s) => l(s) || r(s);
    }
    return left;
  };
  const andExpr = (): Filter => {
    let left = unary();
    while (isWord(peek(), 'AND') || isOp(peek(), '&&')) {
      at++;
      const l = left;
      const r = unary();
      left = (s) => l(s) && r(s);
    }
    return left;
  };
  const unary = (): Filter => {
    if (isWord(peek(), 'NOT') || isOp(peek(), '!')) {
      at++;
      const inner = unary();
      return (s) => !inner(s);
    }
    if (isOp(peek(), '(')) {
      at++;
      const inner = orExpr();
      expectOp(')');
      return inner;
    }
    return term();
  };
  const term = (): Filter => {
    const t = toks[at++];
    if (t?.kind !== 'word') throw new FilterSyntaxError('expected a keyword');
    const key = t.v;
    const lower = key.toLowerCase();
    if (lower === 'service') {
      expectOp('(');
      if (isOp(peek(), ')')) {
        at++;
        return (s) => s.services.size > 0;
      }
      const name = literal();
      expectOp(')');
      if (typeof name !== 'string') throw new FilterSyntaxError('service() takes a name');
      return (s) => s.services.has(name);
    }
    const ann = /^annotation(?:\.(.+)|\[(.+)\])$/.exec(key);
    if (ann) {
      const name = ann[1] ?? ann[2]!;
      const op = comparator();
      if (op === undefined) return (s) => s.annotations.has(name);
      const v = literal();
      return (s) => (s.annotations.get(name) ?? []).some((a) => compare(a, op, v));
    }
    if (BOOL_KEYS.has(lower)) {
      const k = lower as 'ok' | 'error' | 'fault' | 'throttle' | 'partial';
      const op = comparator();
      if (op === undefined) return (s) => s[k];
      const v = literal();
      if (typeof v !== 'boolean' || (op !== '=' && op !== '!=')) throw new FilterSyntaxError(`${k} compares with true or false`);
      return (s) => compare(s[k], op, v);
    }
    if (NUM_KEYS.has(lower)) {
      const op = comparator();
      if (op === undefined) throw new FilterSyntaxError(`${lower} needs a comparison`);
      const v = literal();
      if (typeof v !== 'number') throw new FilterSyntaxError(`${lower} compares with a number`);
      if (lower === 'http.status') return (s) => compare(s.http.status, op, v);
      const k = lower as 'responsetime' | 'duration';
      return (s) => compare(s[k], op, v);
    }
    if (STR_KEYS.has(lower)) {
      const op = comparator();
      if (op === undefined) throw new FilterSyntaxError(`${lower} needs a comparison`);
      const v = literal();
      const k = lower.slice(5) as 'url' | 'method' | 'useragent' | 'clientip';
      return (s) => compare(s.http[k], op, typeof v === 'string' ? v : String(v));
    }
    throw new FilterSyntaxError(`unknown keyword '${key}'`);
  };

  const f = orExpr();
  if (at !== toks.length) throw new FilterSyntaxError('unexpected input after the expression');
  return f;
}
