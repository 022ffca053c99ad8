import {
  compilePolicy,
  conditionsHold,
  matchesAction,
  matchesPrincipal,
  matchesResource,
} from './compiled-policy.js';
import type { PolicyDocument } from './policy-document.js';
import { RequestKeys, type RequestPrincipal } from './request-keys.js';

export interface EvaluationRequest {
  principal: RequestPrincipal;
  /** e.g. `lambda:InvokeFunction`; matched case-insensitively. */
  action: string;
  /** An ARN or `*`; matched case-sensitively. */
  resource: string;
  /** Request condition keys; names are case-insensitive. */
  context: Record<string, string | string[] | undefined>;
  /** Epoch ms: aws:CurrentTime and aws:EpochTime. */
  now: number;
}

export interface NamedDocument {
  id: string;
  document: PolicyDocument;
}

export interface PolicySet {
  identity: NamedDocument[];
  resource?: NamedDocument;
  permissionsBoundary?: NamedDocument;
  sessionPolicies?: NamedDocument[];
  /**
   * Role trust policies and KMS key policies: the resource policy MUST allow; when it allows only
   * through an account-wide principal ("arn:aws:iam::<acct>:root" or the bare account id) an
   * identity-policy allow is needed too.
   */
  requireResourcePolicy?: boolean;
}

export type PolicyType = 'identity' | 'resource' | 'permissionsBoundary' | 'sessionPolicy';

export interface Decision {
  decision: 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';
  /** ExplicitDeny: where the deny statement was; ImplicitDeny: which policy type failed to allow. */
  policyType?: PolicyType;
  /** `<policy id>#<Sid or statement index>` of the deciding statement, when one decided. */
  statement?: string;
  /**
   * True when no statement that matched this principal/action/resource carried a Condition (or an
   * unconditional deny decided): the same decision holds for any context, so callers may cache it
   * by (principal, action, resource).
   */
  contextFree: boolean;
}

/** What one policy type's statements said about the request. */
interface Scan {
  deny: string | undefined;
  denyConditional: boolean;
  /** Allows by how the statement named the caller (see PrincipalMatch); `holder` = identity-side. */
  holder: string | undefined;
  exact: string | undefined;
  role: string | undefined;
  account: string | undefined;
  /** A statement matching principal, action and resource carried a Condition. */
  conditional: boolean;
}

function newScan(): Scan {
  return { deny: undefined, denyConditional: false, holder: undefined, exact: undefined, role: undefined, account: undefined, conditional: false };
}

function scan(entries: readonly NamedDocument[], req: EvaluationRequest, lowerAction: string, keys: RequestKeys): Scan {
  const out = newScan();
  for (const entry of entries) {
    const statements = compilePolicy(entry.document).statements;
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i]!;
      if (!matchesAction(s, lowerAction)) continue;
      if (!matchesResource(s, req.resource, keys)) continue;
      const m = matchesPrincipal(s, req.principal);
      if (m === undefined) continue;
      if (s.conditions.length > 0) {
        out.conditional = true;
        if (!conditionsHold(s, keys)) continue;
      }
      const label = `${entry.id}#${s.label}`;
      if (!s.allow) {
        // Explicit deny wins over everything: the first one decides.
        out.deny = label;
        out.denyConditional = s.conditions.length > 0;
        return out;
      }
      if (out[m] === undefined) out[m] = label;
    }
  }
  return out;
}

function allowed(s: Scan | undefined): string | undefined {
  return s ? s.holder ?? s.exact ?? s.role ?? s.account : undefined;
}

/** The resource's account: an ARN's fifth field; `*` and account-less ARNs are the caller's own. */
function resourceAccount(resource: string): string | undefined {
  if (!resource.startsWith('arn:')) return undefined;
  let i = 0;
  for (let n = 0; n < 4; n++) {
    i = resource.indexOf(':', i) + 1;
    if (i === 0) return undefined;
  }
  const end = resource.indexOf(':', i);
  const acct = end < 0 ? resource.slice(i) : resource.slice(i, end);
  return acct === '' ? undefined : acct;
}

