import { createHash } from 'node:crypto';
import type { FunctionConfiguration, FunctionVersionRecord } from '../domain/records.js';
import { CODE_LIMITS } from '../domain/code-limits.js';
import { InvalidParameterValueException } from '../domain/errors.js';
import { mergeLoggingConfig } from './function-validation.js';
import { vpcConfigResponse, type VpcConfigInput } from './vpc-config.js';
import type { StoredVersionRecord } from './function-secrets.js';

/**
 * The configuration members a function's create/update requests carry (CreateFunction minus Code,
 * FunctionName, Publish, Tags; UpdateFunctionConfiguration minus FunctionName, RevisionId).
 */
export interface ConfigInput {
  Runtime?: string;
  Role?: string;
  Handler?: string;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: { Variables?: Record<string, string> };
  DeadLetterConfig?: { TargetArn?: string };
  KMSKeyArn?: string;
  TracingConfig?: { Mode?: string };
  EphemeralStorage?: { Size: number };
  SnapStart?: { ApplyOn?: string };
  LoggingConfig?: { LogFormat?: string; LogGroup?: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  VpcConfig?: VpcConfigInput;
}

/** Lambda's fixed "being created" reason, used for State on create and LastUpdateStatus on update (recorded). */
export const CREATING = { reason: 'The function is being created.', code: 'Creating' } as const;

/**
 * Lambda reports the runtime build a function runs on as an ARN with a 64-hex build id; Flint's id
 * is derived from the runtime name, stable across restarts.
 */
export function runtimeVersionArn(region: string, runtime: string): string {
  return `arn:aws:lambda:${region}::runtime:${createHash('sha256').update(`flint-runtime/${runtime}`).digest('hex')}`;
}

/** Applies the optional members of a create or update request onto a configuration, in place. */
export function applyConfigInput(config: FunctionConfiguration, input: ConfigInput, region: string): void {
  if (input.Runtime !== undefined) config.Runtime = input.Runtime;
  if (input.Role !== undefined) config.Role = input.Role;
  if (input.Handler !== undefined) config.Handler = input.Handler;
  if (input.Description !== undefined) config.Description = input.Description;
  if (input.Timeout !== undefined) config.Timeout = input.Timeout;
  if (input.MemorySize !== undefined) config.MemorySize = input.MemorySize;
  if (input.Environment !== undefined) config.Environment = { Variables: input.Environment.Variables ?? {} };
  if (input.DeadLetterConfig !== undefined) {
    // An empty TargetArn removes the dead-letter queue, as in Lambda.
    if (input.DeadLetterConfig.TargetArn) config.DeadLetterConfig = { TargetArn: input.DeadLetterConfig.TargetArn };
    else delete config.DeadLetterConfig;
  }
  if (input.KMSKeyArn !== undefined) {
    if (input.KMSKeyArn) config.KMSKeyArn = input.KMSKeyArn;
    else delete config.KMSKeyArn;
  }
  if (input.TracingConfig?.Mode !== undefined) config.TracingConfig = { Mode: input.TracingConfig.Mode };
  if (input.EphemeralStorage !== undefined) config.EphemeralStorage = { Size: input.EphemeralStorage.Size };
  if (input.SnapStart?.ApplyOn !== undefined) config.SnapStart = { ApplyOn: input.SnapStart.ApplyOn, OptimizationStatus: 'Off' };
  if (input.VpcConfig !== undefined) config.VpcConfig = { ...vpcConfigResponse(input.VpcConfig) };
  config.LoggingConfig = mergeLoggingConfig(config.LoggingConfig, input.LoggingConfig);
  if (config.Runtime !== undefined) config.RuntimeVersionConfig = { RuntimeVersionArn: runtimeVersionArn(region, config.Runtime) };
}

/** The configuration of a new function's $LATEST before the optional members are applied. */
export function baseConfig(opts: {
  name: string;
  arn: string;
  role: string;
  codeSize: number;
  codeSha256: string;
  lastModified: string;
  revisionId: string;
  architectures?: string[];
}): FunctionConfiguration {
  return {
    FunctionName: opts.name,
    FunctionArn: opts.arn,
    Role: opts.role,
    CodeSize: opts.codeSize,
    Description: '',
    Timeout: 3,
    MemorySize: 128,
    LastModified: opts.lastModified,
    CodeSha256: opts.codeSha256,
    Version: '$LATEST',
    TracingConfig: { Mode: 'PassThrough' },
    RevisionId: opts.revisionId,
    State: 'Pending',
    StateReason: CREATING.reason,
    StateReasonCode: CREATING.code,
    PackageType: 'Zip',
    Architectures: opts.architectures ?? ['x86_64'],
    EphemeralStorage: { Size: 512 },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${opts.name}` },
  };
}

/** Function code plus layers must stay within Lambda's 250 MB unzipped quota. */
export function checkUnzippedTotal(codeBytes: number, layerBytes: number): void {
  const total = codeBytes + layerBytes;
  if (total > CODE_LIMITS.unzippedBytes) {
    throw new InvalidParameterValueException(
      `Function code combined with layers exceeds the maximum allowed size of ${CODE_LIMITS.unzippedBytes} bytes. The actual size is ${total} bytes.`,
    );
  }
}

const STATE_MEMBERS = ['State', 'StateReason', 'StateReasonCode', 'LastUpdateStatus', 'LastUpdateStatusReason', 'LastUpdateStatusReasonCode'] as const;

/** ListFunctions and ListVersionsByFunction show configurations without state and runtime-version members (recorded). */
export function listView(config: FunctionConfiguration): FunctionConfiguration {
  const out: FunctionConfiguration = { ...config };
  for (const k of STATE_MEMBERS) delete out[k];
  delete out.RuntimeVersionConfig;
  return out;
}

/** The configuration with its state members replaced (undefined values removed). */
export function withState(config: FunctionConfiguration, state: Partial<Pick<FunctionConfiguration, (typeof STATE_MEMBERS)[number]>>): FunctionConfiguration {
  const out: FunctionConfiguration = { ...config };
  for (const k of STATE_MEMBERS) delete out[k];
  for (const [k, v] of Object.entries(state)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/**
 * What makes two publications of $LATEST the same version: code, layers and every configuration
 * member except identity, timestamps, revision and state. PublishVersion with an unchanged
 * fingerprint returns the last version instead of creating one (Lambda's behaviour).
 */
export function publishFingerprint(rec: StoredVersionRecord): string {
  const { FunctionArn: _a, Version: _v, RevisionId: _r, LastModified: _m, ...rest } = rec.config;
  for (const k of STATE_MEMBERS) delete (rest as Record<string, unknown>)[k];
  // A sealed environment counts by its ciphertext, which a re-seal of the same variables keeps.
  const env = rec.sealed ? { key: rec.sealed.keyArn, env: rec.sealed.environment ?? null } : undefined;
  const stable = JSON.stringify(sortKeys({ config: rest, code: rec.codeSha256Hex, layers: rec.layerSha256Hex, ...(env ? { sealed: env } : {}) }));
  return createHash('sha256').update(stable).digest('hex');
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}
