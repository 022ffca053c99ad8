import type { OperationHandlers } from '../request-context.js';
import type { IamServices } from '../../iam/identity/iam-services.js';

/** STS's operations → StsService (src/iam/sts). */
export function stsHandlers(s: IamServices): OperationHandlers {
  return {
    GetCallerIdentity: (_i, ctx) => s.sts.getCallerIdentity(ctx.principal),
    AssumeRole: (i, ctx) => s.sts.assumeRole(i, ctx.principal),
    GetSessionToken: (i, ctx) => s.sts.getSessionToken(i, ctx.credential),
    GetAccessKeyInfo: (i) => s.sts.getAccessKeyInfo(i),
  };
}
