import type { FlintConfig } from './config.js';
import type { RootCredentials } from './secrets.js';
import type { Clock } from '../ports/clock.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ResourcePolicySource } from '../ports/access-policies.js';
import type { AuthorizationInput } from '../api/api-server.js';
import type { Principal } from '../domain/principal.js';
import { createIamServices, type IamServices } from '../iam/identity/iam-services.js';
import { bootstrapIam } from '../iam/identity/iam-bootstrap.js';
import { Authorizer } from '../iam/authorization/authorizer.js';
import { LambdaResourcePolicies } from '../control/lambda-resource-policies.js';
import type { KmsKeyLookup } from '../iam/authorization/kms-resources.js';

/** The caller of a NONE URL: matches only resource-policy principals of `*`. */
const ANONYMOUS = { type: 'Service', service: 'anonymous.function-url.flint' } as const;

export interface IdentityAndAccess {
  iam: IamServices;
  /** Every request's authorization (a no-op with FLINT_AUTH=off). */
  authorize(req: AuthorizationInput): void;
  /** In-operation checks such as iam:PassRole (a no-op with FLINT_AUTH=off). */
  checkAccess(principal: Principal, action: string, resource: string, context?: Record<string, string>): void;
  /**
   * Function URLs: may `caller` (undefined: an anonymous request to a NONE URL) call
   * lambda:InvokeFunctionUrl on the URL's function? Always true with FLINT_AUTH=off.
   */
  allowsFunctionUrl(caller: Principal | undefined, functionArn: string, authType: 'NONE' | 'AWS_IAM'): boolean;
  /** True when this start created the quick-start role. */
  bootstrapped: boolean;
}

/**
 * Wires IAM and STS (state, credentials, role sessions) and the Authorizer over their policies and
 * the resource policies of every service: Lambda's function and layer policies, IAM role trust
 * policies (for sts:AssumeRole), KMS key policies.
 */
export function createIdentityAndAccess(deps: {
  config: FlintConfig; clock: Clock; store: MetadataStore; root: RootCredentials;
  /** KMS key policies and key lookups (aliases, ciphertexts) for authorizing KMS requests. */
  kms?: { keyPolicies: ResourcePolicySource; lookup: KmsKeyLookup };
  /** SQS queue policies (the queue's Policy attribute). */
  queuePolicies?: ResourcePolicySource;
}): IdentityAndAccess {
  const { config, clock } = deps;
  const iam = createIamServices({
    store: deps.store,
    clock,
    accountId: config.accountId,
    region: config.region,
    root: { accessKeyId: deps.root.accessKeyId, secretAccessKey: deps.root.secretAccessKey },
  });
  const { created } = bootstrapIam(iam);
  const lambdaPolicies = new LambdaResourcePolicies(deps.store);
  const resourcePolicies: ResourcePolicySource = {
    resourcePolicy: (action, arn) => (arn.startsWith('arn:aws:lambda:') ? lambdaPolicies.resourcePolicy(action, arn)
      : arn.startsWith('arn:aws:kms:') ? deps.kms?.keyPolicies.resourcePolicy(action, arn)
      : arn.startsWith('arn:aws:sqs:') ? deps.queuePolicies?.resourcePolicy(action, arn)
      : iam.roleDirectory.resourcePolicy(action, arn)),
  };
  const authorizer = new Authorizer({
    identityPolicies: iam.identityPolicies,
    resourcePolicies,
    region: config.region,
    accountId: config.accountId,
    now: () => clock.now(),
    paths: iam.roleDirectory.paths,
    kms: deps.kms?.lookup,
  });
  const enforced = config.auth === 'on';
  return {
    iam,
    bootstrapped: created,
    authorize: enforced ? (req) => authorizer.authorize(req) : () => {},
    checkAccess: enforced ? (principal, action, resource, context) => authorizer.checkAccess(principal, action, resource, context) : () => {},
    // An anonymous caller has no identity policies: only a resource-policy statement whose
    // Principal is `*` (AddPermission --principal '*' --function-url-auth-type NONE) lets it in, as on AWS.
    allowsFunctionUrl: enforced
      ? (caller, arn, authType) => authorizer.check(caller ?? ANONYMOUS, 'lambda:InvokeFunctionUrl', arn, { 'lambda:FunctionUrlAuthType': authType }).decision === 'Allow'
      : () => true,
  };
}
