import type { MetadataStore } from '../ports/metadata-store.js';
import type { TargetPermissions } from '../ports/target-permissions.js';
import type { IdentityAndAccess } from './identity-and-access.js';
import { trustsService } from '../iam/identity/role-trust-policies.js';
import { COLLECTIONS, key, type PolicyRecord, type PolicyStatement } from '../domain/records.js';

/**
 * The schedules' invoke checks over IAM and Lambda's policies.
 * - Scheduler: the target's role must exist and trust `scheduler.amazonaws.com`, and its session
 *   must be allowed `lambda:InvokeFunction` on the function (the role's identity policies, through
 *   the authorizer; with FLINT_AUTH=off only existence and trust are checked).
 * - EventBridge: the function's (or the qualifier's) resource policy must have an Allow for
 *   `lambda:InvokeFunction` (or `lambda:*`) to principal `events.amazonaws.com` (or `*`) whose
 *   AWS:SourceArn / AWS:SourceAccount conditions, if any, match the rule, as `aws lambda
 *   add-permission --principal events.amazonaws.com --source-arn <rule>` writes it.
 */
export function schedulePermissions(deps: { access: IdentityAndAccess; store: MetadataStore; accountId: string }): TargetPermissions {
  return {
    roleDenial(roleArn, functionArn) {
      const trust = deps.access.iam.roleDirectory.resourcePolicy('sts:AssumeRole', roleArn);
      if (!trust) return `The execution role ${roleArn} does not exist.`;
      if (!trustsService(trust.document, 'scheduler.amazonaws.com')) return `The execution role ${roleArn} cannot be assumed by scheduler.amazonaws.com.`;
      const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
      try {
        deps.access.checkAccess(
          { type: 'AssumedRole', arn: `arn:aws:sts::${deps.accountId}:assumed-role/${roleName}/scheduler`, accountId: deps.accountId, userId: `${roleName}:scheduler`, roleArn, sessionName: 'scheduler' },
          'lambda:InvokeFunction',
          functionArn,
        );
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
    servicePermitted(functionArn, service, sourceArn, sourceAccount) {
      const parts = functionArn.split(':');
      const record = deps.store.collection<PolicyRecord>(COLLECTIONS.policies).get(key(parts[6]!, parts[7] ?? '$LATEST'));
      return (record?.Statement ?? []).some((s) => allows(s, service, sourceArn, sourceAccount));
    },
  };
}

function allows(s: PolicyStatement, service: string, sourceArn: string, sourceAccount: string): boolean {
  if (s.Effect !== 'Allow') return false;
  if (!['lambda:InvokeFunction', 'lambda:*', '*'].includes(s.Action)) return false;
  const principal = s.Principal;
  const principalOk = principal === '*' || (typeof principal === 'object' && 'Service' in principal && principal.Service === service) || (typeof principal === 'object' && 'AWS' in principal && principal.AWS === '*');
  if (!principalOk) return false;
  for (const [op, conds] of Object.entries(s.Condition ?? {})) {
    for (const [k, v] of Object.entries(conds)) {
      const actual = k.toLowerCase() === 'aws:sourcearn' ? sourceArn : k.toLowerCase() === 'aws:sourceaccount' ? sourceAccount : undefined;
      if (actual === undefined) return false;
      const like = op.endsWith('Like');
      const matches = like ? globMatch(v, actual) : v === actual;
      if (!matches) return false;
    }
  }
  return true;
}

function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}
