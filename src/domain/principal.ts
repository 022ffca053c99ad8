/**
 * Who is calling: the identity behind a verified SigV4 signature. Policy evaluation reads these
 * fields as IAM's global condition keys (aws:PrincipalArn, aws:PrincipalType, aws:userid,
 * aws:username, aws:PrincipalAccount), and AccessDenied messages name `arn`.
 */
export interface Principal {
  /** aws:PrincipalType: `Account` (root), `User` (IAM user), `AssumedRole` (an STS role session). */
  type: 'Account' | 'User' | 'AssumedRole';
  /**
   * The caller's ARN as AWS reports it (GetCallerIdentity, AccessDenied messages):
   * `arn:aws:iam::<acct>:root`, `arn:aws:iam::<acct>:user/<path/>name`,
   * `arn:aws:sts::<acct>:assumed-role/<role>/<session>`.
   */
  arn: string;
  accountId: string;
  /** aws:userid: the account id for root, `AIDA…` for users, `AROA…:<session>` for role sessions. */
  userId: string;
  /** aws:username: IAM users only. */
  userName?: string;
  /** Role sessions: the role's own ARN, with its path (aws:PrincipalArn for a session is this). */
  roleArn?: string;
  /** Role sessions: the session name (the function name for execution environments). */
  sessionName?: string;
  /** Temporary credentials: when they were issued (aws:TokenIssueTime), epoch ms. */
  tokenIssuedAt?: number;
}

/** A credential the front door accepts: an access key pair, with a session token when temporary. */
export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (`ASIA…`) must come with this token. */
  sessionToken?: string;
  /** Temporary credentials: epoch ms after which the token is expired (ExpiredToken). */
  expiresAt?: number;
  principal: Principal;
}

/** aws:PrincipalArn: for a role session it is the role's ARN, otherwise the caller's ARN. */
export function principalArnKey(p: Principal): string {
  return p.type === 'AssumedRole' && p.roleArn ? p.roleArn : p.arn;
}
