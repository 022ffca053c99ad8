import { AwsError } from '../../domain/errors.js';
import { parsePolicyDocument, PolicyDocumentError } from '../policy/policy-document.js';
import type { PolicyHolder, Tag } from './iam-store.js';

export type DocumentKind = 'identity' | 'trust';

/**
 * Checks a policy document as IAM does before storing it. The grammar is the policy language's
 * (MalformedPolicyDocument with IAM's words); the size limit is counted without whitespace, as
 * IAM counts it ("IAM doesn't count white space when calculating the size of a policy").
 */
export function checkPolicyDocument(text: string, kind: DocumentKind, limit: { max: number; message: string }): void {
  if (text.replace(/\s+/g, '').length > limit.max) throw new AwsError('LimitExceededException', limit.message);
  checkGrammar(text, kind);
}

/** The policy language's grammar check, answered as IAM's MalformedPolicyDocument. */
export function checkGrammar(text: string, kind: DocumentKind): void {
  // A trust policy that is not JSON at all gets its own words from IAM (CreateRole,
  // UpdateAssumeRolePolicy: "This policy contains invalid Json"); identity policies get the
  // policy language's "Syntax errors in policy.".
  if (kind === 'trust') {
    try {
      JSON.parse(text);
    } catch {
      throw new AwsError('MalformedPolicyDocumentException', 'This policy contains invalid Json');
    }
  }
  try {
    parsePolicyDocument(text, kind);
  } catch (e) {
    if (e instanceof PolicyDocumentError) throw new AwsError('MalformedPolicyDocumentException', e.message);
    throw e;
  }
}

/**
 * Policy documents travel URL-encoded in IAM's responses (GetUserPolicy, GetRole's
 * AssumeRolePolicyDocument, GetPolicyVersion…); the SDKs and the CLI decode them.
 */
export const encodeDocument = (text: string): string => encodeURIComponent(text);

/** IAM allows 50 tags per resource, keys unique without regard to case. */
export function mergeTags(existing: Tag[], added: Tag[] | undefined): Tag[] {
  const out = existing.map((t) => ({ ...t }));
  const seen = new Set<string>();
  for (const t of added ?? []) {
    const k = t.Key.toLowerCase();
    if (seen.has(k)) throw new AwsError('InvalidInputException', 'Duplicate tag keys found. Please note that Tag keys are case insensitive.');
    seen.add(k);
    const i = out.findIndex((o) => o.Key.toLowerCase() === k);
    if (i >= 0) out[i] = { Key: t.Key, Value: t.Value ?? '' };
    else out.push({ Key: t.Key, Value: t.Value ?? '' });
  }
  if (out.length > 50) throw new AwsError('LimitExceededException', 'The number of tags has reached the maximum limit.');
  return out;
}

export function removeTags(existing: Tag[], keys: string[] | undefined): Tag[] {
  const drop = new Set((keys ?? []).map((k) => k.toLowerCase()));
  return existing.filter((t) => !drop.has(t.Key.toLowerCase()));
}

/** Optional `Tags` member of an output: absent when empty, as IAM omits it. */
export const tagsMember = (tags: Tag[]): { Tags?: Tag[] } => (tags.length ? { Tags: tags.map((t) => ({ ...t })) } : {});

export interface Page<T> {
  items: T[];
  IsTruncated: boolean;
  Marker?: string;
}

/**
 * IAM's Marker/MaxItems pagination over a sorted list: MaxItems defaults to 100; the marker is
 * opaque to clients (here: the last returned item's sort key, base64).
 */
export function paginate<T>(sorted: T[], keyOf: (t: T) => string, input: { Marker?: string; MaxItems?: number }): Page<T> {
  const max = input.MaxItems ?? 100;
  let start = 0;
  if (input.Marker) {
    let after: string;
    try {
      after = Buffer.from(input.Marker, 'base64').toString('utf8');
    } catch {
      throw new AwsError('InvalidInputException', 'Invalid Marker.');
    }
    start = sorted.findIndex((t) => keyOf(t) > after);
    if (start < 0) start = sorted.length;
  }
  const items = sorted.slice(start, start + max);
  const truncated = start + max < sorted.length;
  return truncated
    ? { items, IsTruncated: true, Marker: Buffer.from(keyOf(items[items.length - 1]!), 'utf8').toString('base64') }
    : { items, IsTruncated: false };
}

/** A page as IAM's list outputs spell it: `{ <member>: items, IsTruncated, Marker? }`. */
export function pageOutput<T, R>(member: string, page: Page<T>, map: (t: T) => R): Record<string, unknown> {
  const out: Record<string, unknown> = { [member]: page.items.map(map), IsTruncated: page.IsTruncated };
  if (page.Marker) out.Marker = page.Marker;
  return out;
}

/** `PathPrefix` filtering as IAM does it: a plain string prefix of the entity's path. */
export const underPath = (path: string, prefix: string | undefined): boolean => !prefix || path.startsWith(prefix);

/** IAM's DeleteConflictException, with its message. */
export const deleteConflict = (message: string): AwsError => new AwsError('DeleteConflictException', message);

/** A user, group or role is deleted only once its inline and attached policies are gone (IAM checks in that order). */
export function refuseWhilePoliciesRemain(holder: PolicyHolder): void {
  if (Object.keys(holder.inline).length) throw deleteConflict('Cannot delete entity, must delete policies first.');
  if (holder.attached.length) throw deleteConflict('Cannot delete entity, must detach all policies first.');
}
