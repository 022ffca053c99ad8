import { FilterPatternError, findClosingQuote, regexOf, unescape, wildcardTest, type LogEventMatcher } from './pattern-values.js';

type Token = { kind: 'sel'; path: (string | number)[]; text: string } | { kind: 'op'; text: string } | { kind: 'str'; text: string } | { kind: 'num'; value: number; text: string } | { kind: 'regex'; re: RegExp } | { kind: 'word'; text: string } | { kind: 'paren'; text: '(' | ')' };

type Node = { and: Node[] } | { or: Node[] } | { test: (doc: unknown) => boolean };

const MISSING = Symbol('missing');

/**
 * CloudWatch's JSON filter patterns: `{ SELECTOR OP VALUE }` with selectors `$.a.b`, `$.list[0]`,
 * operators `=` `!=` (strings, with `*` wildcards or `%regex%`; numbers) and `<` `>` `<=` `>=`
 * (numbers), `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`, `EXISTS`, combined with `&&`, `||`
 * and parentheses. A message that is not a JSON object matches nothing; a comparison on a missing
 * field is false (CloudWatch's `!=` too).
 */
export function compileJsonPattern(text: string): LogEventMatcher {
  if (!text.endsWith('}')) throw new FilterPatternError('Invalid JSON filter pattern: missing closing brace');
  const tokens = tokenize(text.slice(1, -1));
  let at = 0;
  const next = () => tokens[at++];
  const isOp = (text: string) => {
    const t = tokens[at];
    return t?.kind === 'op' && t.text === text;
  };
  const parseOr = (): Node => {
    const parts = [parseAnd()];
    while (isOp('||')) {
      at++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : { or: parts };
  };
  const parseAnd = (): Node => {
    const parts = [parseUnary()];
    while (isOp('&&')) {
      at++;
      parts.push(parseUnary());
    }
    return parts.length === 1 ? parts[0]! : { and: parts };
  };
  const parseUnary = (): Node => {
    const t = next();
    if (!t) throw new FilterPatternError('Invalid JSON filter pattern: expected a selector');
    if (t.kind === 'paren' && t.text === '(') {
      const inner = parseOr();
      const close = next();
      if (!close || close.kind !== 'paren' || close.text !== ')') throw new FilterPatternError('Invalid JSON filter pattern: unbalanced parentheses');
      return inner;
    }
    if (t.kind !== 'sel') throw new FilterPatternError(`Invalid JSON filter pattern: expected a selector starting with $, found '${'text' in t ? t.text : t.kind}'`);
    return { test: comparison(t.path, t.text) };
  };
  const comparison = (path: (string | number)[], selText: string): ((doc: unknown) => boolean) => {
    const get = (doc: unknown) => select(doc, path);
    const op = next();
    if (!op) throw new FilterPatternError(`Invalid JSON filter pattern: no comparison after ${selText}`);
    if (op.kind === 'word') {
      const w = op.text.toUpperCase();
      if (w === 'EXISTS') return (d) => get(d) !== MISSING;
      const arg = next();
      const a = arg && arg.kind === 'word' ? arg.text.toUpperCase() : '';
      if (w === 'IS' && a === 'NULL') return (d) => get(d) === null;
      if (w === 'IS' && a === 'TRUE') return (d) => get(d) === true;
      if (w === 'IS' && a === 'FALSE') return (d) => get(d) === false;
      if (w === 'NOT' && a === 'EXISTS') return (d) => get(d) === MISSING;
      throw new FilterPatternError(`Invalid JSON filter pattern: unknown test '${op.text} ${arg && 'text' in arg ? arg.text : ''}'`);
    }
    if (op.kind !== 'op' || !['=', '!=', '<', '>', '<=', '>='].includes(op.text)) throw new FilterPatternError(`Invalid JSON filter pattern: expected an operator after ${selText}`);
    const v = next();
    if (!v) throw new FilterPatternError(`Invalid JSON filter pattern: no value after ${selText} ${op.text}`);
    const negate = op.text === '!=';
    if (v.kind === 'num') {
      const cmp = numeric(op.text, v.value);
      return (d) => {
        const x = get(d);
        return typeof x === 'number' && cmp(x);
      };
    }
    if (op.text !== '=' && op.text !== '!=') throw new FilterPatternError(`Invalid JSON filter pattern: ${op.text} needs a number`);
    let match: (s: string) => boolean;
    if (v.kind === 'regex') match = (s) => v.re.test(s);
    else if (v.kind === 'str' || v.kind === 'word') match = wildcardTest(v.text);
    else throw new FilterPatternError(`Invalid JSON filter pattern: bad value after ${selText} ${op.text}`);
    return (d) => {
      const x = get(d);
      if (typeof x !== 'string') return false;
      return match(x) !== negate;
    };
  };
  const tree = parseOr();
  if (at < tokens.length) throw new FilterPatternError('Invalid JSON filter pattern: unexpected text after the expression');
  return (message) => {
    const start = message.indexOf('{');
    if (start < 0) return false;
    let doc: unknown;
    try {
      // Lambda's text-format lines put the JSON after a prefix (`<time>\t<requestId>\tINFO\t{…}`); CloudWatch matches those too.
      doc = JSON.parse(start === 0 ? message : message.slice(start));
    } catch {
      return false;
    }
    return typeof doc === 'object' && doc !== null && evaluate(tree, doc);
  };
}

function evaluate(n: Node, doc: unknown): boolean {
  if ('and' in n) return n.and.every((c) => evaluate(c, doc));
  if ('or' in n) return n.or.some((c) => evaluate(c, doc));
  return n.test(doc);
}

function numeric(op: string, v: number): (x: number) => boolean {
  switch (op) {
    case '=': return (x) => x === v;
    case '!=': return (x) => x !== v;
    case '<': return (x) => x < v;
    case '>': return (x) => x > v;
    case '<=': return (x) => x <= v;
    default: return (x) => x >= v;
  }
}

function select(doc: unknown, path: (string | number)[]): unknown {
  let cur: unknown = doc;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return MISSING;
    if (typeof p === 'number') {
      if (!Array.isArray(cur) || p >= cur.length) return MISSING;
      cur = cur[p];
    } else {
      if (Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, p)) return MISSING;
      cur = (cur as Record<string, unknown>)[p];
    }
  }
  return cur;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '(' || c === ')') { out.push({ kind: 'paren', text: c }); i++; continue; }
    const two = src.slice(i, i + 2);
    if (two === '&&' || two === '||' || two === '!=' || two === '<=' || two === '>=') { out.push({ kind: 'op', text: two }); i += 2; continue; }
    if (c === '=' || c === '<' || c === '>') { out.push({ kind: 'op', text: c }); i++; continue; }
    if (c === '"') {
      const end = findClosingQuote(src, i);
      out.push({ kind: 'str', text: unescape(src.slice(i + 1, end)) });
      i = end + 1;
      continue;
    }
    if (c === '%') {
      const end = src.indexOf('%', i + 1);
      if (end < 0) throw new FilterPatternError(`Invalid regex pattern '${src.slice(i)}'`);
      out.push({ kind: 'regex', re: regexOf(src.slice(i + 1, end)) });
      i = end + 1;
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      const path: (string | number)[] = [];
      for (;;) {
        if (src[j] === '.') {
          const m = /^[A-Za-z0-9_\-@$]+/.exec(src.slice(j + 1));
          if (!m) throw new FilterPatternError(`Invalid JSON filter pattern: bad selector '${src.slice(i, j + 1)}'`);
          path.push(m[0]);
          j += 1 + m[0].length;
        } else if (src[j] === '[') {
          const m = /^\[(\d+)\]/.exec(src.slice(j));
          if (!m) throw new FilterPatternError(`Invalid JSON filter pattern: bad selector '${src.slice(i, j + 1)}'`);
          path.push(Number(m[1]));
          j += m[0].length;
        } else break;
      }
      if (path.length === 0) throw new FilterPatternError("Invalid JSON filter pattern: a selector must name a field, as in '$.level'");
      out.push({ kind: 'sel', path, text: src.slice(i, j) });
      i = j;
      continue;
    }
    const m = /^[^\s()=<>!&|"]+/.exec(src.slice(i));
    if (!m) throw new FilterPatternError(`Invalid JSON filter pattern: unexpected '${c}'`);
    const word = m[0];
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(word) ? Number(word) : NaN;
    out.push(Number.isNaN(num) ? { kind: 'word', text: word } : { kind: 'num', value: num, text: word });
    i += word.length;
  }
  return out;
}
