import type { Principal } from '../../domain/principal.js';
import type { CatalogAction } from './action-catalog.js';
import type { ContextValues, OperationInput, ResourceEnv, ServiceResources } from './service-resources.js';

/** What the front door knows about the connection. */
export interface ConnectionFacts {
  sourceIp: string;
  secureTransport: boolean;
}

/**
 * The request context one action is evaluated with: the global keys AWS sets on every request
 * (aws:SourceIp, aws:SecureTransport, aws:RequestedRegion), the tags the
 * request carries (aws:RequestTag/<key>, aws:TagKeys), and the service keys the input determines.
 * Service keys — and the tag keys — are kept only when the Service Authorization Reference lists
 * them for the action, as AWS sets them only there. The evaluator derives the principal's keys
 * (aws:PrincipalArn, aws:userid, aws:username, …) and aws:CurrentTime / aws:EpochTime itself.
 */
export function requestContext(
  action: CatalogAction,
  input: OperationInput,
  principal: Principal,
  connection: ConnectionFacts,
  env: ResourceEnv,
  service: ServiceResources,
): ContextValues {
  const ctx: ContextValues = {
    'aws:SourceIp': connection.sourceIp,
    'aws:SecureTransport': connection.secureTransport ? 'true' : 'false',
    'aws:RequestedRegion': env.region,
  };
  const keys = action.conditionKeys;
  if (keys.has('aws:requesttag/${tagkey}') || keys.has('aws:tagkeys')) requestTags(input, keys, ctx);
  const own: ContextValues = {};
  service.context(action, input, principal, env, own);
  for (const k in own) if (listed(keys, k)) ctx[k] = own[k]!;
  return ctx;
}

/**
 * Whether the action lists a key, directly or through a templated key: `kms:EncryptionContext:purpose`
 * is listed as `kms:EncryptionContext:${EncryptionContextKey}`.
 */
function listed(keys: ReadonlySet<string>, key: string): boolean {
  const lower = key.toLowerCase();
  if (keys.has(lower)) return true;
  for (const k of keys) {
    const at = k.indexOf('${');
    if (at > 0 && k.endsWith('}') && lower.length > at && lower.startsWith(k.slice(0, at))) return true;
  }
  return false;
}

/**
 * Tags in the request: Lambda sends a map (`Tags: {k: v}`), IAM and STS a list
 * (`Tags: [{Key, Value}]`), KMS `[{TagKey, TagValue}]`; untagging sends `TagKeys: [k]`.
 */
function requestTags(input: OperationInput, keys: ReadonlySet<string>, ctx: ContextValues): void {
  const tags = input.Tags;
  const names: string[] = [];
  const setTag = (k: unknown, v: unknown) => {
    if (typeof k !== 'string') return;
    names.push(k);
    if (keys.has('aws:requesttag/${tagkey}') && typeof v === 'string') ctx[`aws:RequestTag/${k}`] = v;
  };
  // KMS lists tags as [{TagKey, TagValue}].
  if (Array.isArray(tags)) for (const t of tags) setTag(t?.Key ?? t?.TagKey, t?.Value ?? t?.TagValue);
  else if (tags && typeof tags === 'object') for (const [k, v] of Object.entries(tags)) setTag(k, v);
  if (Array.isArray(input.TagKeys)) for (const k of input.TagKeys) if (typeof k === 'string') names.push(k);
  if (names.length > 0 && keys.has('aws:tagkeys')) ctx['aws:TagKeys'] = names;
}
