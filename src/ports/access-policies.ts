import type { Principal } from '../domain/principal.js';

/** A policy document as stored (JSON text) with the id that names it in decisions and messages. */
export interface NamedPolicy {
  /** e.g. `arn:aws:iam::aws:policy/AWSLambda_FullAccess`, `user/alice/inline/invoke-b`, `function:b:$LATEST`. */
  id: string;
  /** The policy's JSON text, as stored. */
  document: string;
}

/** Every identity-based policy in force for one principal. */
export interface IdentityPolicies {
  /** Inline and attached policies of the user and its groups, or of the session's role. */
  identity: NamedPolicy[];
  /** A permissions boundary, when the user or role has one. */
  permissionsBoundary?: NamedPolicy;
  /** Session policies passed to AssumeRole / GetFederationToken, when any. */
  sessionPolicies?: NamedPolicy[];
}

/**
 * Where the authorizer reads identity-based policies (implemented by the IAM service over its store).
 * `revision` changes whenever any policy, attachment, membership, user, role or key changes, so
 * decision caches compare one number instead of re-reading policies.
 */
export interface IdentityPolicySource {
  identityPolicies(principal: Principal): IdentityPolicies;
  readonly revision: number;
}

/**
 * Where the authorizer reads resource-based policies: Lambda function and layer policies,
 * role trust policies (for sts:AssumeRole), later KMS key policies, queue policies, …
 * `revision` is the policy's own revision (Lambda's RevisionId), or anything that changes with it.
 */
export interface ResourcePolicySource {
  resourcePolicy(action: string, resourceArn: string): (NamedPolicy & { revision: string }) | undefined;
}
