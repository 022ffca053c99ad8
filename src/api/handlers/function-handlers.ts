import type { OperationHandlers, RequestContext, ValidationSkips } from '../api-server.js';
import type { FunctionService } from '../../control/function-service.js';
import type { ExecutionRoles } from '../../ports/execution-roles.js';
import { AccessDeniedException, InvalidParameterValueException } from '../../domain/errors.js';
import { configurationFailure, startFailure } from '../../control/function-secrets.js';
import type { CodeSigningConfigService } from '../../control/code-signing-config-service.js';

/**
 * A function's execution role, as Lambda checks it when it is set: the caller must be allowed to
 * pass it (`iam:PassRole` with `iam:PassedToService` lambda.amazonaws.com), and it must exist and
 * trust Lambda — otherwise AWS's InvalidParameterValueException text.
 */
function checkExecutionRole(roles: ExecutionRoles | undefined, role: string | undefined, ctx: RequestContext): void {
  if (role === undefined || !roles) return;
  ctx.checkAccess('iam:PassRole', role, { 'iam:PassedToService': 'lambda.amazonaws.com' });
  if (roles.describeExecutionRole(role) !== 'ok') throw new InvalidParameterValueException('The role defined for the function cannot be assumed by Lambda.');
}

const KEY_ARN = /^arn:aws[a-zA-Z-]*:kms:([a-z0-9-]+):\d{12}:key\/[A-Za-z0-9-]+$/;

/**
 * A customer managed key set as KMSKeyArn: Lambda uses it on the caller's behalf (it encrypts the
 * variables and grants itself the key through the caller's forward access session), so the caller
 * needs kms:Encrypt and kms:CreateGrant on it, with kms:ViaService lambda.<region>.amazonaws.com;
 * refused as Lambda refuses it, InvalidParameterValueException with KMS's AccessDeniedException
 * inside. Malformed ARNs are the service's to refuse (FunctionSecrets.checkConfigurableKey).
 */
function checkKeyAccess(keyArn: string | undefined, ctx: RequestContext): void {
  const m = keyArn ? KEY_ARN.exec(keyArn) : null;
  if (!m) return;
  const context = { 'kms:ViaService': `lambda.${m[1]}.amazonaws.com` };
  try {
    ctx.checkAccess('kms:CreateGrant', keyArn!, context);
    ctx.checkAccess('kms:Encrypt', keyArn!, context);
  } catch (err) {
    if (err instanceof AccessDeniedException) throw configurationFailure('AccessDeniedException', err.message);
    throw err;
  }
}

/**
 * GetFunction(Configuration) of a function under a customer managed key shows its variables only
 * to a caller allowed kms:Decrypt on that key; anyone else gets Lambda's EnvironmentResponse.Error
 * in their place.
 */
function environmentFor<T extends Record<string, unknown>>(config: T, ctx: RequestContext): T {
  const keyArn = config['KMSKeyArn'];
  const env = config['Environment'] as { Variables?: unknown } | undefined;
  const m = typeof keyArn === 'string' ? KEY_ARN.exec(keyArn) : null;
  if (!m || !env?.Variables) return config;
  try {
    ctx.checkAccess('kms:Decrypt', keyArn as string, { 'kms:ViaService': `lambda.${m[1]}.amazonaws.com` });
    return config;
  } catch (err) {
    if (!(err instanceof AccessDeniedException)) throw err;
    const failure = startFailure(err);
    return { ...config, Environment: { Error: { ErrorCode: failure.type, Message: failure.message } } };
  }
}

/** Lambda's function operations → FunctionService. */
export function functionHandlers(functions: FunctionService, roles?: ExecutionRoles, codeSigning?: CodeSigningConfigService): OperationHandlers {
  return {
    CreateFunction: async (input, ctx) => {
      checkExecutionRole(roles, input.Role, ctx);
      checkKeyAccess(input.KMSKeyArn, ctx);
      codeSigning?.checkNewFunction(input.CodeSigningConfigArn);
      const out = await functions.create(input);
      codeSigning?.attachNew(out.FunctionName, input.CodeSigningConfigArn);
      return out;
    },
    GetFunction: (input, ctx) => {
      const out = functions.getFunction(input, ctx.endpoint);
      return { ...out, Configuration: environmentFor(out['Configuration'] as Record<string, unknown>, ctx) };
    },
    GetFunctionConfiguration: (input, ctx) => environmentFor(functions.getConfiguration(input), ctx),
    ListFunctions: (input) => functions.list(input),
    UpdateFunctionCode: (input) => {
      codeSigning?.checkCodeUpdate(input.FunctionName);
      return functions.updateCode(input);
    },
    UpdateFunctionConfiguration: (input, ctx) => {
      checkExecutionRole(roles, input.Role, ctx);
      checkKeyAccess(input.KMSKeyArn, ctx);
      return functions.updateConfiguration(input);
    },
    DeleteFunction: (input) => {
      functions.delete(input);
      return { StatusCode: 204 };
    },
  };
}

/**
 * Members Lambda validates in its service rather than by the model: Runtime gets
 * InvalidParameterValueException with AWS's own runtime list (see function-validation.ts).
 */
export const FUNCTION_VALIDATION_SKIPS: ValidationSkips = {
  CreateFunction: new Set(['runtime']),
  UpdateFunctionConfiguration: new Set(['runtime']),
};
