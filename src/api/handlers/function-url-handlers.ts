import type { OperationHandlers } from '../api-server.js';
import type { FunctionUrlService } from '../../control/function-url-service.js';

/** Lambda's function URL configuration operations → FunctionUrlService. */
export function functionUrlHandlers(urls: FunctionUrlService): OperationHandlers {
  return {
    CreateFunctionUrlConfig: (input) => urls.create(input),
    GetFunctionUrlConfig: (input) => urls.get(input),
    UpdateFunctionUrlConfig: (input) => urls.update(input),
    DeleteFunctionUrlConfig: (input) => urls.delete(input),
    ListFunctionUrlConfigs: (input) => urls.list(input),
  };
}
