import { parseOperator } from './condition-operators.js';
import { PolicyDocumentError } from './policy-document-error.js';
import { validatePrincipal } from './principal-element.js';

export { PolicyDocumentError };

/** Principal / NotPrincipal with every value as an array; `"*"` is normalised to `{ AWS: ["*"] }` (IAM documents them as equivalent). */
export type PrincipalMap = Partial<Record<'AWS' | 'Service' | 'Federated' | 'CanonicalUser', string[]>>;

/** One statement, every element normalised to arrays. */
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: PrincipalMap;
  NotPrincipal?: PrincipalMap;
  Action?: string[];
  NotAction?: string[];
  Resource?: string[];
  NotResource?: string[];
  /** operator → context key → values (numbers and booleans as their JSON text). */
  Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  /** 2008-10-17 when the document gives none, as IAM assumes. */
  Version: '2008-10-17' | '2012-10-17';
  Id?: string;
  Statement: PolicyStatement[];
}

/** identity: user/group/role/managed policies, boundaries, session policies; resource: function, key, queue policies; trust: a role's AssumeRolePolicyDocument. */
export type PolicyKind = 'identity' | 'resource' | 'trust';

// IAM's MalformedPolicyDocument texts.
const SYNTAX = 'Syntax errors in policy.';
const VERSION = 'The policy failed legacy parsing';
const NO_ACTIONS = 'Policy statement must contain actions.';
const NO_RESOURCES = 'Policy statement must contain resources.';
const NO_VENDOR = 'Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.';
const ONE_COLON = 'Actions/Condition can contain only one colon.';
const SID_UNIQUE = 'Statement IDs (SID) in a single policy must be unique.';
const SID_ALNUM =
  'Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*';

const TOP_FIELDS = new Set(['Version', 'Id', 'Statement']);
const STATEMENT_FIELDS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);

function fail(message: string): never {
  throw new PolicyDocumentError(message);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string or a non-empty array of strings, as an array. */
function stringList(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  return fail(SYNTAX);
}

function checkAction(a: string): void {
  if (a === '*') return;
  const colon = a.indexOf(':');
  if (colon <= 0) fail(NO_VENDOR);
  if (a.indexOf(':', colon + 1) >= 0) fail(ONE_COLON);
}

function checkResource(r: string): void {
  // IAM: a Resource is "*" or an ARN (a policy variable may stand for all of it).
  if (r === '*' || r.startsWith('arn:') || r.startsWith('${')) return;
  fail(`Resource ${r} must be in ARN format or "*".`);
}

function conditionValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(SYNTAX);
}

function parseCondition(raw: unknown): Record<string, Record<string, string[]>> {
  if (!isObject(raw)) fail(SYNTAX);
  const out: Record<string, Record<string, string[]>> = {};
  for (const [op, block] of Object.entries(raw)) {
    if (!parseOperator(op)) fail(`Invalid Condition type : ${op}`);
    if (!isObject(block)) fail(SYNTAX);
    const keys: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(block)) {
      if (key.indexOf(':') <= 0) fail(NO_VENDOR);
      const list = Array.isArray(values) ? values.map(conditionValue) : [conditionValue(values)];
      keys[key] = list;
    }
    out[op] = keys;
  }
  return out;
}

function parseStatement(raw: unknown, kind: PolicyKind): PolicyStatement {
  if (!isObject(raw)) fail(SYNTAX);
  for (const field of Object.keys(raw)) if (!STATEMENT_FIELDS.has(field)) fail(`Unknown field ${field}`);
  const s: Partial<PolicyStatement> = {};

  if (raw.Sid !== undefined) {
    if (typeof raw.Sid !== 'string') fail(SYNTAX);
    // Identity policies restrict Sids to letters and digits; resource policies (Lambda's
    // AddPermission StatementId, S3, KMS) allow more.
    if (kind === 'identity' && !/^[0-9A-Za-z]*$/.test(raw.Sid)) fail(SID_ALNUM);
    s.Sid = raw.Sid;
  }

  if (raw.Effect === undefined) fail('Missing required field Effect');
  if (raw.Effect !== 'Allow' && raw.Effect !== 'Deny') fail(SYNTAX);
  s.Effect = raw.Effect;

  const hasPrincipal = raw.Principal !== undefined || raw.NotPrincipal !== undefined;
  if (kind === 'identity') {
    if (hasPrincipal) fail('Policy document should not specify a principal.');
  } else {
    if (!hasPrincipal) fail('Missing required field Principal');
    if (raw.Principal !== undefined && raw.NotPrincipal !== undefined) fail(SYNTAX);
    if (raw.Principal !== undefined) s.Principal = validatePrincipal(raw.Principal);
    else s.NotPrincipal = validatePrincipal(raw.NotPrincipal);
  }

  if (raw.Action !== undefined && raw.NotAction !== undefined) fail(SYNTAX);
  if (raw.Action === undefined && raw.NotAction === undefined) fail(NO_ACTIONS);
  if (raw.Action !== undefined) (s.Action = stringList(raw.Action)).forEach(checkAction);
  else (s.NotAction = stringList(raw.NotAction)).forEach(checkAction);

  if (kind === 'trust') {
    // A role's trust policy is attached to the role itself: it names no resource.
    if (raw.Resource !== undefined) fail('Has prohibited field Resource');
    if (raw.NotResource !== undefined) fail('Has prohibited field NotResource');
  } else {
    if (raw.Resource !== undefined && raw.NotResource !== undefined) fail(SYNTAX);
    if (raw.Resource === undefined && raw.NotResource === undefined) fail(NO_RESOURCES);
    if (raw.Resource !== undefined) (s.Resource = stringList(raw.Resource)).forEach(checkResource);
    else (s.NotResource = stringList(raw.NotResource)).forEach(checkResource);
  }

  if (raw.Condition !== undefined) s.Condition = parseCondition(raw.Condition);
  return s as PolicyStatement;
}

/**
 * Parses and validates a policy as IAM does when it is stored (CreatePolicy, PutUserPolicy,
 * CreateRole's AssumeRolePolicyDocument, Lambda's AddPermission, …), throwing PolicyDocumentError
 * with IAM's MalformedPolicyDocument text. IAM's own rules, not Access Analyzer's warnings: action
 * and condition-key names are not checked against the service catalog.
 */
export function parsePolicyDocument(text: string, kind: PolicyKind): PolicyDocument {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    fail(SYNTAX);
  }
  if (!isObject(raw)) fail(SYNTAX);
  for (const field of Object.keys(raw)) if (!TOP_FIELDS.has(field)) fail(`Unknown field ${field}`);

  let version: PolicyDocument['Version'] = '2008-10-17';
  if (raw.Version !== undefined) {
    if (raw.Version !== '2012-10-17' && raw.Version !== '2008-10-17') fail(VERSION);
    version = raw.Version;
  }
  if (raw.Id !== undefined && typeof raw.Id !== 'string') fail(SYNTAX);

  const rawStatements = Array.isArray(raw.Statement) ? raw.Statement : raw.Statement === undefined ? [] : [raw.Statement];
  if (rawStatements.length === 0) fail(SYNTAX);
  const statements = rawStatements.map((st) => parseStatement(st, kind));

  const sids = new Set<string>();
  for (const st of statements) {
    if (!st.Sid) continue;
    if (sids.has(st.Sid)) fail(SID_UNIQUE);
    sids.add(st.Sid);
  }

  const doc: PolicyDocument = { Version: version, Statement: statements };
  if (typeof raw.Id === 'string') doc.Id = raw.Id;
  return doc;
}
