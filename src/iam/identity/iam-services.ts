import type { Clock } from '../../ports/clock.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import { StsService } from '../sts/sts-service.js';
import { StsSessions } from '../sts/sts-sessions.js';
import { AccessKeyService } from './access-key-service.js';
import { AttachmentService } from './attachment-service.js';
import { AwsManagedPolicies } from './aws-managed-policies.js';
import { CredentialDirectory, type RootKeys } from './credential-directory.js';
import { GroupService } from './group-service.js';
import { IamIds, IamRevision, type IamContext } from './iam-context.js';
import { IamStore } from './iam-store.js';
import { IamIdentityPolicies } from './identity-policies.js';
import { InlinePolicyService } from './inline-policy-service.js';
import { ManagedPolicyService } from './managed-policy-service.js';
import { policyHolders } from './policy-holders.js';
import { RoleDirectory } from './role-trust-policies.js';
import { RoleService } from './role-service.js';
import { UserService } from './user-service.js';

export interface IamServicesOptions {
  store: MetadataStore;
  clock: Clock;
  accountId: string;
  region: string;
  root: RootKeys;
  /** Random bytes for ids and secrets (tests may make them deterministic). */
  random?: (n: number) => Uint8Array;
}

export type IamServices = ReturnType<typeof createIamServices>;

/**
 * Everything IAM and STS offer the rest of Flint, over one metadata store:
 * - the operation services (users, accessKeys, groups, roles, inlinePolicies, policies,
 *   attachments, sts) the handlers call;
 * - `identityPolicies` (IdentityPolicySource) and `roleDirectory` (ResourcePolicySource for trust
 *   policies, ExecutionRoles for Lambda, entity paths) for the authorizer;
 * - `credentials` (lookup by access key id) for SigV4; `roleCredentials` (RoleCredentials) for the
 *   data plane.
 */
export function createIamServices(opts: IamServicesOptions) {
  const context: IamContext = {
    db: new IamStore(opts.store),
    clock: opts.clock,
    accountId: opts.accountId,
    region: opts.region,
    ids: new IamIds(opts.random),
    revision: new IamRevision(),
  };
  const users = new UserService(context);
  const groups = new GroupService(context, users);
  const roles = new RoleService(context);
  const holders = policyHolders(users, groups, roles);
  const policies = new ManagedPolicyService(context, new AwsManagedPolicies());
  const attachments = new AttachmentService(context, holders, policies);
  const credentials = new CredentialDirectory(context, opts.root);
  const sessions = new StsSessions(context, credentials);
  return {
    context,
    users,
    accessKeys: new AccessKeyService(context, users),
    groups,
    roles,
    inlinePolicies: new InlinePolicyService(context, holders),
    policies,
    attachments,
    credentials,
    identityPolicies: new IamIdentityPolicies(context, policies, credentials),
    roleDirectory: new RoleDirectory(context),
    roleCredentials: sessions,
    sts: new StsService(context, sessions, policies),
  };
}