/**
 * Decides a request as IAM does ("Policy evaluation logic", "Cross-account policy evaluation
 * logic"): an explicit deny in any policy wins; within one account an identity-policy allow (within
 * the permissions boundary and session policies) or a resource-policy allow that names the caller
 * suffices; across accounts both the caller's identity policies and the resource policy must allow.
 * The account root is not special here: callers let it through before asking.
 */
export function evaluatePolicies(request: EvaluationRequest, policies: PolicySet): Decision {
  const keys = new RequestKeys(request.principal, request.context, request.now);
  const lowerAction = request.action.toLowerCase();
  const who = request.principal;
  const isService = who.type === 'Service';

  const groups: Array<[PolicyType, readonly NamedDocument[] | undefined]> = [
    ['identity', isService ? undefined : policies.identity],
    ['resource', policies.resource ? [policies.resource] : undefined],
    ['permissionsBoundary', isService || !policies.permissionsBoundary ? undefined : [policies.permissionsBoundary]],
    ['sessionPolicy', isService || !policies.sessionPolicies?.length ? undefined : policies.sessionPolicies],
  ];
  const scans: Partial<Record<PolicyType, Scan>> = {};
  let conditional = false;
  for (const [type, entries] of groups) {
    if (!entries) continue;
    const result = scan(entries, request, lowerAction, keys);
    conditional ||= result.conditional;
    if (result.deny !== undefined) {
      // An unconditional deny decides for every context; a conditional one only for this one.
      return { decision: 'ExplicitDeny', policyType: type, statement: result.deny, contextFree: !result.denyConditional };
    }
    scans[type] = result;
  }
  const contextFree = !conditional;
  const implicit = (policyType: PolicyType): Decision => ({ decision: 'ImplicitDeny', policyType, contextFree });
  const allow = (statement: string): Decision => ({ decision: 'Allow', statement, contextFree });

  const res = scans.resource;
  if (isService) {
    // Service principals have no identity policies: only a resource policy can let them in.
    const s = res?.exact ?? res?.role;
    return s ? allow(s) : implicit('resource');
  }

  const idAllow = scans.identity?.holder;
  const boundaryOk = !policies.permissionsBoundary || allowed(scans.permissionsBoundary) !== undefined;
  const sessionOk = !scans.sessionPolicy || allowed(scans.sessionPolicy) !== undefined;
  const limitsOk = boundaryOk && sessionOk;
  const limitFailure: PolicyType = boundaryOk ? 'sessionPolicy' : 'permissionsBoundary';
  const identitySide = idAllow !== undefined && limitsOk;
  const identityFailure: PolicyType = idAllow === undefined ? 'identity' : limitFailure;

  const resourceAcct = resourceAccount(request.resource);
  const crossAccount = resourceAcct !== undefined && resourceAcct !== who.accountId;
  const resAny = res?.exact ?? res?.role ?? res?.account;

  if (crossAccount) {
    // Both sides must allow; an account-wide grant in the resource policy counts, since it is the
    // resource account delegating to the caller's account, whose identity policies then decide.
    if (!identitySide) return implicit(identityFailure);
    return resAny ? allow(resAny) : implicit('resource');
  }

  // Same account. A grant to the caller's exact ARN (user, or role session) is not limited by a
  // permissions boundary or session policy; a grant to the role (or to everyone) is.
  if (res?.exact) return allow(res.exact);
  if (res?.role && limitsOk) return allow(res.role);
  if (policies.requireResourcePolicy) {
    // Trust and key policies: the resource policy must allow; naming only the account delegates
    // to the account's identity policies.
    if (res?.role) return implicit(limitFailure);
    if (!res?.account) return implicit('resource');
    return identitySide ? allow(res.account) : implicit(identityFailure);
  }
  if (identitySide) return allow(idAllow!);
  if (res?.role) return implicit(limitFailure);
  return implicit(identityFailure);
}
