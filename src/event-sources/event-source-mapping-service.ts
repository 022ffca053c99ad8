import type { ControlContext } from '../control/control-context.js';
import { FunctionLookup } from '../control/function-lookup.js';
import { decodeMarker, encodeMarker } from '../control/list-marker.js';
import { EVENT_SOURCE_MAPPINGS, mappingConfiguration, type EventSourceMappingRecord, type EventSourceMappingState } from '../domain/event-source-mapping.js';
import { InvalidParameterValueException, ResourceConflictException, ResourceInUseException, ResourceNotFoundException } from '../domain/errors.js';
import type { FunctionVersionRecord } from '../domain/records.js';
import type { MessageQueues } from '../ports/message-queues.js';
import type { MessageBrokers } from '../ports/message-brokers.js';
import { EventFilter } from './event-filter.js';

export interface CreateMappingInput {
  EventSourceArn?: string;
  FunctionName: string;
  Enabled?: boolean;
  BatchSize?: number;
  MaximumBatchingWindowInSeconds?: number;
  FilterCriteria?: { Filters?: Array<{ Pattern?: string }> };
  FunctionResponseTypes?: string[];
  ScalingConfig?: { MaximumConcurrency?: number };
  Queues?: string[];
  SourceAccessConfigurations?: Array<{ Type?: string; URI?: string }>;
  DestinationConfig?: unknown;
  StartingPosition?: string;
  Topics?: string[];
  SelfManagedEventSource?: unknown;
}

export type UpdateMappingInput = Omit<CreateMappingInput, 'EventSourceArn' | 'FunctionName' | 'Queues' | 'StartingPosition' | 'Topics' | 'SelfManagedEventSource'> & { UUID: string; FunctionName?: string };

export interface EventSourceMappingServiceDeps {
  ctx: ControlContext;
  queues: MessageQueues;
  brokers: MessageBrokers;
  /** Whether the execution role may call `action` on `resource` (IAM evaluation of the role's policies). */
  roleAllows(roleArn: string, action: string, resource: string): boolean;
  /** Told after every change: the pollers reconcile (start, restart, stop) and settle the state. */
  changed(uuid: string): void;
}

/** The SQS actions Lambda's poller needs, checked on the execution role at create (Lambda's order). */
const SQS_ACTIONS = ['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'];

/**
 * Lambda's event source mapping API (Create/Get/Update/Delete/ListEventSourceMappings) for SQS
 * queues and RabbitMQ brokers (Amazon MQ ARNs). Writes answer with the transitional state
 * (Creating, Updating, Enabling, Disabling, Deleting) and 202, as Lambda does; the pollers then
 * settle it (Enabled, Disabled, or the record removed) through `settle` / `remove`.
 */
export class EventSourceMappingService {
  readonly #deps: EventSourceMappingServiceDeps;
  readonly #lookup: FunctionLookup;

  constructor(deps: EventSourceMappingServiceDeps) {
    this.#deps = deps;
    this.#lookup = new FunctionLookup(deps.ctx);
  }

