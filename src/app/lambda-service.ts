import type { AwsServiceDefinition, ValidationSkips } from '../api/api-server.js';
import { LAMBDA_BODY_LIMITS } from '../api/handlers/lambda-body-limits.js';
import { FUNCTION_VALIDATION_SKIPS, functionHandlers } from '../api/handlers/function-handlers.js';
import { versionHandlers } from '../api/handlers/version-handlers.js';
import { aliasHandlers } from '../api/handlers/alias-handlers.js';
import { layerHandlers, layerValidationSkips } from '../api/handlers/layer-handlers.js';
import { policyHandlers } from '../api/handlers/policy-handlers.js';
import { concurrencyHandlers } from '../api/handlers/concurrency-handlers.js';
import { eventInvokeConfigHandlers, eventInvokeConfigValidationSkips } from '../api/handlers/event-invoke-config-handlers.js';
import { tagHandlers, tagValidationSkips } from '../api/handlers/tag-handlers.js';
import { accountHandlers } from '../api/handlers/account-handlers.js';
import { functionUrlHandlers } from '../api/handlers/function-url-handlers.js';
import { invokeHandlers } from '../api/handlers/invoke-handlers.js';
import { invokeStreamHandlers } from '../api/handlers/invoke-stream-handlers.js';
import { eventSourceMappingHandlers } from '../api/handlers/event-source-mapping-handlers.js';
import { functionSettingsHandlers, functionSettingsValidationSkips } from '../api/handlers/function-settings-handlers.js';

type First<F extends (...args: never[]) => unknown> = Parameters<F>[0];

/** The Lambda API (2015-03-31 family) on the front door: every service's handlers in one definition. */
export function lambdaService(s: {
  functions: First<typeof functionHandlers>;
  roles: Parameters<typeof functionHandlers>[1];
  versions: First<typeof versionHandlers>;
  aliases: First<typeof aliasHandlers>;
  layers: First<typeof layerHandlers>;
  layerPolicies: Parameters<typeof layerHandlers>[1];
  policies: First<typeof policyHandlers>;
  concurrency: First<typeof concurrencyHandlers>;
  provisioned: Parameters<typeof concurrencyHandlers>[1];
  eventInvokeConfigs: First<typeof eventInvokeConfigHandlers>;
  tags: First<typeof tagHandlers>;
  accountSettings: First<typeof accountHandlers>;
  functionUrls: First<typeof functionUrlHandlers>;
  invoke: First<typeof invokeHandlers>;
  eventSourceMappings: First<typeof eventSourceMappingHandlers>;
  codeSigning: First<typeof functionSettingsHandlers>;
  runtimeSettings: Parameters<typeof functionSettingsHandlers>[1];
}): AwsServiceDefinition {
  return {
    model: 'lambda-2015-03-31',
    handlers: {
      ...functionHandlers(s.functions, s.roles, s.codeSigning),
      ...versionHandlers(s.versions),
      ...aliasHandlers(s.aliases),
      ...layerHandlers(s.layers, s.layerPolicies),
      ...policyHandlers(s.policies),
      ...concurrencyHandlers(s.concurrency, s.provisioned),
      ...eventInvokeConfigHandlers(s.eventInvokeConfigs),
      ...tagHandlers(s.tags),
      ...accountHandlers(s.accountSettings),
      ...functionUrlHandlers(s.functionUrls),
      ...invokeHandlers(s.invoke),
      ...invokeStreamHandlers(s.invoke),
      ...eventSourceMappingHandlers(s.eventSourceMappings),
      ...functionSettingsHandlers(s.codeSigning, s.runtimeSettings),
    },
    validationSkips: { ...mergeSkips(FUNCTION_VALIDATION_SKIPS, functionSettingsValidationSkips), ...layerValidationSkips, ...eventInvokeConfigValidationSkips, ...tagValidationSkips },
    bodyLimits: LAMBDA_BODY_LIMITS,
  };
}

/** Two skip tables naming the same operation: their member sets are joined, not replaced. */
function mergeSkips(a: ValidationSkips, b: ValidationSkips): ValidationSkips {
  const out: ValidationSkips = { ...a };
  for (const [op, members] of Object.entries(b)) out[op] = new Set([...(out[op] ?? []), ...(members ?? [])]);
  return out;
}
