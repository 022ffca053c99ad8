/** A compiled filter pattern: does a message match? */
export type LogEventMatcher = (message: string) => boolean;

/** A pattern CloudWatch would refuse; the message becomes InvalidParameterException's. */
export class FilterPatternError extends Error {}

/** Index of the `"` closing the quote opened at `open` (a backslash escapes the next character). */
export function findClosingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  throw new FilterPatternError(`Invalid character(s) in term '${text.slice(open)}'`);
}

export function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

/** `%…%` regular expressions: CloudWatch's subset is a subset of JavaScript's; at most 2 per pattern there, not enforced here. */
export function regexOf(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    throw new FilterPatternError(`Invalid regex pattern '%${source}%'`);
  }
}

/** `*` as a wildcard (any run of characters) over the whole value, CloudWatch's string-value rule. */
export function wildcardTest(value: string): (s: string) => boolean {
  if (!value.includes('*')) return (s) => s === value;
  const re = new RegExp('^' + value.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 's');
  return (s) => re.test(s);
}
