import { AccessDeniedException, AwsError, ValidationException } from '../../domain/errors.js';
import type { Credential, Principal } from '../../domain/principal.js';
import type { IamContext } from '../identity/iam-context.js';
import { nameKey } from '../identity/iam-store.js';
import { checkGrammar } from '../identity/iam-validation.js';
import type { ManagedPolicyService } from '../identity/managed-policy-service.js';
import type { StsSessions } from './sts-sessions.js';

/** AWS's limit on the plaintext of AssumeRole's inline and managed session policies together. */
const SESSION_POLICY_PLAINTEXT = 2048;

const validation = (value: string | number, member: string, constraint: string) =>
  new ValidationException(`1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`);

function credentialsOutput(c: Credential) {
  return { AccessKeyId: c.accessKeyId, SecretAccessKey: c.secretAccessKey, SessionToken: c.sessionToken!, Expiration: new Date(c.expiresAt!) };
}

export interface AssumeRoleInput {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds?: number;
  Policy?: string;
  PolicyArns?: Array<{ arn?: string }>;
}

/** STS: who am I, AssumeRole, GetSessionToken, GetAccessKeyInfo. */
export class StsService {
  readonly #ctx: IamContext;
  readonly #sessions: StsSessions;
  readonly #policies: ManagedPolicyService;

  constructor(ctx: IamContext, sessions: StsSessions, policies: ManagedPolicyService) {
    this.#ctx = ctx;
    this.#sessions = sessions;
    this.#policies = policies;
  }

  getCallerIdentity(principal: Principal) {
    return { UserId: principal.userId, Account: principal.accountId, Arn: principal.arn };
  }

  /**
   * AssumeRole. Whether the caller may assume the role (its trust policy, the caller's identity
   * policies) is decided by the front door's authorizer before this runs, as for any action.
   */
  assumeRole(input: AssumeRoleInput, principal: Principal) {
    // STS refuses root credentials here ("Roles may not be assumed by root accounts.").
    if (principal.type === 'Account') throw new AccessDeniedException('Roles may not be assumed by root accounts.');
    const name = input.RoleSessionName;
    if (name.length < 2) throw validation(name, 'roleSessionName', 'Member must have length greater than or equal to 2');
    if (name.length > 64) throw validation(name, 'roleSessionName', 'Member must have length less than or equal to 64');
    if (!/^[\w+=,.@-]*$/.test(name)) throw validation(name, 'roleSessionName', 'Member must satisfy regular expression pattern: [\\w+=,.@-]*');

    const roleName = input.RoleArn.slice(input.RoleArn.lastIndexOf('/') + 1);
    const role = input.RoleArn.startsWith(`arn:aws:iam::${this.#ctx.accountId}:role/`) ? this.#ctx.db.roles.get(nameKey(roleName)) : undefined;
    if (!role || role.Arn !== input.RoleArn) {
      throw new AccessDeniedException(`User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`);
    }

    const duration = input.DurationSeconds ?? 3600;
    if (duration < 900) throw validation(duration, 'durationSeconds', 'Member must have value greater than or equal to 900');
    if (principal.type === 'AssumedRole' && duration > 3600) {
      throw new ValidationException('The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    }
    if (duration > role.MaxSessionDuration) throw new ValidationException('The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');

    const sessionPolicies = this.#sessionPolicies(input);
    const { doc, credential } = this.#sessions.assumeRole(role, name, duration * 1000, { durable: true, sessionPolicies });
    return {
      Credentials: credentialsOutput(credential),
      AssumedRoleUser: { AssumedRoleId: `${role.RoleId}:${name}`, Arn: credential.principal.arn },
      ...(doc.sessionPolicies ? { PackedPolicySize: packedSize(input) } : {}),
    };
  }

  /** Session policies: the inline Policy (checked as IAM checks a policy), then each PolicyArn. */
  #sessionPolicies(input: AssumeRoleInput): Array<{ id: string; document: string }> {
    const out: Array<{ id: string; document: string }> = [];
    const plaintext = (input.Policy ?? '').replace(/\s+/g, '').length + (input.PolicyArns ?? []).reduce((n, p) => n + (p.arn ?? '').length, 0);
    if (plaintext > SESSION_POLICY_PLAINTEXT) {
      throw new AwsError('PackedPolicyTooLargeException', `Packed policy consumes ${Math.round((100 * plaintext) / SESSION_POLICY_PLAINTEXT)}% of allotted space, please use smaller policy.`);
    }
    if (input.Policy !== undefined) {
      checkGrammar(input.Policy, 'identity');
      out.push({ id: 'session/inline', document: input.Policy });
    }
    for (const p of input.PolicyArns ?? []) {
      const resolved = p.arn ? this.#policies.resolve(p.arn) : undefined;
      if (!resolved) throw new AwsError('MalformedPolicyDocumentException', `The policy ${p.arn ?? ''} does not exist or is not attachable.`);
      out.push({ id: resolved.arn, document: resolved.document });
    }
    return out;
  }

  /**
   * GetSessionToken: long-term credentials only (AWS: "Cannot call GetSessionToken with session
   * credentials"); 900 s to 36 h for users (default 12 h), at most 1 h for the account's root.
   */
  getSessionToken(input: { DurationSeconds?: number }, credential: Credential) {
    if (credential.sessionToken !== undefined) throw new AccessDeniedException('Cannot call GetSessionToken with session credentials');
    const p = credential.principal;
    const root = p.type === 'Account';
    const requested = input.DurationSeconds ?? (root ? 3600 : 43200);
    if (requested < 900) throw validation(requested, 'durationSeconds', 'Member must have value greater than or equal to 900');
    if (requested > 129600) throw validation(requested, 'durationSeconds', 'Member must have value less than or equal to 129600');
    const duration = root ? Math.min(requested, 3600) : requested;
    const { credential: session } = this.#sessions.userSession(root ? undefined : p.userName, p.arn, duration * 1000);
    return { Credentials: credentialsOutput(session) };
  }

  /** GetAccessKeyInfo: the account a key belongs to (Flint serves one account). */
  getAccessKeyInfo(_input: { AccessKeyId: string }) {
    return { Account: this.#ctx.accountId };
  }
}

/** PackedPolicySize: the share of the allotted space the session policies take, in percent. */
function packedSize(input: AssumeRoleInput): number {
  const plaintext = (input.Policy ?? '').replace(/\s+/g, '').length + (input.PolicyArns ?? []).reduce((n, p) => n + (p.arn ?? '').length, 0);
  return Math.max(1, Math.ceil((100 * plaintext) / SESSION_POLICY_PLAINTEXT));
}
