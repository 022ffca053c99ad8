import type { Decision, PolicyType } from './policy-evaluator.js';

/** How IAM's AccessDenied messages name each policy type ("Troubleshoot access denied error messages"). */
const NAMES: Record<PolicyType, [article: string, name: string]> = {
  identity: ['an', 'identity-based policy'],
  resource: ['a', 'resource-based policy'],
  permissionsBoundary: ['a', 'permissions boundary'],
  sessionPolicy: ['a', 'session policy'],
};

/**
 * AWS's AccessDenied text: `User: <arn> is not authorized to perform: <action> on resource:
 * <resource> because no <type> allows the <action> action` for an implicit deny, `… with an
 * explicit deny in <a/an> <type>` for an explicit one.
 */
export function accessDeniedMessage(principalArn: string, action: string, resource: string, decision: Decision): string {
  const head = `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource}`;
  const [article, name] = NAMES[decision.policyType ?? 'identity'];
  if (decision.decision === 'ExplicitDeny') return `${head} with an explicit deny in ${article} ${name}`;
  return `${head} because no ${name} allows the ${action} action`;
}
