import { kmsErrors } from './kms-errors.js';
import type { KmsTag } from './kms-records.js';

/** KMS's tag rules with its texts: at most 50, no duplicates in one request, no `aws:` keys. */
export function checkTags(tags: readonly KmsTag[]): void {
  if (tags.length > 50) throw kmsErrors.tag('Too many tags');
  const seen = new Set<string>();
  for (const t of tags) {
    if (seen.has(t.TagKey)) throw kmsErrors.tag('Duplicate tag keys');
    seen.add(t.TagKey);
    if (t.TagKey.toLowerCase().startsWith('aws:')) throw kmsErrors.tag('Tags beginning with aws: are reserved');
  }
}

/** Existing tags with the new ones added or replacing the value of the same key. */
export function mergeTags(existing: readonly KmsTag[], added: readonly KmsTag[]): KmsTag[] {
  const out = existing.map((t) => ({ ...t }));
  for (const t of added) {
    const same = out.find((o) => o.TagKey === t.TagKey);
    if (same) same.TagValue = t.TagValue;
    else out.push({ TagKey: t.TagKey, TagValue: t.TagValue });
  }
  return out;
}

/**
 * A key policy must be a JSON policy document with statements (MalformedPolicyDocumentException
 * otherwise). The authorizer parses it fully when it is first evaluated.
 */
export function validatePolicy(text: string): void {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw kmsErrors.malformedPolicy('The new key policy is not valid JSON.');
  }
  const statements = (doc as { Statement?: unknown } | null)?.Statement;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || statements === undefined || (Array.isArray(statements) && statements.length === 0)) {
    throw kmsErrors.malformedPolicy('The new key policy must contain at least one statement.');
  }
  const list = Array.isArray(statements) ? statements : [statements];
  for (const s of list) {
    if (typeof s !== 'object' || s === null) throw kmsErrors.malformedPolicy('Policy contains a statement that is not an object.');
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw kmsErrors.malformedPolicy('Policy contains a statement with an invalid Effect.');
    if (st.Principal === undefined && st.NotPrincipal === undefined) throw kmsErrors.malformedPolicy('Policy contains a statement with no principal.');
  }
}
