import { parseDocument, type Tags } from 'yaml';
import { TemplateError } from './template-error.js';

/**
 * CloudFormation's short-form tags, each turned into its long form (`!Ref X` → `{ Ref: X }`,
 * `!GetAtt A.B` → `{ 'Fn::GetAtt': ['A', 'B'] }`), on scalars, sequences and mappings alike.
 */
const FUNCTIONS = [
  'Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub',
  'Transform', 'If', 'Equals', 'Not', 'And', 'Or', 'Length', 'ToJsonString',
];

function cfnTags(): Tags {
  const tags: Tags = [];
  for (const name of ['Ref', 'Condition', ...FUNCTIONS]) {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    tags.push({
      tag: `!${name}`,
      resolve: (s: string) => ({ [key]: name === 'GetAtt' ? splitGetAtt(s) : s }),
    });
    tags.push({ tag: `!${name}`, collection: 'seq', resolve: (seq) => ({ [key]: seq.toJSON() }) });
    tags.push({ tag: `!${name}`, collection: 'map', resolve: (map) => ({ [key]: map.toJSON() }) });
  }
  return tags;
}

/** `A.B.C` → `['A', 'B.C']`: attribute names may contain dots (`Endpoint.Address`), resource ids never. */
function splitGetAtt(s: string): string[] {
  const dot = s.indexOf('.');
  return dot < 0 ? [s] : [s.slice(0, dot), s.slice(dot + 1)];
}

/** Parses a template (YAML or JSON) into plain data with long-form intrinsics; any error is one line naming the place. */
export function parseTemplateText(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text, { customTags: cfnTags(), prettyErrors: true, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (problem) {
    const at = problem.linePos?.[0];
    const where = at ? `${file}:${at.line}:${at.col}` : file;
    throw new TemplateError(`${where}: ${problem.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TemplateError(`${file}: a template is a mapping with a Resources section`);
  }
  return value as Record<string, unknown>;
}
