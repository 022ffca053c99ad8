import { PolicyDocumentError } from './policy-document-error.js';
import type { PrincipalMap } from './policy-document.js';
import type { RequestPrincipal } from './request-keys.js';

/**
 * The Principal / NotPrincipal element ("AWS JSON policy elements: Principal"): validation when a
 * policy is stored, and matching against the caller when it is evaluated.
 */

const PRINCIPAL_TYPES = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const ACCOUNT = /^\d{12}$/;
const ROOT = /^arn:aws[a-z-]*:iam::(\d{12}):root$/;
// IAM users and roles (with paths), STS role sessions and federated users. IAM refuses wildcards
// in principal ARNs: only the bare "*" means everyone.
const IDENTITY_ARN =
  /^arn:aws[a-z-]*:(?:iam::\d{12}:(?:user|role)\/[\w+=,.@\/-]+|sts::\d{12}:(?:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|federated-user\/[\w+=,.@-]+))$/;
const SERVICE = /^[a-z0-9][a-z0-9.-]*$/;

function invalid(type: string, value: string): never {
  throw new PolicyDocumentError(`Invalid principal in policy: "${type}":"${value}"`);
}

function values(type: string, v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  throw new PolicyDocumentError('Syntax errors in policy.');
}

/** Validates and normalises a Principal / NotPrincipal value; IAM's "Invalid principal in policy: …" on a bad one. */
export function validatePrincipal(raw: unknown): PrincipalMap {
  if (raw === '*') return { AWS: ['*'] };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PolicyDocumentError('Syntax errors in policy.');
  }
  const out: PrincipalMap = {};
  for (const [type, v] of Object.entries(raw as Record<string, unknown>)) {
    const list = values(type, v);
    if (!PRINCIPAL_TYPES.has(type)) invalid(type, list[0]!);
    for (const p of list) {
      if (type === 'AWS' && !(p === '*' || ACCOUNT.test(p) || ROOT.test(p) || IDENTITY_ARN.test(p))) invalid(type, p);
      if (type === 'Service' && !(p === '*' || SERVICE.test(p))) invalid(type, p);
      if ((type === 'Federated' || type === 'CanonicalUser') && p.trim() === '') invalid(type, p);
    }
    out[type as keyof PrincipalMap] = list;
  }
  if (Object.keys(out).length === 0) throw new PolicyDocumentError('Syntax errors in policy.');
  return out;
}

/**
 * How a principal element matched the caller, which decides what else must allow:
 * - `exact`: the caller's own user ARN or role-session ARN — IAM adds such grants after the
 *   session exists, so neither a permissions boundary nor a session policy limits them;
 * - `role`: the session's role ARN, `*`, or a service — limited by boundary and session policies;
 * - `account`: the caller's account (`123456789012` / `arn:aws:iam::123456789012:root`) — the
 *   resource delegates to the account, whose identity policies must allow too.
 */
export type PrincipalMatch = 'exact' | 'role' | 'account' | undefined;

export interface CompiledPrincipal {
  everyone: boolean;
  accounts: Set<string>;
  arns: Set<string>;
  services: Set<string>;
}

export function compilePrincipal(p: PrincipalMap): CompiledPrincipal {
  const c: CompiledPrincipal = { everyone: false, accounts: new Set(), arns: new Set(), services: new Set() };
  for (const v of p.AWS ?? []) {
    if (v === '*') c.everyone = true;
    else if (ACCOUNT.test(v)) c.accounts.add(v);
    else {
      const root = ROOT.exec(v);
      if (root) c.accounts.add(root[1]!);
      else c.arns.add(v);
    }
  }
  for (const v of p.Service ?? []) {
    if (v === '*') c.everyone = true;
    else c.services.add(v.toLowerCase());
  }
  // Federated and CanonicalUser principals never sign Flint requests: they match no caller.
  return c;
}

export function matchPrincipal(c: CompiledPrincipal, who: RequestPrincipal): PrincipalMatch {
  if (who.type === 'Service') {
    return c.everyone || c.services.has(who.service.toLowerCase()) ? 'role' : undefined;
  }
  if (c.arns.has(who.arn)) return 'exact';
  if (c.everyone) return 'role';
  if (who.roleArn !== undefined && c.arns.has(who.roleArn)) return 'role';
  if (c.accounts.has(who.accountId)) return 'account';
  return undefined;
}
