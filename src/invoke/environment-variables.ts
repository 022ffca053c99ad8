import { join } from 'node:path';
import type { FunctionConfiguration } from '../domain/records.js';
import type { SandboxPaths } from '../ports/sandbox-driver.js';

export interface EnvironmentVariableInput {
  config: FunctionConfiguration;
  functionName: string;
  version: string;
  region: string;
  paths: SandboxPaths;
  runtimeApi: string;
  logStreamName: string;
  initializationType: 'on-demand' | 'provisioned-concurrency';
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
  /** The runtime's own variables (AWS_EXECUTION_ENV, NODE_PATH, PYTHONPATH, ...). */
  runtimeVariables: Record<string, string>;
  /** PATH with the host's interpreters where Lambda has /var/lang/bin. */
  path: string;
  /** Flint's API as the code inside reaches it, for its SDKs (AWS_ENDPOINT_URL and per service). */
  apiEndpoint?: string;
}

/**
 * The services Flint's front door serves or will serve, by the suffix the AWS SDKs read in
 * `AWS_ENDPOINT_URL_<SERVICE>`: the service model's `serviceId` upper-cased with spaces as
 * underscores (CloudWatch Logs → CLOUDWATCH_LOGS, Config Service → CONFIG_SERVICE).
 */
export const FLINT_SERVICE_ENDPOINT_KEYS = [
  'LAMBDA', 'IAM', 'STS', 'KMS', 'CLOUDWATCH_LOGS', 'CLOUDWATCH', 'SQS', 'EVENTBRIDGE', 'SCHEDULER', 'XRAY', 'CLOUDTRAIL', 'CONFIG_SERVICE',
] as const;

/**
 * The SDKs' endpoint variables pointing at Flint: the general `AWS_ENDPOINT_URL` and one per
 * service Flint serves, so a function that sets `AWS_ENDPOINT_URL` to something else of its own
 * (an S3-compatible store) still reaches Flint for these.
 */
export function endpointVariables(endpoint: string): Record<string, string> {
  const out: Record<string, string> = { AWS_ENDPOINT_URL: endpoint };
  for (const key of FLINT_SERVICE_ENDPOINT_KEYS) out[`AWS_ENDPOINT_URL_${key}`] = endpoint;
  return out;
}

/**
 * The environment a function's process starts with, as Lambda builds it (recorded in
 * test_lambda_common.snapshot.json, test_introspection_invoke): defaults a function may override
 * (LANG, PATH, LD_LIBRARY_PATH, TZ, NODE_PATH, PYTHONPATH, ...), then the function's variables, then
 * the reserved variables it may not set. Paths are the sandbox's view.
 */
export function environmentVariables(i: EnvironmentVariableInput): Record<string, string> {
  const p = i.paths;
  const defaults: Record<string, string> = {
    PATH: i.path,
    LD_LIBRARY_PATH: ['/lib64', '/usr/lib64', p.runtimeDir, join(p.runtimeDir, 'lib'), p.taskRoot, join(p.taskRoot, 'lib'), join(p.opt, 'lib')].join(':'),
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    // Defaults, not reserved: a function may point its SDK elsewhere, as it may on Lambda.
    ...(i.apiEndpoint ? endpointVariables(i.apiEndpoint) : {}),
    ...i.runtimeVariables,
  };
  const { AWS_EXECUTION_ENV: executionEnv } = i.runtimeVariables;
  const reserved: Record<string, string> = {
    _HANDLER: i.config.Handler ?? '',
    AWS_REGION: i.region,
    AWS_DEFAULT_REGION: i.region,
    ...(executionEnv ? { AWS_EXECUTION_ENV: executionEnv } : {}),
    AWS_LAMBDA_FUNCTION_NAME: i.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: i.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(i.config.MemorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: i.initializationType,
    AWS_LAMBDA_LOG_GROUP_NAME: i.config.LoggingConfig?.LogGroup ?? `/aws/lambda/${i.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: i.logStreamName,
    ...logFormatVariables(i.config),
    AWS_LAMBDA_RUNTIME_API: i.runtimeApi,
    AWS_ACCESS_KEY_ID: i.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: i.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: i.credentials.sessionToken,
    LAMBDA_TASK_ROOT: p.taskRoot,
    LAMBDA_RUNTIME_DIR: p.runtimeDir,
  };
  return { ...defaults, ...(i.config.Environment?.Variables ?? {}), ...reserved };
}

/**
 * With the JSON log format Lambda tells the runtime so, and which application level to keep:
 * `AWS_LAMBDA_LOG_FORMAT=JSON` and `AWS_LAMBDA_LOG_LEVEL=<ApplicationLogLevel>` (what Lambda's
 * runtime clients read: LogPatch.js in the Node.js client, bootstrap.py in the Python one). A Text
 * function gets neither (recorded environments of Text functions carry no AWS_LAMBDA_LOG_*
 * besides the group and stream names).
 */
export function logFormatVariables(config: FunctionConfiguration): Record<string, string> {
  const logging = config.LoggingConfig;
  if (logging?.LogFormat !== 'JSON') return {};
  return { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: logging.ApplicationLogLevel ?? 'INFO' };
}
