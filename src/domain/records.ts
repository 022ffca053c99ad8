/**
 * What the metadata store holds. Collection names and key layouts live here so every service and
 * every store agrees on them. Keys join parts with NUL so that prefix listing never confuses
 * `fn` with `fn2`.
 */
export const SEP = '\u0000';
export const key = (...parts: Array<string | number>): string => parts.map(String).join(SEP);

/** A function version's configuration, in the wire shape of Lambda's FunctionConfiguration. */
export interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime?: string;
  Role: string;
  Handler?: string;
  CodeSize: number;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  CodeSha256: string;
  Version: string;
  VpcConfig?: Record<string, unknown>;
  Environment?: { Variables: Record<string, string> };
  DeadLetterConfig?: { TargetArn?: string };
  KMSKeyArn?: string;
  TracingConfig: { Mode: string };
  RevisionId: string;
  Layers?: Array<{ Arn: string; CodeSize: number }>;
  State: 'Pending' | 'Active' | 'Inactive' | 'Failed';
  StateReason?: string;
  StateReasonCode?: string;
  LastUpdateStatus?: 'Successful' | 'Failed' | 'InProgress';
  LastUpdateStatusReason?: string;
  LastUpdateStatusReasonCode?: string;
  PackageType: 'Zip' | 'Image';
  Architectures: string[];
  EphemeralStorage: { Size: number };
  SnapStart: { ApplyOn: string; OptimizationStatus: string };
  LoggingConfig: { LogFormat: string; LogGroup: string; ApplicationLogLevel?: string; SystemLogLevel?: string };
  RuntimeVersionConfig?: { RuntimeVersionArn: string };
  [extra: string]: unknown;
}

/** collection `function-versions`, key `name SEP version` (`$LATEST` or the number, zero-padded). */
export interface FunctionVersionRecord {
  config: FunctionConfiguration;
  /** Hex SHA-256 of the code archive in the code store. */
  codeSha256Hex: string;
  /** Hex SHA-256 of each referenced layer version's archive, in order. */
  layerSha256Hex: string[];
  /** Unzipped size of the function's own archive (the 250 MB quota counts it with its layers). */
  unzippedSize?: number;
  /** When the version was created (ms since epoch). */
  createdAt: number;
}

/** collection `functions`, key `name`. Function-level state shared by all versions. */
export interface FunctionRecord {
  name: string;
  arn: string;
  createdAt: number;
  /** Last published version number (0 when none). */
  lastVersion: number;
  /**
   * Fingerprint of $LATEST's code and configuration when version `lastVersion` was published:
   * PublishVersion with nothing changed since then returns that version instead of a new one.
   */
  publishedFingerprint?: string;
  reservedConcurrency?: number;
  tags: Record<string, string>;
}

/** collection `aliases`, key `name SEP alias`. Wire shape of AliasConfiguration. */
export interface AliasRecord {
  AliasArn: string;
  Name: string;
  FunctionVersion: string;
  Description: string;
  RoutingConfig?: { AdditionalVersionWeights: Record<string, number> };
  RevisionId: string;
}

/** Pads a published version number so key order is numeric order. */
export const versionKey = (v: string): string => (v === '$LATEST' ? v : v.padStart(10, '0'));

export const COLLECTIONS = {
  functions: 'functions',
  functionVersions: 'function-versions',
  aliases: 'aliases',
  layers: 'layers',
  layerVersions: 'layer-versions',
  policies: 'policies',
  layerPolicies: 'layer-policies',
  provisionedConcurrency: 'provisioned-concurrency',
  eventInvokeConfigs: 'event-invoke-configs',
  settings: 'settings',
  functionUrls: 'function-urls',
  functionUrlIds: 'function-url-ids',
} as const;

/** Pads a layer version number so key order is numeric order. */
export const layerVersionKey = (v: number): string => String(v).padStart(10, '0');

/** collection `layers`, key `layerName`. Survives the deletion of every version: numbers are never reused. */
export interface LayerRecord {
  LayerName: string;
  LayerArn: string;
  /** Highest version number ever published. */
  latestVersion: number;
}

/**
 * collection `layer-versions`, key `layerName SEP layerVersionKey(version)`. Wire shape of
 * GetLayerVersion's output minus `Content.Location`, which is minted per request.
 */
export interface LayerVersionRecord {
  LayerArn: string;
  LayerVersionArn: string;
  Version: number;
  Description: string;
  CreatedDate: string;
  /** Absent when the publisher sent none (AWS then omits the member); `[]` when sent empty. */
  CompatibleRuntimes?: string[];
  CompatibleArchitectures?: string[];
  LicenseInfo?: string;
  Content: { CodeSha256: string; CodeSize: number };
  /** Hex SHA-256 of the archive in the code store. */
  sha256Hex: string;
  /** Sum of the archive's uncompressed entry sizes (counts toward a function's 250 MB unzipped quota). */
  unzippedSize: number;
}

/** One statement of a resource-based policy, in IAM's JSON shape and key order as Lambda renders it. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

/**
 * collection `policies` (key `functionName SEP qualifier`, qualifier `$LATEST`, a version number
 * unpadded, or an alias name) and `layer-policies` (key `layerName SEP layerVersionKey(version)`).
 * A document exists only while it has statements.
 */
export interface PolicyRecord {
  RevisionId: string;
  Statement: PolicyStatement[];
}

/** collection `provisioned-concurrency`, key `functionName SEP qualifier` (version number or alias). */
export interface ProvisionedConcurrencyRecord {
  functionName: string;
  qualifier: string;
  RequestedProvisionedConcurrentExecutions: number;
  AllocatedProvisionedConcurrentExecutions: number;
  AvailableProvisionedConcurrentExecutions: number;
  Status: 'IN_PROGRESS' | 'READY' | 'FAILED';
  StatusReason?: string;
  /** Lambda's LastModified text format. */
  LastModified: string;
}

/**
 * collection `event-invoke-configs`, key `functionName SEP qualifier` (`$LATEST` when unqualified).
 * Wire shape of FunctionEventInvokeConfig; `LastModified` in epoch seconds.
 */
export interface EventInvokeConfigRecord {
  FunctionArn: string;
  LastModified: number;
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig: { OnSuccess: { Destination?: string }; OnFailure: { Destination?: string } };
}

/** A function URL's CORS settings, in the wire shape of Lambda's Cors. */
export interface FunctionUrlCors {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

/**
 * collection `function-urls`, key `name SEP qualifier` (`$LATEST` for the unqualified function);
 * collection `function-url-ids` maps `urlId` to that key, for the data plane's lookup by host.
 */
export interface FunctionUrlRecord {
  urlId: string;
  functionName: string;
  /** The alias, when the URL is an alias's. */
  qualifier?: string;
  FunctionArn: string;
  AuthType: 'NONE' | 'AWS_IAM';
  Cors?: FunctionUrlCors;
  /** As given (Create/Update echo it only once set); BUFFERED when absent. */
  InvokeMode?: 'BUFFERED' | 'RESPONSE_STREAM';
  CreationTime: string;
  LastModifiedTime: string;
}
