import type { OperationHandlers } from '../api-server.js';
import type { PolicyService } from '../../control/policy-service.js';

/** Lambda's function-permission operations → PolicyService. */
export function policyHandlers(policies: PolicyService): OperationHandlers {
  return {
    AddPermission: (input) => policies.addPermission(input),
    RemovePermission: (input) => policies.removePermission(input),
    GetPolicy: (input) => policies.getPolicy(input),
  };
}
