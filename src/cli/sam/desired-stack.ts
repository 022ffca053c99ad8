/** What a template asks for, resolved to physical names and API inputs (src/cli/sam/sam-template.ts builds it). */

export interface DesiredRole {
  logicalId: string;
  type: string;
  name: string;
  arn: string;
  path: string;
  description?: string;
  assumeRolePolicy: Record<string, unknown>;
  /** Inline policies by name. */
  inline: Record<string, Record<string, unknown>>;
  managedPolicyArns: string[];
}

export interface DesiredLayer {
  logicalId: string;
  type: string;
  name: string;
  /** Absolute folder whose contents are the layer archive. */
  contentDir: string;
  description: string;
  compatibleRuntimes?: string[];
  compatibleArchitectures?: string[];
  licenseInfo?: string;
}

export interface DesiredQueue {
  logicalId: string;
  type: string;
  name: string;
  attributes: Record<string, string>;
}

/** A function's code: a folder to package, or inline source (CloudFormation's ZipFile / SAM's InlineCode). */
export type FunctionCode = { dir: string } | { inline: string; file: string };

export interface DesiredFunction {
  logicalId: string;
  type: string;
  name: string;
  arn: string;
  code: FunctionCode;
  /** CreateFunction / UpdateFunctionConfiguration members (without FunctionName and Code). */
  config: {
    Runtime?: string;
    Handler?: string;
    Role: string;
    Description: string;
    MemorySize: number;
    Timeout: number;
    Environment: { Variables: Record<string, string> };
    Layers: string[];
    Architectures?: string[];
    EphemeralStorage?: { Size: number };
    TracingConfig?: { Mode: string };
  };
  tags: Record<string, string>;
  reservedConcurrency?: number;
}

export interface DesiredUrl {
  logicalId: string;
  type: string;
  functionName: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: Record<string, unknown>;
  /** API routes (Api / HttpApi events) this URL stands in for, as `METHOD /path`. */
  routes: string[];
}

export interface DesiredPermission {
  logicalId: string;
  type: string;
  functionName: string;
  statementId: string;
  action: string;
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
  functionUrlAuthType?: string;
}

export interface DesiredSchedule {
  logicalId: string;
  type: string;
  name: string;
  group: string;
  expression: string;
  timezone?: string;
  state: 'ENABLED' | 'DISABLED';
  input?: string;
  description?: string;
  functionArn: string;
  roleArn: string;
  flexibleWindow: { Mode: string; MaximumWindowInMinutes?: number };
}

export interface DesiredMapping {
  logicalId: string;
  type: string;
  functionName: string;
  eventSourceArn: string;
  settings: {
    BatchSize?: number;
    Enabled?: boolean;
    MaximumBatchingWindowInSeconds?: number;
    FilterCriteria?: Record<string, unknown>;
    FunctionResponseTypes?: string[];
    ScalingConfig?: Record<string, unknown>;
  };
}

export interface SkippedResource {
  logicalId: string;
  type: string;
  reason: string;
}

export interface DesiredStack {
  stackName: string;
  roles: DesiredRole[];
  layers: DesiredLayer[];
  queues: DesiredQueue[];
  functions: DesiredFunction[];
  urls: DesiredUrl[];
  permissions: DesiredPermission[];
  schedules: DesiredSchedule[];
  mappings: DesiredMapping[];
  skipped: SkippedResource[];
  /** Schedule groups the stack owns (created and tagged; pruned with --prune). */
  scheduleGroups: string[];
}

/** Tags marking what a stack made, as CloudFormation's aws:cloudformation:stack-name / logical-id do. */
export const STACK_TAG = 'flint:stack';
export const LOGICAL_ID_TAG = 'flint:logical-id';
