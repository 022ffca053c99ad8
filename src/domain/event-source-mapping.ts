/**
 * An event source mapping as stored: Lambda's EventSourceMappingConfiguration wire shape plus
 * what the pollers need (the function's name and qualifier, the kind of source).
 */
export interface EventSourceMappingRecord {
  UUID: string;
  EventSourceArn: string;
  EventSourceMappingArn: string;
  FunctionArn: string;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  FilterCriteria?: { Filters: Array<{ Pattern: string }> };
  FunctionResponseTypes: string[];
  ScalingConfig?: { MaximumConcurrency?: number };
  Queues?: string[];
  SourceAccessConfigurations?: Array<{ Type: string; URI: string }>;
  LastModified: number;
  LastProcessingResult?: string;
  State: EventSourceMappingState;
  StateTransitionReason: string;
  /** Internal (not on the wire): how the pollers reach the function and the source. */
  flint: { kind: 'sqs' | 'rmq'; functionName: string; qualifier?: string; enabled: boolean };
}

export type EventSourceMappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

/** The metadata store collection holding mappings, keyed by UUID. */
export const EVENT_SOURCE_MAPPINGS = 'eventSourceMappings';

/** The wire shape: the record without Flint's internal part. */
export function mappingConfiguration(rec: EventSourceMappingRecord): Omit<EventSourceMappingRecord, 'flint'> {
  const { flint: _internal, ...wire } = rec;
  return wire;
}
