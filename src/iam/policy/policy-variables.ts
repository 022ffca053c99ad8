import type { PatternChunk } from './glob-pattern.js';

/**
 * Policy variables ("IAM policy elements: Variables and tags"): `${key}` in a Resource/NotResource
 * entry or in the value of a String or Arn condition operator is replaced by the request's value of that context
 * key (key names case-insensitive); `${key, 'default'}` supplies a default when the key has no
 * value; `${*}`, `${?}` and `${$}` stand for a literal `*`, `?` and `$`. Variables exist only in
 * Version 2012-10-17 documents; in 2008-10-17 the text is taken literally.
 *
 * A variable whose key has no value (or is multivalued — IAM does not substitute those) and no
 * default leaves the element unresolved: that Resource entry or condition value matches nothing,
 * mirroring IAM's "if AWS cannot resolve a variable this might cause the entire statement to be
 * invalid".
 */
export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'literal'; text: string }
  | { kind: 'variable'; key: string; fallback: string | undefined };

export interface Template {
  /** The element as written. */
  source: string;
  parts: TemplatePart[];
  /** Whether any part needs the request to resolve. */
  dynamic: boolean;
}

/** Reads a request context key (lower-cased name) for substitution. */
export type VariableLookup = (lowerKey: string) => string | readonly string[] | undefined;

const VARIABLE = /\$\{\s*([^,}]*?)\s*(?:,\s*'([^']*)'\s*)?\}/g;

export function parseTemplate(source: string, variablesEnabled: boolean): Template {
  if (!variablesEnabled || !source.includes('${')) {
    return { source, parts: [{ kind: 'text', text: source }], dynamic: false };
  }
  const parts: TemplatePart[] = [];
  let last = 0;
  let dynamic = false;
  VARIABLE.lastIndex = 0;
  for (let m = VARIABLE.exec(source); m; m = VARIABLE.exec(source)) {
    if (m.index > last) parts.push({ kind: 'text', text: source.slice(last, m.index) });
    const name = m[1]!;
    if (name === '*' || name === '?' || name === '$') {
      parts.push({ kind: 'literal', text: name });
    } else {
      parts.push({ kind: 'variable', key: name.toLowerCase(), fallback: m[2] });
      dynamic = true;
    }
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push({ kind: 'text', text: source.slice(last) });
  return { source, parts, dynamic };
}

function variableValue(part: { key: string; fallback: string | undefined }, lookup: VariableLookup) {
  const v = lookup(part.key);
  if (typeof v === 'string') return v;
  if (v && v.length === 1) return v[0]!;
  return part.fallback;
}

/** The template with its variables substituted, as plain text; undefined when one is unresolved. */
export function resolveText(t: Template, lookup: VariableLookup): string | undefined {
  if (!t.dynamic) {
    let s = '';
    for (const p of t.parts) s += (p as { text: string }).text;
    return s;
  }
  let s = '';
  for (const p of t.parts) {
    if (p.kind === 'variable') {
      const v = variableValue(p, lookup);
      if (v === undefined) return undefined;
      s += v;
    } else s += p.text;
  }
  return s;
}

/** The template as pattern chunks (substituted text is literal); undefined when unresolved. */
export function resolveChunks(t: Template, lookup: VariableLookup): PatternChunk[] | undefined {
  const out: PatternChunk[] = [];
  for (const p of t.parts) {
    if (p.kind === 'variable') {
      const v = variableValue(p, lookup);
      if (v === undefined) return undefined;
      out.push({ text: v, wild: false });
    } else out.push({ text: p.text, wild: p.kind === 'text' });
  }
  return out;
}
