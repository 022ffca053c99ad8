/**
 * The subset of CloudWatch metric math Flint evaluates: numbers, query ids, `+ - * / ^`,
 * parentheses, arrays `[m1, m2]`, METRICS() / METRICS('label part'), SUM / AVG / MIN / MAX
 * (of an array: a series per timestamp; of one series: a scalar, as CloudWatch defines them),
 * ABS, and FILL(series, number | REPEAT | LINEAR). Anything else is a syntax error naming it.
 */

export type MathNode =
  | { kind: 'number'; value: number }
  | { kind: 'id'; id: string }
  | { kind: 'keyword'; name: 'REPEAT' | 'LINEAR' }
  | { kind: 'string'; value: string }
  | { kind: 'array'; items: MathNode[] }
  | { kind: 'call'; fn: string; args: MathNode[] }
  | { kind: 'neg'; arg: MathNode }
  | { kind: 'binary'; op: '+' | '-' | '*' | '/' | '^'; left: MathNode; right: MathNode };

export class MetricMathError extends Error {}

const FUNCTIONS = new Set(['SUM', 'AVG', 'MIN', 'MAX', 'ABS', 'FILL', 'METRICS']);

type Token = { t: 'num'; v: number } | { t: 'name'; v: string } | { t: 'str'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) { out.push({ t: 'num', v: Number(num[0]) }); i += num[0].length; continue; }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) { out.push({ t: 'name', v: name[0] }); i += name[0].length; continue; }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new MetricMathError(`Unterminated string at position ${i + 1}`);
      out.push({ t: 'str', v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if ('+-*/^()[],'.includes(c)) { out.push({ t: 'op', v: c }); i++; continue; }
    throw new MetricMathError(`Unexpected character '${c}' at position ${i + 1}`);
  }
  return out;
}

export function parseMetricMath(src: string): MathNode {
  const toks = tokenize(src);
  let pos = 0;
  const peek = () => toks[pos];
  const isOp = (v: string) => { const t = toks[pos]; return t !== undefined && t.t === 'op' && t.v === v; };
  const expect = (v: string) => {
    if (!isOp(v)) throw new MetricMathError(`Expected '${v}'${toks[pos] ? ` but found '${String(toks[pos]!.v)}'` : ' at the end'}`);
    pos++;
  };
  const list = (close: string): MathNode[] => {
    const items: MathNode[] = [];
    if (isOp(close)) { pos++; return items; }
    for (;;) {
      items.push(expr());
      if (isOp(',')) { pos++; continue; }
      expect(close);
      return items;
    }
  };
  const primary = (): MathNode => {
    const t = peek();
    if (!t) throw new MetricMathError('Unexpected end of expression');
    pos++;
    if (t.t === 'num') return { kind: 'number', value: t.v };
    if (t.t === 'str') return { kind: 'string', value: t.v };
    if (t.t === 'name') {
      if (isOp('(')) {
        const fn = t.v.toUpperCase();
        if (!FUNCTIONS.has(fn)) throw new MetricMathError(`Unsupported function ${t.v}`);
        pos++;
        return { kind: 'call', fn, args: list(')') };
      }
      if (t.v === 'REPEAT' || t.v === 'LINEAR') return { kind: 'keyword', name: t.v };
      return { kind: 'id', id: t.v };
    }
    if (t.v === '(') { const e = expr(); expect(')'); return e; }
    if (t.v === '[') return { kind: 'array', items: list(']') };
    throw new MetricMathError(`Unexpected '${t.v}'`);
  };
  // Unary minus binds looser than `^` (-2^2 is -4), as in ordinary arithmetic.
  const power = (): MathNode => {
    const left = primary();
    if (isOp('^')) { pos++; return { kind: 'binary', op: '^', left, right: unary() }; }
    return left;
  };
  const unary = (): MathNode => (isOp('-') ? (pos++, { kind: 'neg', arg: unary() }) : power());
  const term = (): MathNode => {
    let left = unary();
    while (isOp('*') || isOp('/')) { const op = (toks[pos++] as { v: '*' | '/' }).v; left = { kind: 'binary', op, left, right: unary() }; }
    return left;
  };
  const expr = (): MathNode => {
    let left = term();
    while (isOp('+') || isOp('-')) { const op = (toks[pos++] as { v: '+' | '-' }).v; left = { kind: 'binary', op, left, right: term() }; }
    return left;
  };
  const root = expr();
  if (pos < toks.length) throw new MetricMathError(`Unexpected '${String(toks[pos]!.v)}'`);
  return root;
}

