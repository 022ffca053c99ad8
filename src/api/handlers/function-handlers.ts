import type { OperationHandlers, RequestContext, ValidationSkips } from '../api-server.js';
import type { FunctionService } from '../../control/function-service.js';
import type { ExecutionRoles } from '../../ports/execution-roles.js';
import { InvalidParameterValueException } from '../../domain/errors.js';

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

/** Lambda's function operations → FunctionService. */
export function functionHandlers(functions: FunctionService, roles?: ExecutionRoles): OperationHandlers {
  return {
    CreateFunction: (input, ctx) => {
      checkExecutionRole(roles, input.Role, ctx);
      return functions.create(input);
    },
    GetFunction: (input, ctx) => functions.getFunction(input, ctx.endpoint),
    GetFunctionConfiguration: (input) => functions.getConfiguration(input),
    ListFunctions: (input) => functions.list(input),
    UpdateFunctionCode: (input) => functions.updateCode(input),
    UpdateFunctionConfiguration: (input, ctx) => {
      checkExecutionRole(roles, input.Role, ctx);
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
