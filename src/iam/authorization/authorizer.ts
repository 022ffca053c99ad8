import { AccessDeniedException, type AwsError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import type { IdentityPolicies, IdentityPolicySource, NamedPolicy, ResourcePolicySource } from '../../ports/access-policies.js';
import { accessDeniedMessage } from '../policy/access-denied-message.js';
import { evaluatePolicies, type Decision } from '../policy/policy-evaluator.js';
import { ActionCatalog, type CatalogAction } from './action-catalog.js';
import { DecisionCache } from './decision-cache.js';
import { PolicyCache, type PolicyKind } from './policy-cache.js';
import type { ConnectionFacts } from './request-context.js';
import { RequestResolver } from './request-resolver.js';
import type { ContextValues, EntityPaths, OperationInput } from './service-resources.js';
import type { KmsKeyLookup } from './kms-resources.js';

export type { Decision };

/** Who asks: a verified caller, or an AWS service acting for one (only resource policies apply). */
export type Caller = Principal | { type: 'Service'; service: string };

export interface AuthorizerOptions {
  identityPolicies: IdentityPolicySource;
  resourcePolicies: ResourcePolicySource;
  region: string;
  accountId: string;
  /** Epoch ms, for aws:CurrentTime / aws:EpochTime. */
  now: () => number;
  paths: EntityPaths;
  /** The function ARN of an event source mapping, for `lambda:FunctionArn` on Get/Update/Delete. */
  eventSourceMappingFunction?: (uuid: string) => string | undefined;
  /** KMS: the key an alias or ciphertext names, so alias uses are authorized against the key. */
  kms?: KmsKeyLookup;
  partition?: string;
  /** Context-free decisions kept (default 10,000). */
  cacheSize?: number;
  catalog?: ActionCatalog;
}

/** What the front door asks about every request, after decoding and validation. */
export interface AuthorizationRequest extends ConnectionFacts {
  principal: Principal;
  /** SigV4 signing name. */
  service: string;
  /** Model operation name. */
  operation: string;
  input: OperationInput;
}

const ALLOW: Decision = Object.freeze({ decision: 'Allow', contextFree: true }) as Decision;

/**
 * Actions AWS never denies: "No permissions are required to perform this operation"
 * (GetCallerIdentity) and "You cannot use policies to control authentication operations"
 * (GetSessionToken) — STS API reference and IAM user guide.
 */
const NEVER_DENIED = new Set(['sts:GetCallerIdentity', 'sts:GetSessionToken']);

/** Actions whose resource policy is the role's trust policy, which must itself allow the call. */
const TRUST_ACTIONS = new Set(['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity']);

/**
 * KMS key policies must themselves allow, like trust policies: "Unless the key policy explicitly
 * allows it, you cannot use IAM policies to allow access to a KMS key" (KMS developer guide, key
 * policies); a statement naming the account root delegates to IAM policies.
 */
function isKeyPolicy(action: string, resource: string): boolean {
  return action.startsWith('kms:') && resource.includes(':key/') && resource.startsWith('arn:');
}

const NO_IDENTITY: IdentityPolicies = { identity: [] };

/**
 * Decides every request to every service Flint serves as IAM does: the operation's action(s) from
 * the Service Authorization Reference, the resource ARN(s) from the input, the caller's identity
 * policies and the resource's policy. Decisions that did not depend on the request context are
 * cached until any policy changes, so a warm call costs a few map lookups.
 */
export class Authorizer {
  readonly #identity: IdentityPolicySource;
  readonly #resources: ResourcePolicySource;
  readonly #now: () => number;
  readonly #region: string;
  readonly #resolver: RequestResolver;
  readonly #decisions: DecisionCache<Decision>;
  readonly #policies = new PolicyCache();

  constructor(opts: AuthorizerOptions) {
    this.#identity = opts.identityPolicies;
    this.#resources = opts.resourcePolicies;
    this.#now = opts.now;
    this.#region = opts.region;
    this.#resolver = new RequestResolver({
      partition: opts.partition ?? 'aws',
      region: opts.region,
      accountId: opts.accountId,
      paths: opts.paths,
      eventSourceMappingFunction: opts.eventSourceMappingFunction,
      kms: opts.kms,
    }, opts.catalog);
    this.#decisions = new DecisionCache(opts.cacheSize);
  }

  /** The resolver, for callers that need the action / resource of a request (audit, tests). */
  get resolver(): RequestResolver {
    return this.#resolver;
  }

  /**
   * Checks every action the operation needs on every resource it names; throws
   * AccessDeniedException with AWS's message at the first that is not allowed. The account's root
   * is never restricted by IAM policies, as in AWS.
   */
  authorize(req: AuthorizationRequest): void {
    const principal = req.principal;
    if (principal.type === 'Account') return;
    const entry = this.#resolver.actions(req.service, req.operation);
    const actions = entry ? entry.actions : [unknownServiceAction(req.service, req.operation)];
    for (let i = 0; i < actions.length; i++) {
      const action = actions[i]!;
      if (NEVER_DENIED.has(action.action)) continue;
      const resources = this.#resolver.resources(action, req.input, principal);
      for (let j = 0; j < resources.length; j++) {
        const resource = resources[j]!;
        const d = this.#decide(principal, action.action, resource, action, req, undefined);
        if (d.decision !== 'Allow') throw denied(principal.arn, action.action, resource, d);
      }
    }
  }

  /**
   * One action on one resource, for checks inside an operation (iam:PassRole at CreateFunction)
   * and for services acting for a principal (pass aws:SourceArn / aws:SourceAccount in `context`).
   */
  check(caller: Caller, action: string, resource: string, context?: ContextValues): Decision {
    if (caller.type === 'Account' || NEVER_DENIED.has(action)) return ALLOW;
    return this.#decide(caller, action, resource, undefined, undefined, context ?? {});
  }

  /** `check`, throwing AccessDeniedException with AWS's message when not allowed. */
  checkAccess(caller: Caller, action: string, resource: string, context?: ContextValues): void {
    const d = this.check(caller, action, resource, context);
    if (d.decision !== 'Allow') throw denied(caller.type === 'Service' ? caller.service : caller.arn, action, resource, d);
  }

  /** Cached decisions (for tests and metrics). */
  get cachedDecisions(): number {
    return this.#decisions.size;
  }

  /**
   * The hit path: two revision reads, one resource-policy lookup, one key, one map lookup. The
   * request context is built only on a miss (`catalogAction` + `req`), or given (`explicit`).
   */
  #decide(
    caller: Caller, action: string, resource: string,
    catalogAction: CatalogAction | undefined, req: AuthorizationRequest | undefined, explicit: ContextValues | undefined,
  ): Decision {
    const identityRevision = this.#identity.revision;
    const rp = resource === '*' ? undefined : this.#resources.resourcePolicy(action, resource);
    const key = callerKey(caller) + '\n' + action + '\n' + resource;
    const hit = this.#decisions.get(key, identityRevision, rp?.revision);
    if (hit !== undefined) return hit;

    const context = catalogAction && req
      ? this.#resolver.context(catalogAction, req.input, req.principal, req)
      : this.#explicitContext(explicit ?? {});
    const trust = TRUST_ACTIONS.has(action);
    // Only a key that exists has a policy; an unknown key is then the operation's NotFoundException.
    const keyPolicy = rp !== undefined && isKeyPolicy(action, resource);
    const ip = caller.type === 'Service' ? NO_IDENTITY : this.#identity.identityPolicies(caller);
    const parse = (p: NamedPolicy, kind: PolicyKind) => ({ id: p.id, document: this.#policies.parse(p.document, kind) });
    const decision = evaluatePolicies(
      { principal: caller, action, resource, context, now: this.#now() },
      {
        identity: ip.identity.map((p) => parse(p, 'identity')),
        resource: rp && parse(rp, trust ? 'trust' : 'resource'),
        permissionsBoundary: ip.permissionsBoundary && parse(ip.permissionsBoundary, 'identity'),
        sessionPolicies: ip.sessionPolicies?.map((p) => parse(p, 'identity')),
        requireResourcePolicy: trust || keyPolicy,
      },
    );
    if (decision.contextFree) this.#decisions.set(key, identityRevision, rp?.revision, decision);
    return decision;
  }

  /** For `check`: the region, under what the caller passes (the evaluator derives the principal's keys). */
  #explicitContext(given: ContextValues): ContextValues {
    return { 'aws:RequestedRegion': this.#region, ...given };
  }
}

/**
 * A role session's cache entries are its own: two sessions of one role with the same name may
 * carry different session policies, so the issue time is part of the key.
 */
function callerKey(caller: Caller): string {
  if (caller.type === 'Service') return 'service:' + caller.service;
  return caller.tokenIssuedAt === undefined ? caller.arn : caller.arn + '\t' + caller.tokenIssuedAt;
}

function denied(principalArn: string, action: string, resource: string, d: Decision): AwsError {
  return new AccessDeniedException(accessDeniedMessage(principalArn, action, resource, d));
}

/** A service the catalog does not hold: evaluated as `<service>:<Operation>` on `*`. */
function unknownServiceAction(service: string, operation: string): CatalogAction {
  return { action: `${service}:${operation}`, prefix: service, resourceTypes: [], conditionKeys: new Set() };
}