/** Ids an expression refers to (for dependency order). */
export function referencedIds(n: MathNode): string[] {
  switch (n.kind) {
    case 'id': return [n.id];
    case 'array': return n.items.flatMap(referencedIds);
    case 'call': return n.args.flatMap(referencedIds);
    case 'neg': return referencedIds(n.arg);
    case 'binary': return [...referencedIds(n.left), ...referencedIds(n.right)];
    default: return [];
  }
}

/** A time series: value per timestamp (epoch ms); missing timestamps have no datapoint. */
export interface Series {
  label: string;
  points: Map<number, number>;
}
export type MathValue = { kind: 'scalar'; value: number } | { kind: 'series'; series: Series } | { kind: 'array'; items: Series[] };

export interface MathEnv {
  /** Result of another query by id. */
  lookup(id: string): MathValue | undefined;
  /** Every MetricStat query's series (METRICS()). */
  metrics(): Series[];
  /** The period-aligned timestamps of the request (what FILL fills). */
  grid: number[];
}

const seriesOf = (label: string, points: Map<number, number>): MathValue => ({ kind: 'series', series: { label, points } });

function arith(op: string, a: number, b: number): number {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    default: return a ** b;
  }
}

function binary(op: string, l: MathValue, r: MathValue): MathValue {
  if (l.kind === 'array') return { kind: 'array', items: l.items.map((s) => asSeries(binary(op, { kind: 'series', series: s }, r))) };
  if (r.kind === 'array') return { kind: 'array', items: r.items.map((s) => asSeries(binary(op, l, { kind: 'series', series: s }))) };
  if (l.kind === 'scalar' && r.kind === 'scalar') return { kind: 'scalar', value: arith(op, l.value, r.value) };
  if (l.kind === 'series' && r.kind === 'scalar') return seriesOf(l.series.label, mapValues(l.series.points, (v) => arith(op, v, r.value)));
  if (l.kind === 'scalar' && r.kind === 'series') return seriesOf(r.series.label, mapValues(r.series.points, (v) => arith(op, l.value, v)));
  // Two series: CloudWatch computes at the timestamps both have.
  const a = (l as { series: Series }).series;
  const b = (r as { series: Series }).series;
  const out = new Map<number, number>();
  for (const [t, v] of a.points) { const w = b.points.get(t); if (w !== undefined) out.set(t, arith(op, v, w)); }
  return seriesOf(a.label, out);
}

const asSeries = (v: MathValue): Series => {
  if (v.kind !== 'series') throw new MetricMathError('Expected a time series');
  return v.series;
};

function mapValues(m: Map<number, number>, f: (v: number) => number): Map<number, number> {
  const out = new Map<number, number>();
  for (const [t, v] of m) out.set(t, f(v));
  return out;
}

const REDUCERS: Record<string, (vs: number[]) => number> = {
  SUM: (vs) => vs.reduce((s, v) => s + v, 0),
  AVG: (vs) => vs.reduce((s, v) => s + v, 0) / vs.length,
  MIN: (vs) => Math.min(...vs),
  MAX: (vs) => Math.max(...vs),
};

