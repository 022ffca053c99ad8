/**
 * IAM's wildcard matching compiled to RegExps: `*` is any run of characters, `?` exactly one.
 *
 * Two flavours:
 * - plain (Action, StringLike): `*` crosses everything, `/` and `:` included — IAM documents that
 *   StringLike's `*` matches across path separators;
 * - ARN-aware (Resource/NotResource, ArnLike/ArnEquals): IAM compares an ARN field by field, so in
 *   the partition, service, region and account fields a wildcard stays inside its field, while in
 *   the resource part (everything after the fifth colon) it may span `:` and `/`. A pattern with
 *   fewer fields leaves its last field open (`*` alone matches any resource).
 *
 * Text that came from a policy variable or an escape (`${*}`, `${?}`) is literal: a `*` there is a
 * star, not a wildcard.
 */
export interface PatternChunk {
  text: string;
  /** Whether `*` and `?` in `text` are wildcards. */
  wild: boolean;
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/;

function escapeChar(ch: string): string {
  return REGEX_SPECIAL.test(ch) ? '\\' + ch : ch;
}

/** Whether `text` has a wildcard character (before any variable resolution). */
export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}

/** The RegExp source (without anchors) of a pattern made of chunks. */
export function patternSource(chunks: readonly PatternChunk[], arnAware: boolean): string {
  let openFrom = 0;
  if (arnAware) {
    let colons = 0;
    for (const c of chunks) for (let i = 0; i < c.text.length; i++) if (c.text.charCodeAt(i) === 58) colons++;
    openFrom = Math.min(colons, 5);
  }
  let field = 0;
  let out = '';
  for (const c of chunks) {
    const t = c.text;
    for (let i = 0; i < t.length; i++) {
      const ch = t[i]!;
      if (ch === ':') {
        field++;
        out += ':';
      } else if (c.wild && ch === '*') {
        out += arnAware && field < openFrom ? '[^:]*' : '[\\s\\S]*';
      } else if (c.wild && ch === '?') {
        out += arnAware && field < openFrom ? '[^:]' : '[\\s\\S]';
      } else {
        out += escapeChar(ch);
      }
    }
  }
  return out;
}

/** One anchored RegExp matching any of the given sources. */
export function anchoredAlternation(sources: readonly string[], ignoreCase: boolean): RegExp {
  const body = sources.length === 1 ? sources[0]! : sources.map((s) => `(?:${s})`).join('|');
  return new RegExp(`^(?:${body})$`, ignoreCase ? 'i' : '');
}

/** A plain glob (Action, StringLike) as an anchored RegExp. */
export function compileGlob(text: string, ignoreCase: boolean): RegExp {
  return anchoredAlternation([patternSource([{ text, wild: true }], false)], ignoreCase);
}

/** An ARN-aware glob (Resource, ArnLike) as an anchored RegExp. */
export function compileArnGlob(text: string): RegExp {
  return anchoredAlternation([patternSource([{ text, wild: true }], true)], false);
}
