import type { OperationHandlers, ValidationSkips } from '../api-server.js';
import type { FunctionService } from '../../control/function-service.js';

/** Lambda's function operations → FunctionService. */
export function functionHandlers(functions: FunctionService): OperationHandlers {
  return {
    CreateFunction: (input) => functions.create(input),
    GetFunction: (input, ctx) => functions.getFunction(input, ctx.endpoint),
    GetFunctionConfiguration: (input) => functions.getConfiguration(input),
    ListFunctions: (input) => functions.list(input),
    UpdateFunctionCode: (input) => functions.updateCode(input),
    UpdateFunctionConfiguration: (input) => functions.updateConfiguration(input),
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
