import {
  inputVars, resourcesOf, setIf, str, strings,
  type OperationInput, type ResourceEnv, type ServiceResources,
} from './service-resources.js';

/** A FunctionName in any form Lambda accepts, split without a regular expression (the front door validated it). */
export interface FunctionReference {
  name: string;
  qualifier?: string;
  region?: string;
  account?: string;
}

/**
 * `name`, `name:qualifier`, `function:name`, `123456789012:function:name[:qualifier]`,
 * `region:123456789012:function:name[:qualifier]`, `arn:aws:lambda:region:123456789012:function:name[:qualifier]`.
 */
export function parseFunctionReference(ref: string): FunctionReference {
  const parts = ref.split(':');
  const at = parts.indexOf('function');
  if (at < 0 || at === parts.length - 1) return parts.length === 2 ? { name: parts[0]!, qualifier: parts[1]! } : { name: ref };
  const out: FunctionReference = { name: parts[at + 1]! };
  if (parts[at + 2]) out.qualifier = parts[at + 2]!;
  if (at >= 1) out.account = parts[at - 1]!;
  if (at >= 2) out.region = parts[at - 2]!;
  return out;
}

/**
 * The ARN a request on a function acts on. Since January 2022 Lambda authorizes a request with a
 * qualifier — in the name (`fn:1`) or in the Qualifier parameter alike — on the qualified ARN
 * (`function:fn:1`), so a statement on `function:fn` covers only unqualified calls and one on
 * `function:fn:*` covers versions and aliases (including `$LATEST` named explicitly).
 */
export function functionArn(ref: FunctionReference, qualifier: string | undefined, env: ResourceEnv): string {
  const base = `arn:${env.partition}:lambda:${ref.region ?? env.region}:${ref.account ?? env.accountId}:function:${ref.name}`;
  return qualifier ? `${base}:${qualifier}` : base;
}

/** `LayerName` is a name or a layer ARN (`arn:aws:lambda:region:account:layer:name`). */
function layerArn(layerName: string, env: ResourceEnv): string {
  return layerName.startsWith('arn:') ? layerName : `arn:${env.partition}:lambda:${env.region}:${env.accountId}:layer:${layerName}`;
}

/** Actions whose `Resource` member is the ARN of the resource itself (function, mapping, config…). */
const TAGGING = new Set(['lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags']);

function requestFunction(input: OperationInput): { ref: FunctionReference; qualifier: string | undefined } | undefined {
  const name = str(input.FunctionName);
  if (name === undefined) return undefined;
  const ref = parseFunctionReference(name);
  return { ref, qualifier: str(input.Qualifier) ?? ref.qualifier };
}

/** Lambda: functions (qualified or not), layers and layer versions, event source mappings, ARN-named resources. */
export const lambdaResources: ServiceResources = {
  resources(action, input, _principal, env) {
    if (TAGGING.has(action.action)) {
      const arn = str(input.Resource);
      return arn ? [arn] : resourcesOf(action, () => undefined);
    }
    const fn = requestFunction(input);
    return resourcesOf(action, (t) => {
      switch (t.name) {
        case 'function':
        case 'function alias':
        case 'function version':
          return fn && functionArn(fn.ref, fn.qualifier, env);
        case 'layer': {
          const layer = str(input.LayerName);
          return layer && layerArn(layer, env);
        }
        case 'layerVersion': {
          const byArn = str(input.Arn); // GetLayerVersionByArn names the layer version by its ARN
          if (byArn) return byArn;
          const layer = str(input.LayerName);
          const version = str(input.VersionNumber);
          return layer && version && `${layerArn(layer, env)}:${version}`;
        }
        case 'code signing config':
          return str(input.CodeSigningConfigArn);
        case 'durable execution':
          return str(input.DurableExecutionArn);
        default:
          return t.template.fill(inputVars(input, env));
      }
    });
  },

  context(action, input, _principal, env, into) {
    setIf(into, 'lambda:Principal', str(input.Principal));
    // AddPermission names it FunctionUrlAuthType; the function URL operations name it AuthType.
    setIf(into, 'lambda:FunctionUrlAuthType', str(input.FunctionUrlAuthType) ?? str(input.AuthType));
    setIf(into, 'lambda:Layer', strings(input.Layers));
    setIf(into, 'lambda:CodeSigningConfigArn', str(input.CodeSigningConfigArn));
    const vpc = input.VpcConfig as { SubnetIds?: unknown; SecurityGroupIds?: unknown } | undefined;
    if (vpc && typeof vpc === 'object') {
      setIf(into, 'lambda:SubnetIds', strings(vpc.SubnetIds));
      setIf(into, 'lambda:SecurityGroupIds', strings(vpc.SecurityGroupIds));
    }
    if (action.conditionKeys.has('lambda:functionarn')) {
      const fn = requestFunction(input);
      const uuid = str(input.UUID);
      setIf(into, 'lambda:FunctionArn', fn ? functionArn(fn.ref, fn.qualifier, env)
        : uuid ? env.eventSourceMappingFunction?.(uuid) : undefined);
    }
  },
};