function fill(s: Series, how: MathValue | 'REPEAT' | 'LINEAR', grid: number[]): Series {
  const out = new Map<number, number>();
  const known = [...s.points.entries()].sort((a, b) => a[0] - b[0]);
  for (const t of grid) {
    const v = s.points.get(t);
    if (v !== undefined) { out.set(t, v); continue; }
    if (how === 'REPEAT') {
      const before = known.filter(([k]) => k < t).pop();
      if (before) out.set(t, before[1]);
      continue;
    }
    if (how === 'LINEAR') {
      const before = known.filter(([k]) => k < t).pop();
      const after = known.find(([k]) => k > t);
      if (before && after) out.set(t, before[1] + ((after[1] - before[1]) * (t - before[0])) / (after[0] - before[0]));
      continue;
    }
    if (how.kind !== 'scalar') throw new MetricMathError('FILL takes a number, REPEAT or LINEAR as its second argument');
    out.set(t, how.value);
  }
  return { label: s.label, points: out };
}

export function evaluateMetricMath(n: MathNode, env: MathEnv): MathValue {
  switch (n.kind) {
    case 'number': return { kind: 'scalar', value: n.value };
    case 'string': throw new MetricMathError(`Unexpected string '${n.value}'`);
    case 'keyword': throw new MetricMathError(`${n.name} is only valid as FILL's second argument`);
    case 'id': {
      const v = env.lookup(n.id);
      if (!v) throw new MetricMathError(`Unrecognized identifier ${n.id}`);
      return v;
    }
    case 'array': return { kind: 'array', items: n.items.map((i) => evaluateMetricMath(i, env)).flatMap((v) => (v.kind === 'array' ? v.items : [asSeries(v)])) };
    case 'neg': return binary('*', { kind: 'scalar', value: -1 }, evaluateMetricMath(n.arg, env));
    case 'binary': return binary(n.op, evaluateMetricMath(n.left, env), evaluateMetricMath(n.right, env));
    case 'call': {
      if (n.fn === 'METRICS') {
        const filter = n.args[0]?.kind === 'string' ? n.args[0].value : undefined;
        return { kind: 'array', items: env.metrics().filter((s) => filter === undefined || s.label.includes(filter)) };
      }
      const args = n.args;
      if (n.fn === 'FILL') {
        if (args.length !== 2) throw new MetricMathError('FILL takes 2 arguments');
        const target = evaluateMetricMath(args[0]!, env);
        const how = args[1]!.kind === 'keyword' ? args[1]!.name : evaluateMetricMath(args[1]!, env);
        if (target.kind === 'array') return { kind: 'array', items: target.items.map((s) => fill(s, how, env.grid)) };
        return { kind: 'series', series: fill(asSeries(target), how, env.grid) };
      }
      if (args.length !== 1) throw new MetricMathError(`${n.fn} takes 1 argument`);
      const v = evaluateMetricMath(args[0]!, env);
      if (n.fn === 'ABS') return absOf(v);
      const reduce = REDUCERS[n.fn]!;
      if (v.kind === 'scalar') return v;
      if (v.kind === 'series') {
        const vs = [...v.series.points.values()];
        return { kind: 'scalar', value: vs.length === 0 ? NaN : reduce(vs) };
      }
      const per = new Map<number, number[]>();
      for (const s of v.items) for (const [t, x] of s.points) { const l = per.get(t); if (l) l.push(x); else per.set(t, [x]); }
      const out = new Map<number, number>();
      for (const [t, vs] of [...per.entries()].sort((a, b) => a[0] - b[0])) out.set(t, reduce(vs));
      return seriesOf(n.fn, out);
    }
  }
}

function absOf(v: MathValue): MathValue {
  if (v.kind === 'scalar') return { kind: 'scalar', value: Math.abs(v.value) };
  if (v.kind === 'series') return seriesOf(v.series.label, mapValues(v.series.points, Math.abs));
  return { kind: 'array', items: v.items.map((s) => ({ label: s.label, points: mapValues(s.points, Math.abs) })) };
}
