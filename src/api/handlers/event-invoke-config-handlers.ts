import type { OperationHandlers, ValidationSkips } from '../api-server.js';
import type { EventInvokeConfigService } from '../../control/event-invoke-config-service.js';

/** Destinations are checked by the service against AWS's server-side pattern (the model's is older). */
export const eventInvokeConfigValidationSkips: ValidationSkips = {
  PutFunctionEventInvokeConfig: new Set(['destinationConfig.onSuccess.destination', 'destinationConfig.onFailure.destination']),
  UpdateFunctionEventInvokeConfig: new Set(['destinationConfig.onSuccess.destination', 'destinationConfig.onFailure.destination']),
};

/** Asynchronous-invocation configuration operations → EventInvokeConfigService. */
export function eventInvokeConfigHandlers(configs: EventInvokeConfigService): OperationHandlers {
  return {
    PutFunctionEventInvokeConfig: (input) => ({ ...configs.put(input) }),
    UpdateFunctionEventInvokeConfig: (input) => ({ ...configs.update(input) }),
    GetFunctionEventInvokeConfig: (input) => ({ ...configs.get(input) }),
    DeleteFunctionEventInvokeConfig: (input) => configs.delete(input),
    ListFunctionEventInvokeConfigs: (input) => configs.list(input),
  };
}
