import { compileJsonPattern } from './json-filter-pattern.js';
import { compileSpaceDelimitedPattern } from './space-delimited-pattern.js';
import { FilterPatternError, findClosingQuote, regexOf, unescape, type LogEventMatcher } from './pattern-values.js';

/**
 * CloudWatch Logs' filter pattern syntax (FilterLogEvents, Live Tail, metric and subscription
 * filters), in its three forms:
 * - terms: `ERROR`, `"quoted phrase"`, `ERROR Exception` (all must occur), `-term` (must not occur),
 *   `?ERROR ?WARN` (any of them), `%regex%`; matching is case-sensitive, as in CloudWatch;
 * - JSON: `{ $.level = "ERROR" }`, `{ ($.latency > 50) && ($.user != "x*") }`, `IS NULL`, `NOT EXISTS`,
 *   `IS TRUE` / `IS FALSE` (json-filter-pattern.ts);
 * - space-delimited: `[ip, user, ..., status = 4*, bytes > 1000]` (space-delimited-pattern.ts).
 * An empty pattern (or only blanks) matches every event, as an omitted one does.
 */
export function compileFilterPattern(pattern: string): LogEventMatcher {
  const text = pattern.trim();
  if (text === '' || text === '""') return () => true;
  if (text.startsWith('{')) return compileJsonPattern(text);
  if (text.startsWith('[')) return compileSpaceDelimitedPattern(text);
  return compileTerms(text);
}

interface Term {
  kind: 'and' | 'not' | 'or';
  test: (message: string) => boolean;
}

function compileTerms(text: string): LogEventMatcher {
  const terms: Term[] = [];
  let at = 0;
  while (at < text.length) {
    const c = text[at]!;
    if (c === ' ' || c === '\t') {
      at++;
      continue;
    }
    let kind: Term['kind'] = 'and';
    if (c === '-' || c === '?') {
      kind = c === '-' ? 'not' : 'or';
      at++;
      if (at >= text.length || text[at] === ' ') throw new FilterPatternError(`Invalid character(s) in term '${c}'`);
    }
    const start = at;
    let test: (m: string) => boolean;
    if (text[at] === '"') {
      const end = findClosingQuote(text, at);
      const phrase = unescape(text.slice(at + 1, end));
      at = end + 1;
      test = phrase === '' ? () => true : (m) => m.includes(phrase);
    } else if (text[at] === '%') {
      const end = text.indexOf('%', at + 1);
      if (end < 0) throw new FilterPatternError(`Invalid regex pattern '${text.slice(at)}'`);
      const re = regexOf(text.slice(at + 1, end));
      at = end + 1;
      test = (m) => re.test(m);
    } else {
      while (at < text.length && text[at] !== ' ' && text[at] !== '\t') at++;
      const word = text.slice(start, at);
      if (/["{}[\]]/.test(word)) throw new FilterPatternError(`Invalid character(s) in term '${word}'`);
      test = (m) => m.includes(word);
    }
    terms.push({ kind, test });
  }
  const all = terms.filter((t) => t.kind === 'and');
  const none = terms.filter((t) => t.kind === 'not');
  const any = terms.filter((t) => t.kind === 'or');
  return (m) => all.every((t) => t.test(m)) && !none.some((t) => t.test(m)) && (any.length === 0 || any.some((t) => t.test(m)));
}