  get #mappings() {
    return this.#deps.ctx.store.collection<EventSourceMappingRecord>(EVENT_SOURCE_MAPPINGS);
  }

  create(input: CreateMappingInput) {
    const arn = input.EventSourceArn;
    const service = arn?.startsWith('arn:') ? arn.split(':')[2] : undefined;
    if (!arn || (service !== 'sqs' && service !== 'mq')) throw new InvalidParameterValueException('Unrecognized event source.');
    const fn = this.#function(input.FunctionName);
    if (input.DestinationConfig !== undefined) throw new InvalidParameterValueException('Unsupported DestinationConfig parameter for given event source mapping type.');
    const kind = service === 'sqs' ? 'sqs' : 'rmq';
    const rec: EventSourceMappingRecord = {
      UUID: this.#deps.ctx.uuid(),
      EventSourceArn: arn,
      EventSourceMappingArn: '',
      FunctionArn: fn.arn,
      BatchSize: input.BatchSize ?? (kind === 'sqs' ? 10 : 100),
      MaximumBatchingWindowInSeconds: input.MaximumBatchingWindowInSeconds ?? 0,
      FunctionResponseTypes: input.FunctionResponseTypes ?? [],
      LastModified: this.#deps.ctx.clock.now() / 1000,
      State: 'Creating',
      StateTransitionReason: 'USER_INITIATED',
      flint: { kind, functionName: fn.name, ...(fn.qualifier !== undefined ? { qualifier: fn.qualifier } : {}), enabled: input.Enabled ?? true },
    };
    rec.EventSourceMappingArn = `arn:aws:lambda:${this.#deps.ctx.arns.region}:${this.#deps.ctx.arns.accountId}:event-source-mapping:${rec.UUID}`;
    const filter = input.FilterCriteria !== undefined ? filterCriteria(input.FilterCriteria) : undefined;
    if (filter) rec.FilterCriteria = filter;
    if (kind === 'sqs') {
      this.#checkSqs(rec, input, fn.config);
    } else {
      this.#checkRabbitMq(rec, input);
    }
    return this.#deps.ctx.store.transaction(() => {
      const clash = this.#mappings.list().find((m) => m.value.EventSourceArn === arn && m.value.FunctionArn === rec.FunctionArn && sameQueues(m.value.Queues, rec.Queues));
      if (clash) {
        throw kind === 'sqs'
          ? new ResourceConflictException(`An event source mapping with SQS arn (" ${arn} ") and function (" ${input.FunctionName} ") already exists. Please update or delete the existing mapping with UUID ${clash.value.UUID}`)
          : new ResourceConflictException(`An event source mapping with event source ("${arn}"), function ("${rec.FunctionArn}"), queues ("${(rec.Queues ?? []).join(',')}") already exists. Please update or delete the existing mapping with UUID ${clash.value.UUID}`);
      }
      this.#mappings.put(rec.UUID, rec);
      this.#deps.changed(rec.UUID);
      return mappingConfiguration(rec);
    });
  }

  get(input: { UUID: string }) {
    return mappingConfiguration(this.#require(input.UUID));
  }

  update(input: UpdateMappingInput) {
    const current = this.#require(input.UUID);
    if (current.State === 'Deleting') throw new ResourceInUseException(`Cannot update the event source mapping because it is in use.`);
    const next: EventSourceMappingRecord = { ...current, flint: { ...current.flint } };
    if (input.FunctionName !== undefined) {
      const fn = this.#function(input.FunctionName);
      next.FunctionArn = fn.arn;
      next.flint.functionName = fn.name;
      if (fn.qualifier !== undefined) next.flint.qualifier = fn.qualifier;
      else delete next.flint.qualifier;
    }
    if (input.DestinationConfig !== undefined) throw new InvalidParameterValueException('Unsupported DestinationConfig parameter for given event source mapping type.');
    if (input.BatchSize !== undefined) next.BatchSize = input.BatchSize;
    if (input.MaximumBatchingWindowInSeconds !== undefined) next.MaximumBatchingWindowInSeconds = input.MaximumBatchingWindowInSeconds;
    if (input.FunctionResponseTypes !== undefined) next.FunctionResponseTypes = input.FunctionResponseTypes;
    if (input.FilterCriteria !== undefined) {
      const f = filterCriteria(input.FilterCriteria);
      if (f) next.FilterCriteria = f;
      else delete next.FilterCriteria;
    }
    if (input.ScalingConfig !== undefined) {
      if (current.flint.kind !== 'sqs') throw new InvalidParameterValueException('Unsupported ScalingConfig parameter for given event source mapping type.');
      next.ScalingConfig = input.ScalingConfig;
    }
    if (input.SourceAccessConfigurations !== undefined && current.flint.kind === 'rmq') next.SourceAccessConfigurations = accessConfigurations(input.SourceAccessConfigurations);
    if (current.flint.kind === 'sqs') {
      checkBatchWindow(next.BatchSize, next.MaximumBatchingWindowInSeconds);
      // A new function must be allowed to read the queue and fit its visibility timeout too.
      if (input.FunctionName !== undefined) {
        const config = this.#function(input.FunctionName).config;
        this.#checkRole(next.EventSourceArn, config);
        this.#checkVisibility(next.EventSourceArn, config);
      }
    } else if (next.BatchSize > 10000) {
      throw new InvalidParameterValueException('BatchSize must be less than or equal to 10000.');
    }
    let state: EventSourceMappingState = 'Updating';
    if (input.Enabled !== undefined && input.Enabled !== current.flint.enabled) state = input.Enabled ? 'Enabling' : 'Disabling';
    if (input.Enabled !== undefined) next.flint.enabled = input.Enabled;
    next.State = state;
    next.StateTransitionReason = 'USER_INITIATED';
    next.LastModified = this.#deps.ctx.clock.now() / 1000;
    this.#mappings.put(next.UUID, next);
    this.#deps.changed(next.UUID);
    return mappingConfiguration(next);
  }

  delete(input: { UUID: string }) {
    const current = this.#require(input.UUID);
    const next: EventSourceMappingRecord = { ...current, State: 'Deleting', StateTransitionReason: 'USER_INITIATED', LastModified: this.#deps.ctx.clock.now() / 1000 };
    this.#mappings.put(next.UUID, next);
    this.#deps.changed(next.UUID);
    return mappingConfiguration(next);
  }

  list(input: { EventSourceArn?: string; FunctionName?: string; Marker?: string; MaxItems?: number }) {
    let wanted: { name: string; qualifier?: string } | undefined;
    if (input.FunctionName !== undefined) wanted = this.#lookup.parse(input.FunctionName);
    const limit = input.MaxItems ?? 100;
    const after = input.Marker !== undefined ? decodeMarker(input.Marker) : undefined;
    const all = this.#mappings.list(undefined, after !== undefined ? { after } : {}).map((e) => e.value).filter((m) =>
      (input.EventSourceArn === undefined || m.EventSourceArn === input.EventSourceArn) &&
      (wanted === undefined || (m.flint.functionName === wanted.name && (wanted.qualifier === undefined || m.flint.qualifier === wanted.qualifier))));
    const page = all.slice(0, limit);
    return {
      EventSourceMappings: page.map(mappingConfiguration),
      ...(all.length > limit ? { NextMarker: encodeMarker(page[page.length - 1]!.UUID) } : {}),
    };
  }

  /** Every stored mapping (the pollers' view). */
  all(): EventSourceMappingRecord[] {
    return this.#mappings.list().map((e) => e.value);
  }

  record(uuid: string): EventSourceMappingRecord | undefined {
    return this.#mappings.get(uuid);
  }

  /** The pollers have taken a change in: Creating/Updating/Enabling → Enabled, Disabling → Disabled. */
  settle(uuid: string): void {
    this.#deps.ctx.store.transaction(() => {
      const rec = this.#mappings.get(uuid);
      if (!rec || rec.State === 'Deleting') return;
      const State = rec.flint.enabled ? 'Enabled' : 'Disabled';
      if (rec.State !== State) this.#mappings.put(uuid, { ...rec, State });
    });
  }

  /** The pollers of a Deleting mapping have stopped: the mapping is gone. */
  remove(uuid: string): void {
    this.#mappings.delete(uuid);
  }

  /** LastProcessingResult, as Lambda reports it (`OK`, `PROBLEM: …`). */
  setLastProcessingResult(uuid: string, result: string): void {
    this.#deps.ctx.store.transaction(() => {
      const rec = this.#mappings.get(uuid);
      if (rec && rec.LastProcessingResult !== result) this.#mappings.put(uuid, { ...rec, LastProcessingResult: result });
    });
  }

  #require(uuid: string): EventSourceMappingRecord {
    const rec = this.#mappings.get(uuid);
    if (!rec) throw new ResourceNotFoundException('The resource you requested does not exist.');
    return rec;
  }

  /** The function (name, ARN or alias/version-qualified) and the configuration that will run. */
  #function(functionName: string): { name: string; qualifier?: string; arn: string; config: FunctionVersionRecord['config'] } {
    let parsed: { name: string; qualifier?: string };
    try {
      parsed = this.#lookup.parse(functionName);
    } catch {
      throw new InvalidParameterValueException('Function does not exist');
    }
    const fn = this.#lookup.getFunction(parsed.name);
    if (!fn || (parsed.qualifier !== undefined && !this.#lookup.exists(parsed.name, parsed.qualifier))) throw new InvalidParameterValueException('Function does not exist');
    const q = parsed.qualifier ?? '$LATEST';
    const alias = this.#lookup.getAlias(parsed.name, q);
    const version = this.#lookup.getVersion(parsed.name, alias ? alias.FunctionVersion : q)!;
    return { ...parsed, arn: this.#deps.ctx.arns.function(parsed.name, parsed.qualifier), config: version.config };
  }

  #checkSqs(rec: EventSourceMappingRecord, input: CreateMappingInput, config: FunctionVersionRecord['config']): void {
    if (input.BatchSize !== undefined && rec.EventSourceArn.endsWith('.fifo') && input.BatchSize > 10) {
      throw new InvalidParameterValueException('Batch size for FIFO queues must be less than or equal to 10.');
    }
    checkBatchWindow(rec.BatchSize, rec.MaximumBatchingWindowInSeconds);
    if (input.ScalingConfig !== undefined) rec.ScalingConfig = input.ScalingConfig;
    if (!this.#deps.queues.exists(rec.EventSourceArn)) {
      throw new InvalidParameterValueException('Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does not exist.');
    }
    this.#checkRole(rec.EventSourceArn, config);
    this.#checkVisibility(rec.EventSourceArn, config);
  }

  #checkRole(queueArn: string, config: FunctionVersionRecord['config']): void {
    for (const action of SQS_ACTIONS) {
      if (!this.#deps.roleAllows(config.Role, `sqs:${action}`, queueArn)) {
        throw new InvalidParameterValueException(`The provided execution role does not have permissions to call ${action} on SQS`);
      }
    }
  }

  #checkVisibility(queueArn: string, config: FunctionVersionRecord['config']): void {
    const visibility = this.#deps.queues.visibilityTimeoutSeconds(queueArn);
    if (visibility < config.Timeout) {
      throw new InvalidParameterValueException(`Queue visibility timeout: ${visibility} seconds is less than Function timeout: ${config.Timeout} seconds`);
    }
  }

  #checkRabbitMq(rec: EventSourceMappingRecord, input: CreateMappingInput): void {
    if (input.ScalingConfig !== undefined) throw new InvalidParameterValueException('Unsupported ScalingConfig parameter for given event source mapping type.');
    if (!input.SourceAccessConfigurations || input.SourceAccessConfigurations.length === 0) {
      throw new InvalidParameterValueException("Required 'sourceAccessConfigurations' parameter is missing.");
    }
    rec.SourceAccessConfigurations = accessConfigurations(input.SourceAccessConfigurations);
    if (!rec.SourceAccessConfigurations.some((c) => c.Type === 'BASIC_AUTH')) {
      throw new InvalidParameterValueException('Invalid SourceAccessConfigurations: BASIC_AUTH is required for Amazon MQ for RabbitMQ.');
    }
    if (!input.Queues || input.Queues.length !== 1) throw new InvalidParameterValueException('Queues must contain exactly one queue name.');
    rec.Queues = [...input.Queues];
    if (!this.#deps.brokers.knows(rec.EventSourceArn)) {
      throw new InvalidParameterValueException(`The broker ${rec.EventSourceArn} is not configured: Flint maps broker names to AMQP URLs through FLINT_MQ_BROKERS.`);
    }
  }
}

