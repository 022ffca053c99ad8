import { inputVars, resourcesOf, type ServiceResources } from './service-resources.js';

/**
 * Services without their own file: each resource type's ARN template is filled from the input
 * members of the same names (`${QueueName}` ← QueueName, `${KeyId}` ← KeyId, …), which is how most
 * AWS models name them. A template the input cannot fill leaves the resource as `*`.
 */
export const genericResources: ServiceResources = {
  resources(action, input, _principal, env) {
    const vars = inputVars(input, env);
    return resourcesOf(action, (t) => t.template.fill(vars));
  },
  context() {
    // No service-specific keys known: only the global ones apply.
  },
};
