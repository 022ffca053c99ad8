import { parseOperator } from './condition-operators.js';
import { compileCondition, evaluateCondition, patternMatcher, type CompiledCondition } from './condition-evaluator.js';
import { anchoredAlternation, hasWildcard, patternSource } from './glob-pattern.js';
import type { PolicyDocument, PolicyStatement } from './policy-document.js';
import { parseTemplate } from './policy-variables.js';
import { compilePrincipal, matchPrincipal, type CompiledPrincipal, type PrincipalMatch } from './principal-element.js';
import type { RequestKeys, RequestPrincipal } from './request-keys.js';

/**
 * A policy document turned into matchers once (cached per document object): action globs become
 * one case-insensitive RegExp plus a set of exact names, resources one ARN-aware RegExp plus a set,
 * and condition values are parsed up front. Evaluating a statement then allocates nothing unless a
 * condition or a policy variable needs the request's keys.
 */
export interface CompiledStatement {
  /** Sid, or the statement's index when it has none: the `#…` part of Decision.statement. */
  label: string;
  allow: boolean;
  notAction: boolean;
  actionsExact: Set<string>;
  actionsPattern: RegExp | undefined;
  notResource: boolean;
  /** Trust policies have no Resource: every resource matches. */
  anyResource: boolean;
  resourcesExact: Set<string>;
  resourcesPattern: RegExp | undefined;
  /** Resource entries with policy variables. */
  resourcesDynamic: Array<ReturnType<typeof patternMatcher>>;
  principal: CompiledPrincipal | undefined;
  notPrincipal: boolean;
  conditions: CompiledCondition[];
}

export interface CompiledPolicy {
  statements: CompiledStatement[];
}

const cache = new WeakMap<PolicyDocument, CompiledPolicy>();

function compileStatement(s: PolicyStatement, index: number, variables: boolean): CompiledStatement {
  const actions = s.Action ?? s.NotAction ?? [];
  const actionsExact = new Set<string>();
  const actionSources: string[] = [];
  for (const a of actions) {
    if (hasWildcard(a)) actionSources.push(patternSource([{ text: a, wild: true }], false));
    else actionsExact.add(a.toLowerCase());
  }

  const resources = s.Resource ?? s.NotResource;
  const resourcesExact = new Set<string>();
  const resourceSources: string[] = [];
  const resourcesDynamic: CompiledStatement['resourcesDynamic'] = [];
  for (const r of resources ?? []) {
    const t = parseTemplate(r, variables);
    if (t.dynamic) resourcesDynamic.push(patternMatcher([t], true));
    else if (t.parts.length === 1 && !hasWildcard(r)) resourcesExact.add(r);
    else resourceSources.push(patternSource(t.parts.map((p) => ({ text: (p as { text: string }).text, wild: p.kind === 'text' })), true));
  }

  const conditions: CompiledCondition[] = [];
  for (const [op, block] of Object.entries(s.Condition ?? {})) {
    const spec = parseOperator(op)!;
    for (const [key, values] of Object.entries(block)) conditions.push(compileCondition(spec, key, values, variables));
  }

  const principal = s.Principal ?? s.NotPrincipal;
  return {
    label: s.Sid ? s.Sid : String(index),
    allow: s.Effect === 'Allow',
    notAction: s.NotAction !== undefined,
    actionsExact,
    actionsPattern: actionSources.length ? anchoredAlternation(actionSources, true) : undefined,
    notResource: s.NotResource !== undefined,
    anyResource: resources === undefined,
    resourcesExact,
    resourcesPattern: resourceSources.length ? anchoredAlternation(resourceSources, false) : undefined,
    resourcesDynamic,
    principal: principal ? compilePrincipal(principal) : undefined,
    notPrincipal: s.NotPrincipal !== undefined,
    conditions,
  };
}

export function compilePolicy(doc: PolicyDocument): CompiledPolicy {
  let compiled = cache.get(doc);
  if (!compiled) {
    const variables = doc.Version === '2012-10-17';
    compiled = { statements: doc.Statement.map((s, i) => compileStatement(s, i, variables)) };
    cache.set(doc, compiled);
  }
  return compiled;
}

/** Action / NotAction: `lowerAction` is the request's action, lower-cased once per request. */
export function matchesAction(s: CompiledStatement, lowerAction: string): boolean {
  const hit = s.actionsExact.has(lowerAction) || (s.actionsPattern !== undefined && s.actionsPattern.test(lowerAction));
  return hit !== s.notAction;
}

/** Resource / NotResource (case-sensitive, ARN-aware wildcards, policy variables). */
export function matchesResource(s: CompiledStatement, resource: string, keys: RequestKeys): boolean {
  if (s.anyResource) return true;
  let hit = s.resourcesExact.has(resource) || (s.resourcesPattern !== undefined && s.resourcesPattern.test(resource));
  if (!hit) for (const d of s.resourcesDynamic) if (d.bind(keys)(resource)) { hit = true; break; }
  return hit !== s.notResource;
}

/**
 * Principal / NotPrincipal. Identity policies have neither (the statement applies to its holder).
 * NotPrincipal matches every caller its list does not name; such a match limits like a role grant.
 */
export function matchesPrincipal(s: CompiledStatement, who: RequestPrincipal): PrincipalMatch | 'holder' {
  if (!s.principal) return 'holder';
  const m = matchPrincipal(s.principal, who);
  if (!s.notPrincipal) return m;
  return m === undefined ? 'role' : undefined;
}

/** Every condition holds (conditions are ANDed: operators, and keys within one operator). */
export function conditionsHold(s: CompiledStatement, keys: RequestKeys): boolean {
  for (const c of s.conditions) if (!evaluateCondition(c, keys)) return false;
  return true;
}
