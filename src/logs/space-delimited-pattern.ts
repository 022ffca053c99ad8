import { FilterPatternError, findClosingQuote, regexOf, unescape, wildcardTest, type LogEventMatcher } from './pattern-values.js';

/** One position of the pattern: any number of fields (`...`) or one field with optional conditions. */
type Slot = { ellipsis: true } | { ellipsis: false; test: (field: string) => boolean };

/**
 * CloudWatch's space-delimited patterns: `[ip, user, ..., status = 4*, bytes > 1000]` name the
 * fields of a message split at spaces (a run in `"…"` or `[…]` is one field, without its quotes or
 * brackets); `...` stands for any number of fields; conditions use `=` `!=` (strings with `*`
 * wildcards or `%regex%`, numbers) and `<` `>` `<=` `>=` (numbers), joined by `&&` / `||`.
 * Without `...` the message must have exactly as many fields as the pattern.
 */
export function compileSpaceDelimitedPattern(text: string): LogEventMatcher {
  if (!text.endsWith(']')) throw new FilterPatternError('Invalid space-delimited filter pattern: missing closing bracket');
  const slots = splitTopLevel(text.slice(1, -1)).map(slotOf);
  return (message) => matchFrom(slots, 0, fieldsOf(message), 0);
}

function matchFrom(slots: Slot[], si: number, fields: string[], fi: number): boolean {
  if (si === slots.length) return fi === fields.length;
  const slot = slots[si]!;
  if (slot.ellipsis) {
    for (let k = fi; k <= fields.length; k++) if (matchFrom(slots, si + 1, fields, k)) return true;
    return false;
  }
  return fi < fields.length && slot.test(fields[fi]!) && matchFrom(slots, si + 1, fields, fi + 1);
}

/** A message's fields: split at spaces, `"…"` and `[…]` runs kept whole (without their delimiters). */
export function fieldsOf(message: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < message.length) {
    const c = message[i]!;
    if (c === ' ' || c === '\t' || c === '\n') { i++; continue; }
    if (c === '"' || c === '[') {
      const close = c === '"' ? '"' : ']';
      const end = message.indexOf(close, i + 1);
      if (end > 0) {
        out.push(message.slice(i + 1, end));
        i = end + 1;
        continue;
      }
    }
    let j = i;
    while (j < message.length && !/\s/.test(message[j]!)) j++;
    out.push(message.slice(i, j));
    i = j;
  }
  return out;
}

/** Splits at commas outside quotes and `%…%`. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '"') {
      const end = findClosingQuote(body, i);
      cur += body.slice(i, end + 1);
      i = end;
    } else if (c === '%') {
      const end = body.indexOf('%', i + 1);
      if (end < 0) throw new FilterPatternError(`Invalid regex pattern '${body.slice(i)}'`);
      cur += body.slice(i, end + 1);
      i = end;
    } else if (c === ',') {
      parts.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  parts.push(cur.trim());
  if (parts.some((p) => p === '')) throw new FilterPatternError('Invalid space-delimited filter pattern: empty field');
  return parts;
}

function slotOf(spec: string): Slot {
  if (spec === '...') return { ellipsis: true };
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec)) return { ellipsis: false, test: () => true };
  // `a = 1 || a = 2 && …`: && binds tighter than ||, as in CloudWatch's JSON patterns.
  const ors = splitOutside(spec, '||').map((alt) => splitOutside(alt, '&&').map(conditionOf));
  return { ellipsis: false, test: (f) => ors.some((ands) => ands.every((t) => t(f))) };
}

function splitOutside(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '"') {
      const end = findClosingQuote(s, i);
      cur += s.slice(i, end + 1);
      i = end;
    } else if (s.startsWith(sep, i)) {
      out.push(cur.trim());
      cur = '';
      i += sep.length - 1;
    } else cur += s[i];
  }
  out.push(cur.trim());
  return out;
}

function conditionOf(cond: string): (field: string) => boolean {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*(!=|<=|>=|=|<|>)\s*(.+)$/s.exec(cond);
  if (!m) throw new FilterPatternError(`Invalid space-delimited filter pattern: bad condition '${cond}'`);
  const op = m[2]!;
  const raw = m[3]!.trim();
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) {
    const v = Number(raw);
    const cmp: Record<string, (x: number) => boolean> = { '=': (x) => x === v, '!=': (x) => x !== v, '<': (x) => x < v, '>': (x) => x > v, '<=': (x) => x <= v, '>=': (x) => x >= v };
    return (f) => {
      const x = f.trim() === '' ? NaN : Number(f);
      return !Number.isNaN(x) && cmp[op]!(x);
    };
  }
  if (op !== '=' && op !== '!=') throw new FilterPatternError(`Invalid space-delimited filter pattern: ${op} needs a number in '${cond}'`);
  let match: (s: string) => boolean;
  if (raw.startsWith('%') && raw.endsWith('%') && raw.length > 1) {
    const re = regexOf(raw.slice(1, -1));
    match = (s) => re.test(s);
  } else if (raw.startsWith('"')) {
    const end = findClosingQuote(raw, 0);
    if (end !== raw.length - 1) throw new FilterPatternError(`Invalid space-delimited filter pattern: bad value in '${cond}'`);
    match = wildcardTest(unescape(raw.slice(1, -1)));
  } else match = wildcardTest(raw);
  return op === '=' ? match : (s) => !match(s);
}
