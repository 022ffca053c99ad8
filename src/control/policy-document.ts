import type { PolicyRecord, PolicyStatement } from '../domain/records.js';
import { InvalidParameterValueException, PolicyLengthExceededException, PreconditionFailedException, ResourceConflictException, ResourceNotFoundException } from '../domain/errors.js';
import type { Collection } from '../ports/metadata-store.js';

/** Lambda's limit on a resource-based policy (function or layer version), in characters of its JSON. */
export const POLICY_SIZE_LIMIT = 20_480;

/**
 * The principal element Lambda writes for an AddPermission `Principal`: `*` stays a string, a
 * 12-digit account becomes its root ARN, IAM/STS ARNs stay as `AWS`, service principals
 * (`s3.amazonaws.com`, `alexa-appkit.amazon.com`) become `Service`. Anything else is rejected.
 */
export function principalElement(principal: string, partition: string): PolicyStatement['Principal'] {
  if (principal === '*') return '*';
  if (/^\d{12}$/.test(principal)) return { AWS: `arn:${partition}:iam::${principal}:root` };
  if (/^arn:aws[a-zA-Z-]*:(iam|sts)::\d{12}:\S+$/.test(principal)) return { AWS: principal };
  if (/^[a-z0-9][a-z0-9.-]*\.(amazonaws\.com|amazon\.com)(\.cn)?$/.test(principal)) return { Service: principal };
  throw new InvalidParameterValueException('The provided principal was invalid. Please check the principal and try again.');
}

/** The policy document as Lambda returns it from GetPolicy / GetLayerVersionPolicy: compact JSON. */
export function policyJson(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements });
}

/**
 * Adds a statement to a (possibly absent) policy, enforcing what AddPermission and
 * AddLayerVersionPermission share: a RevisionId precondition, unique statement ids, the 20 KB size.
 */
export function withStatement(
  existing: PolicyRecord | undefined,
  statement: PolicyStatement,
  opts: { revisionId?: string; expectedRevisionId: string | undefined; revisionApi: string; newRevisionId: string },
): PolicyRecord {
  checkRevision(opts.revisionId, opts.expectedRevisionId, opts.revisionApi);
  const statements = existing?.Statement ?? [];
  if (statements.some((s) => s.Sid === statement.Sid)) {
    throw new ResourceConflictException(
      `The statement id (${statement.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
    );
  }
  const next = [...statements, statement];
  const size = policyJson(next).length;
  if (size > POLICY_SIZE_LIMIT) {
    throw new PolicyLengthExceededException(`The final policy size (${size}) is bigger than the limit (${POLICY_SIZE_LIMIT}).`);
  }
  return { RevisionId: opts.newRevisionId, Statement: next };
}

/** `RevisionId` given and not the current one → PreconditionFailedException naming the API that reads it. */
export function checkRevision(given: string | undefined, current: string | undefined, api: string): void {
  if (given !== undefined && given !== current) {
    throw new PreconditionFailedException(`The Revision Id provided does not match the latest Revision Id. Call the ${api} API to retrieve the latest Revision Id`);
  }
}

/**
 * RemovePermission / RemoveLayerVersionPermission: drops one statement (RevisionId-checked); an
 * empty policy does not exist, so GetPolicy answers 404 once the last statement is gone (as AWS).
 */
export function removeStatement(
  policies: Collection<PolicyRecord>,
  k: string,
  opts: { statementId: string; revisionId: string | undefined; revisionApi: string; newRevisionId: () => string },
): void {
  const policy = policies.get(k);
  if (!policy) throw new ResourceNotFoundException('No policy is associated with the given resource.');
  if (!policy.Statement.some((s) => s.Sid === opts.statementId)) {
    throw new ResourceNotFoundException(`Statement ${opts.statementId} is not found in resource policy.`);
  }
  checkRevision(opts.revisionId, policy.RevisionId, opts.revisionApi);
  const rest = policy.Statement.filter((s) => s.Sid !== opts.statementId);
  if (rest.length === 0) policies.delete(k);
  else policies.put(k, { RevisionId: opts.newRevisionId(), Statement: rest });
}
