import { InvalidParameterValueException, ValidationException } from '../domain/errors.js';

/**
 * Request checks Lambda makes in its service code rather than through its API model, with the
 * wording real AWS answers (recorded in the Lambda API snapshot tests). Pure functions: they look at
 * values only, never at stored state.
 */

/**
 * The runtimes Lambda accepts for new or updated functions, in the order AWS lists them in its
 * "Member must satisfy enum value set" message (recorded 2025-11).
 */
export const SUPPORTED_RUNTIMES: readonly string[] = [
  'nodejs20.x', 'python3.14', 'provided.al2023', 'python3.12', 'python3.13', 'nodejs24.x', 'nodejs22.x', 'java25',
  'python3.10', 'python3.11', 'java21', 'ruby3.3', 'ruby3.4', 'ruby3.2', 'python3.8', 'python3.9', 'java17',
  'nodejs16.x', 'dotnet10', 'dotnet8', 'java11', 'dotnet6', 'nodejs18.x', 'provided.al2', 'java8.al2',
];

/** Runtimes in the API model that Lambda no longer accepts for create/update (deprecation "block update"). */
const DEPRECATED_RUNTIMES: ReadonlySet<string> = new Set([
  'nodejs', 'nodejs4.3', 'nodejs4.3-edge', 'nodejs6.10', 'nodejs8.10', 'nodejs10.x', 'nodejs12.x', 'nodejs14.x',
  'java8', 'python2.7', 'python3.6', 'python3.7', 'dotnetcore1.0', 'dotnetcore2.0', 'dotnetcore2.1',
  'dotnetcore3.1', 'go1.x', 'ruby2.5', 'ruby2.7', 'provided',
]);

/**
 * Lambda checks Runtime itself (the model's enum check is skipped for it) and answers
 * InvalidParameterValueException with its own list, or the deprecation text for retired runtimes.
 */
export function checkRuntime(runtime: string | undefined): void {
  if (runtime === undefined || SUPPORTED_RUNTIMES.includes(runtime)) return;
  if (DEPRECATED_RUNTIMES.has(runtime)) {
    throw new InvalidParameterValueException(
      `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`,
    );
  }
  throw new InvalidParameterValueException(
    `Value ${runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${SUPPORTED_RUNTIMES.join(', ')}] or be a valid ARN`,
  );
}

/**
 * The API model allows 140 characters for FunctionName (an ARN fits); the name itself may have 64.
 * CreateFunction answers InvalidParameterValueException carrying a validation-style message.
 */
