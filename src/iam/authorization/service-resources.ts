import type { Principal } from '../../domain/principal.js';
import type { CatalogAction, CatalogResourceType } from './action-catalog.js';
import type { KmsKeyLookup } from './kms-resources.js';

/** The decoded input of an operation, keyed by model member name. */
export type OperationInput = Record<string, unknown>;

/** Request context values: IAM condition keys (exact case) → value(s). */
export type ContextValues = Record<string, string | string[]>;

/** IAM entity paths, for ARN templates with `${UserNameWithPath}` and friends. */
export interface EntityPaths {
  /** The entity's path (`/`, `/division/`), or undefined when it does not exist (then `/` is used). */
  user(name: string): string | undefined;
  role(name: string): string | undefined;
  group(name: string): string | undefined;
}

/** What resource resolution knows besides the input: where Flint runs and how to read entity facts. */
export interface ResourceEnv {
  partition: string;
  region: string;
  accountId: string;
  paths: EntityPaths;
  /** The function ARN an event source mapping invokes (for `lambda:FunctionArn` on Get/Delete/Update). */
  eventSourceMappingFunction?(uuid: string): string | undefined;
  /** KMS: the key an alias or ciphertext names (KMS authorizes alias use against the key). */
  kms?: KmsKeyLookup;
}

/** One service's knowledge of how its inputs name resources and condition-key values. */
export interface ServiceResources {
  /** The ARNs the action acts on in this request (each is checked); `['*']` when it names none. */
  resources(action: CatalogAction, input: OperationInput, principal: Principal, env: ResourceEnv): readonly string[];
  /** Adds the service condition keys the input determines (the caller keeps only keys the action lists). */
  context(action: CatalogAction, input: OperationInput, principal: Principal, env: ResourceEnv, into: ContextValues): void;
}

/** An action that acts on no named resource (or whose resource the request cannot name). */
export const ANY_RESOURCE: readonly string[] = Object.freeze(['*']);

/**
 * The ARNs of an action's resource types as `arnOf` names them: every required type (a required
 * type the request cannot name becomes `*`, which only a `"Resource": "*"` statement matches), or,
 * when the action has only optional types, those the request names. Duplicates are dropped (a
 * version and an alias template filled with the same qualifier give one ARN).
 */
export function resourcesOf(action: CatalogAction, arnOf: (type: CatalogResourceType) => string | undefined): readonly string[] {
  const types = action.resourceTypes;
  if (types.length === 0) return ANY_RESOURCE;
  const anyRequired = types.some((t) => t.required);
  let out: string[] | undefined;
  for (const t of types) {
    if (anyRequired && !t.required) continue;
    const arn = arnOf(t) ?? (t.required ? '*' : undefined);
    if (arn === undefined) continue;
    if (!out) out = [arn];
    else if (!out.includes(arn)) out.push(arn);
  }
  return out ?? ANY_RESOURCE;
}

/** A string member of the input, or undefined. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/** A list-of-strings member of the input, or undefined. */
export function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

/**
 * Template variables from the input: `${Partition}`, `${Region}`, `${Account}` from the
 * environment, anything else from the input member of the same name.
 */
export function inputVars(input: OperationInput, env: ResourceEnv, overrides?: Record<string, string | undefined>) {
  return (name: string): string | undefined => {
    if (overrides && name in overrides) return overrides[name];
    if (name === 'Partition') return env.partition;
    if (name === 'Region') return env.region;
    if (name === 'Account') return env.accountId;
    return str(input[name]);
  };
}

/** Sets a context key when the request determines its value. */
export function setIf(into: ContextValues, key: string, value: string | string[] | undefined): void {
  if (value !== undefined) into[key] = value;
}
