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
} as const;