/** Lambda's rule for SQS: batches above 10 messages need a batching window. */
function checkBatchWindow(batchSize: number, windowSeconds: number): void {
  if (batchSize > 10 && windowSeconds === 0) {
    throw new InvalidParameterValueException('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
  }
}

function filterCriteria(given: { Filters?: Array<{ Pattern?: string }> }): EventSourceMappingRecord['FilterCriteria'] | undefined {
  const filters = given.Filters ?? [];
  if (filters.length === 0) return undefined;
  if (filters.length > 5) throw new InvalidParameterValueException('The number of filters exceeds the limit of 5.');
  EventFilter.parse(filters);
  return { Filters: filters.map((f) => ({ Pattern: f.Pattern ?? '' })) };
}

const ACCESS_TYPES = new Set(['BASIC_AUTH', 'VIRTUAL_HOST']);

function accessConfigurations(given: Array<{ Type?: string; URI?: string }>): Array<{ Type: string; URI: string }> {
  return given.map((c) => {
    if (!c.Type || !ACCESS_TYPES.has(c.Type) || !c.URI) throw new InvalidParameterValueException(`Invalid SourceAccessConfiguration type ${c.Type ?? 'null'} for Amazon MQ for RabbitMQ: use BASIC_AUTH and VIRTUAL_HOST.`);
    return { Type: c.Type, URI: c.URI };
  });
}

function sameQueues(a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).join('\u0000') === (b ?? []).join('\u0000');
}
