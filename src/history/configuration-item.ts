/**
 * AWS Config's ConfigurationItem for `AWS::Lambda::Function`, as Flint records it. Times are epoch
 * milliseconds here; the front door's handlers turn them into Dates (the model's timestamps).
 */
export interface ConfigurationItem {
  version: '1.3';
  accountId: string;
  /** Epoch ms. */
  configurationItemCaptureTime: number;
  /** AWS Config: the first item of a resource is ResourceDiscovered, later ones OK, the last of a deleted one ResourceDeleted. */
  configurationItemStatus: 'OK' | 'ResourceDiscovered' | 'ResourceDeleted';
  /** AWS Config uses the capture time in epoch ms as a string; Flint adds the item's sequence to keep it unique. */
  configurationStateId: string;
  arn: string;
  resourceType: 'AWS::Lambda::Function';
  resourceId: string;
  resourceName: string;
  awsRegion: string;
  /** JSON text of the function's state (FunctionState); null for a deleted resource, as in AWS Config. */
  configuration: string | null;
  /** Request ids of the calls that led to this item (AWS Config lists CloudTrail event ids). */
  relatedEvents: string[];
  tags: Record<string, string>;
  /** Epoch ms of the first item, when known (AWS Config's resourceCreationTime). */
  resourceCreationTime?: number;
}

/** What a configuration item's `configuration` holds: everything that can change about one function. */
export interface FunctionState {
  /** GetFunctionConfiguration of $LATEST. */
  configuration: Record<string, unknown>;
  reservedConcurrentExecutions?: number;
  aliases: Array<Record<string, unknown>>;
  /** The resource-based policy document of $LATEST, parsed; absent without one. */
  policy?: unknown;
  tags: Record<string, string>;
  /** Event invoke config of $LATEST, when one is set. */
  eventInvokeConfig?: Record<string, unknown>;
}

export const LAMBDA_FUNCTION = 'AWS::Lambda::Function';
