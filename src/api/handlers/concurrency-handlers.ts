import type { OperationHandlers } from '../api-server.js';
import type { ConcurrencyService } from '../../control/concurrency-service.js';
import type { ProvisionedConcurrencyService } from '../../control/provisioned-concurrency-service.js';

/** Reserved and provisioned concurrency operations → ConcurrencyService, ProvisionedConcurrencyService. */
export function concurrencyHandlers(concurrency: ConcurrencyService, provisioned: ProvisionedConcurrencyService): OperationHandlers {
  return {
    PutFunctionConcurrency: (input) => concurrency.put(input),
    GetFunctionConcurrency: (input) => concurrency.get(input),
    DeleteFunctionConcurrency: (input) => concurrency.delete(input),
    PutProvisionedConcurrencyConfig: (input) => provisioned.put(input),
    GetProvisionedConcurrencyConfig: (input) => provisioned.get(input),
    DeleteProvisionedConcurrencyConfig: (input) => provisioned.delete(input),
    ListProvisionedConcurrencyConfigs: (input) => provisioned.list(input),
  };
}
