import type { OperationHandlers, ValidationSkips } from '../api-server.js';
import type { LayerService } from '../../control/layer-service.js';
import type { LayerPolicyService } from '../../control/layer-policy-service.js';

/** Members the layer services validate themselves, with AWS's (non-model) enums and patterns. */
export const layerValidationSkips: ValidationSkips = {
  PublishLayerVersion: new Set(['compatibleRuntimes', 'compatibleArchitectures']),
  ListLayers: new Set(['compatibleRuntime', 'compatibleArchitecture']),
  ListLayerVersions: new Set(['compatibleRuntime', 'compatibleArchitecture']),
  GetLayerVersionByArn: new Set(['arn']),
};

/** Lambda's layer and layer-permission operations → LayerService, LayerPolicyService. */
export function layerHandlers(layers: LayerService, policies: LayerPolicyService): OperationHandlers {
  // VersionNumber is a URI label: it arrives as text.
  const v = (input: { VersionNumber: string | number }) => Number(input.VersionNumber);
  return {
    PublishLayerVersion: (input, ctx) => layers.publish(input, ctx.endpoint),
    GetLayerVersion: (input, ctx) => layers.get(input.LayerName, v(input), ctx.endpoint),
    GetLayerVersionByArn: (input, ctx) => layers.getByArn(input.Arn, ctx.endpoint),
    ListLayers: (input) => layers.list(input),
    ListLayerVersions: (input) => layers.listVersions(input),
    DeleteLayerVersion: (input) => layers.delete(input.LayerName, v(input)),
    AddLayerVersionPermission: (input) => policies.add({ ...input, VersionNumber: v(input) }),
    RemoveLayerVersionPermission: (input) => policies.remove({ ...input, VersionNumber: v(input) }),
    GetLayerVersionPolicy: (input) => policies.get({ ...input, VersionNumber: v(input) }),
  };
}
