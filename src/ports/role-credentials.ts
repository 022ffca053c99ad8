import type { Credential } from '../domain/principal.js';

/**
 * Issues temporary credentials for a role on behalf of a service — what Lambda does when it
 * assumes a function's execution role for each execution environment. Implemented by the STS
 * service; the data plane asks for one credential per environment and revokes it when the
 * environment ends.
 */
export interface RoleCredentials {
  /** An assumed-role session `arn:aws:sts::<acct>:assumed-role/<role>/<sessionName>` valid for `ttlMs`. */
  issueForService(roleArn: string, sessionName: string, ttlMs: number): Credential;
  /** Moves a live session's expiry to now + ttlMs (long-lived environments). */
  extend(accessKeyId: string, ttlMs: number): void;
  revoke(accessKeyId: string): void;
}
