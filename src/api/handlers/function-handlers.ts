import type { OperationHandlers } from '../api-server.js';
import type { FunctionService } from '../../control/function-service.js';

/** Lambda's function operations → FunctionService. */
export function functionHandlers(functions: FunctionService): OperationHandlers {
  return {
    CreateFunction: (input) => functions.create(input),
    GetFunctionConfiguration: (input) => functions.getVersion(input.FunctionName, input.Qualifier).config,
  };
}
