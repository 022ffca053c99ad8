import type { OperationHandlers, ValidationSkips } from '../api-server.js';
import type { CodeSigningConfigService } from '../../control/code-signing-config-service.js';
import type { FunctionRuntimeSettingsService } from '../../control/function-runtime-settings-service.js';

/**
 * VpcConfig's subnet and security-group ids are checked by Lambda's service (their model shapes carry
 * no constraint), with a list-member message that lacks the usual "Member must not be null".
 */
export const functionSettingsValidationSkips: ValidationSkips = {
  CreateFunction: new Set(['vpcConfig.subnetIds', 'vpcConfig.securityGroupIds']),
  UpdateFunctionConfiguration: new Set(['vpcConfig.subnetIds', 'vpcConfig.securityGroupIds']),
};

/** Code signing, recursion and runtime management operations → their services. */
export function functionSettingsHandlers(codeSigning: CodeSigningConfigService, settings: FunctionRuntimeSettingsService): OperationHandlers {
  return {
    CreateCodeSigningConfig: (input) => codeSigning.create(input),
    GetCodeSigningConfig: (input) => codeSigning.get(input),
    ListCodeSigningConfigs: (input) => codeSigning.list(input),
    UpdateCodeSigningConfig: (input) => codeSigning.update(input),
    DeleteCodeSigningConfig: (input) => codeSigning.delete(input),
    PutFunctionCodeSigningConfig: (input) => codeSigning.putForFunction(input),
    GetFunctionCodeSigningConfig: (input) => codeSigning.getForFunction(input),
    DeleteFunctionCodeSigningConfig: (input) => codeSigning.deleteForFunction(input),
    ListFunctionsByCodeSigningConfig: (input) => codeSigning.listFunctions(input),
    GetFunctionRecursionConfig: (input) => settings.getRecursion(input),
    PutFunctionRecursionConfig: (input) => settings.putRecursion(input),
    GetRuntimeManagementConfig: (input) => settings.getRuntimeManagement(input),
    PutRuntimeManagementConfig: (input) => settings.putRuntimeManagement(input),
  };
}