export function checkNewFunctionName(input: string, name: string): void {
  if (name.length > 64) {
    throw new InvalidParameterValueException(
      `1 validation error detected: Value '${input}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
    );
  }
}

/** Service quotas the model leaves open: timeout ≤ 900 s, memory ≤ 10,240 MB (Coral wording). */
export function checkLimits(input: { Timeout?: number; MemorySize?: number }): void {
  const errors: string[] = [];
  if (input.Timeout !== undefined && input.Timeout > 900) {
    errors.push(`Value '${input.Timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900`);
  }
  if (input.MemorySize !== undefined && input.MemorySize > 10240) {
    errors.push(`Value '${input.MemorySize}' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240`);
  }
  if (errors.length > 0) {
    const head = errors.length === 1 ? '1 validation error detected: ' : `${errors.length} validation errors detected: `;
    throw new ValidationException(head + errors.join('; '));
  }
}

/**
 * The environment keys Lambda's runtimes set themselves and that a function configuration may not
 * set ("Defined runtime environment variables" → reserved, Lambda developer guide). LANG, PATH,
 * LD_LIBRARY_PATH, NODE_PATH, PYTHONPATH, GEM_PATH, TZ, AWS_XRAY_CONTEXT_MISSING and
 * AWS_XRAY_DAEMON_ADDRESS are documented as not reserved.
 */
export const RESERVED_ENV_KEYS: readonly string[] = [
  '_HANDLER', '_X_AMZN_TRACE_ID', 'AWS_DEFAULT_REGION', 'AWS_REGION', 'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME', 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE', 'AWS_LAMBDA_LOG_GROUP_NAME', 'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API', 'LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR',
];

/** Lambda's limit on the environment: 4 KB, measured as the JSON text of the variables map. */
const ENV_LIMIT_BYTES = 4096;

export function checkEnvironment(variables: Record<string, string> | undefined): void {
  if (!variables) return;
  const reserved = Object.keys(variables).filter((k) => RESERVED_ENV_KEYS.includes(k));
  if (reserved.length > 0) {
    throw new InvalidParameterValueException(
      'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. ' +
        `Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  const measured = JSON.stringify(variables);
  if (Buffer.byteLength(measured) > ENV_LIMIT_BYTES) {
    throw new InvalidParameterValueException(
      `Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: ${measured}`,
    );
  }
}

export interface CodeInput {
  ZipFile?: Buffer;
  S3Bucket?: string;
  S3Key?: string;
  S3ObjectVersion?: string;
  ImageUri?: string;
}

/** Flint runs .zip packages only; container images are a clear, early refusal. */
export function checkPackageType(packageType: string | undefined): void {
  if (packageType === 'Image') {
    throw new InvalidParameterValueException(
      'Flint does not run container-image functions (PackageType Image). Package the function as a .zip archive (PackageType Zip) and upload it as Code.ZipFile.',
    );
  }
}

/** The uploaded archive of CreateFunction / UpdateFunctionCode, or the reason Flint cannot take it. */
export function requireZipFile(code: CodeInput | undefined, op: 'create' | 'update'): Buffer {
  if (code?.ImageUri !== undefined) {
    // UpdateFunctionCode on a Zip function with an image is refused with this text by AWS too.
    if (op === 'update') throw new InvalidParameterValueException("Please don't provide ImageUri when updating a function with packageType Zip.");
    throw new InvalidParameterValueException(
      'Flint does not run container images (Code.ImageUri). Upload the deployment package as Code.ZipFile.',
    );
  }
  if (code?.S3Bucket !== undefined || code?.S3Key !== undefined || code?.S3ObjectVersion !== undefined) {
    throw new InvalidParameterValueException(
      'Flint does not fetch deployment packages from Amazon S3 (S3Bucket/S3Key/S3ObjectVersion). Upload the package as ZipFile instead (up to 50 MB zipped).',
    );
  }
  if (code?.ZipFile === undefined) throw new InvalidParameterValueException('Please provide a source for function code.');
  if (code.ZipFile.length === 0) throw new InvalidParameterValueException('Uploaded file must be a non-empty zip');
  return code.ZipFile;
}

/** A Zip function needs both a runtime and a handler (AWS's wording for the missing pair). */
export function checkHandlerAndRuntime(runtime: string | undefined, handler: string | undefined): void {
  if (runtime === undefined || handler === undefined || handler === '') {
    throw new InvalidParameterValueException('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
  }
}

/**
 * Attachments Flint cannot provide: empty values are accepted as "none". VpcConfig is not one of
 * them: it is validated (vpc-config.ts), stored and returned, and the sandbox's network mode applies.
 */
export function checkUnsupportedAttachments(input: {
  FileSystemConfigs?: unknown[];
  ImageConfig?: Record<string, unknown>;
}): void {
  if ((input.FileSystemConfigs?.length ?? 0) > 0) {
    throw new InvalidParameterValueException('Flint does not mount Amazon EFS file systems; omit FileSystemConfigs.');
  }
  if (input.ImageConfig !== undefined && Object.keys(input.ImageConfig).length > 0) {
    throw new InvalidParameterValueException('ImageConfig applies to container-image functions, which Flint does not run.');
  }
}

/** A function's LoggingConfig as Lambda stores and returns it. */
export interface LoggingConfig {
  LogFormat: string;
  LogGroup: string;
  ApplicationLogLevel?: string;
  SystemLogLevel?: string;
}

/**
 * Lambda's answer when log levels are set while the function's format stays Text (Lambda's
 * message, as CloudFormation relays it for AWS::Lambda::Function, aws/aws-cdk#28045).
 */
export const LOG_LEVEL_NEEDS_JSON =
  'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.';

/**
 * Lambda's advanced logging controls. A create or update merges into the current setting (a
 * partial update keeps what it does not name: recorded in the Lambda API snapshot tests
 * TestLoggingConfig). JSON carries application and system log levels, INFO unless set; switching
 * back to Text drops them. Levels on a function whose format is (or stays) Text are refused.
 * Enum values and the LogGroup pattern/length are the model's checks (front door).
 */
export function mergeLoggingConfig(current: LoggingConfig, update: Partial<LoggingConfig> | undefined): LoggingConfig {
  if (!update) return current;
  const format = update.LogFormat ?? current.LogFormat;
  if (format !== 'JSON' && (update.ApplicationLogLevel !== undefined || update.SystemLogLevel !== undefined)) {
    throw new InvalidParameterValueException(LOG_LEVEL_NEEDS_JSON);
  }
  const out: LoggingConfig = { LogFormat: format, LogGroup: update.LogGroup ?? current.LogGroup };
  if (format === 'JSON') {
    out.ApplicationLogLevel = update.ApplicationLogLevel ?? current.ApplicationLogLevel ?? 'INFO';
    out.SystemLogLevel = update.SystemLogLevel ?? current.SystemLogLevel ?? 'INFO';
  }
  return out;
}
