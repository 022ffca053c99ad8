import type { IncomingHttpHeaders } from 'node:http';
import type { Credential, Principal } from '../domain/principal.js';

/** What a handler knows about the request besides its decoded input. */
export interface RequestContext {
  requestId: string;
  /** The service's SigV4 signing name: `lambda`, `iam`, `sts`, … */
  service: string;
  /** The model's operation name. */
  operation: string;
  /** The verified caller. */
  principal: Principal;
  /** The credential the request was signed with (GetSessionToken refuses temporary ones). */
  credential: Credential;
  /** aws:SourceIp: the peer address. */
  sourceIp: string;
  /** aws:SecureTransport: true when the request arrived over TLS. */
  secureTransport: boolean;
  /** Base URL of this endpoint as the client reached it (for Code.Location links). */
  endpoint: string;
  /** Raw request headers (lower-case names). */
  headers: IncomingHttpHeaders;
  /** Size of the raw body in bytes. */
  bodySize: number;
  /**
   * Checks one more action inside an operation, as AWS does for `iam:PassRole` in CreateFunction:
   * throws AccessDeniedException (audited with the call) unless the caller's policies allow it.
   */
  checkAccess(action: string, resource: string, context?: Record<string, string>): void;
}

/** What an operation returns: its output members, keyed by model member name. Timestamps may be `Date`s. */
export type OperationOutput = Record<string, unknown> | void;
export type OperationHandler = (input: any, ctx: RequestContext) => OperationOutput | Promise<OperationOutput>;
export type OperationHandlers = Partial<Record<string, OperationHandler>>;
