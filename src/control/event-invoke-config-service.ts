import { dropWithQualifier } from './qualifier-documents.js';
import type { ControlContext } from './control-context.js';
import { FunctionLookup } from './function-lookup.js';
import { decodeMarker, encodeMarker } from './list-marker.js';
import { parseFunctionName } from '../domain/function-name.js';
import { COLLECTIONS, key, type EventInvokeConfigRecord } from '../domain/records.js';
import { InvalidParameterValueException, ResourceNotFoundException, ValidationException } from '../domain/errors.js';

export interface EventInvokeConfigInput {
  FunctionName: string;
  Qualifier?: string;
  MaximumRetryAttempts?: number;
  MaximumEventAgeInSeconds?: number;
  DestinationConfig?: { OnSuccess?: { Destination?: string }; OnFailure?: { Destination?: string } };
}

/** Lambda's server-side pattern for a destination (the published model lacks `(eusc-)?`). */
const DESTINATION_ARN = /^(?:$|kafka:\/\/([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*))$/;
const DESTINATION_ARN_TEXT =
  '$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)';

/** Services an asynchronous-invocation destination may be (Lambda's documented targets). */
const DESTINATION_SERVICES = new Set(['lambda', 'sqs', 'sns', 'events', 's3']);

/**
 * Asynchronous invocation settings per function qualifier (Put/Update/Get/Delete/
 * ListFunctionEventInvokeConfig(s)). Put replaces the whole config, Update merges into an existing
 * one. The async invoker reads the stored documents through `effective`.
 */
export class EventInvokeConfigService {
  readonly #ctx: ControlContext;
  readonly #lookup: FunctionLookup;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
    this.#lookup = new FunctionLookup(ctx);
    dropWithQualifier(ctx, COLLECTIONS.eventInvokeConfigs);
  }

  get #configs() {
    return this.#ctx.store.collection<EventInvokeConfigRecord>(COLLECTIONS.eventInvokeConfigs);
  }

  put(input: EventInvokeConfigInput): EventInvokeConfigRecord {
    requireSetting(input);
    const { name, qualifier } = this.#existing(input);
    if (input.DestinationConfig) this.#validateDestinations(name, input.DestinationConfig);
    const rec: EventInvokeConfigRecord = {
      FunctionArn: this.#ctx.arns.function(name, qualifier),
      LastModified: this.#ctx.clock.now() / 1000,
      ...(input.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: input.MaximumRetryAttempts } : {}),
      ...(input.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds } : {}),
      DestinationConfig: destinations(input.DestinationConfig),
    };
    this.#configs.put(key(name, qualifier), rec);
    return rec;
  }

  update(input: EventInvokeConfigInput): EventInvokeConfigRecord {
    requireSetting(input);
    const { name, qualifier } = this.#existing(input);
    return this.#ctx.store.transaction(() => {
      const current = this.#configs.get(key(name, qualifier));
      if (!current) throw this.#noConfig(name, qualifier);
      if (input.DestinationConfig) this.#validateDestinations(name, input.DestinationConfig);
      const given = input.DestinationConfig;
      const rec: EventInvokeConfigRecord = {
        ...current,
        LastModified: this.#ctx.clock.now() / 1000,
        ...(input.MaximumRetryAttempts !== undefined ? { MaximumRetryAttempts: input.MaximumRetryAttempts } : {}),
        ...(input.MaximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: input.MaximumEventAgeInSeconds } : {}),
        // Each destination given replaces the stored one; one left out is kept.
        DestinationConfig: {
          OnSuccess: given?.OnSuccess !== undefined ? destinations(given).OnSuccess : current.DestinationConfig.OnSuccess,
          OnFailure: given?.OnFailure !== undefined ? destinations(given).OnFailure : current.DestinationConfig.OnFailure,
        },
      };
      this.#configs.put(key(name, qualifier), rec);
      return rec;
    });
  }

  get(input: { FunctionName: string; Qualifier?: string }): EventInvokeConfigRecord {
    const { name, qualifier = '$LATEST' } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    const rec = this.#configs.get(key(name, qualifier));
    if (!rec) throw this.#noConfig(name, qualifier);
    return rec;
  }

  delete(input: { FunctionName: string; Qualifier?: string }): void {
    const { name, qualifier = '$LATEST' } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    if (!this.#configs.delete(key(name, qualifier))) throw this.#noConfig(name, qualifier);
  }

  list(input: { FunctionName: string; Marker?: string; MaxItems?: number }) {
    const { name } = this.#lookup.parse(input.FunctionName);
    if (!this.#lookup.getFunction(name)) throw new ResourceNotFoundException("The function doesn't exist.");
    const limit = input.MaxItems ?? 50;
    const after = input.Marker !== undefined ? key(name, decodeMarker(input.Marker)) : undefined;
    const rows = this.#configs.list(key(name, ''), { ...(after !== undefined ? { after } : {}), limit: limit + 1 });
    const page = rows.slice(0, limit);
    return {
      FunctionEventInvokeConfigs: page.map((r) => r.value),
      ...(rows.length > limit ? { NextMarker: encodeMarker(page[page.length - 1]!.key.split('\u0000')[1]!) } : {}),
    };
  }

  /** The config that governs async invocations of `qualifier` (alias, version or $LATEST), if any. */
  effective(functionName: string, qualifier = '$LATEST'): EventInvokeConfigRecord | undefined {
    return this.#configs.get(key(functionName, qualifier));
  }

  /** Put/Update need the function and, when given, the version or alias to exist. */
  #existing(input: EventInvokeConfigInput): { name: string; qualifier: string } {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    if (!this.#lookup.getFunction(name) || (qualifier !== undefined && !this.#lookup.exists(name, qualifier))) {
      throw new ResourceNotFoundException("The function doesn't exist.");
    }
    return { name, qualifier: qualifier ?? '$LATEST' };
  }

  #noConfig(name: string, qualifier: string): Error {
    return new ResourceNotFoundException(`The function ${this.#ctx.arns.function(name, qualifier)} doesn't have an EventInvokeConfig`);
  }

  #validateDestinations(functionName: string, config: NonNullable<EventInvokeConfigInput['DestinationConfig']>): void {
    const success = config.OnSuccess?.Destination;
    const failure = config.OnFailure?.Destination;
    let invalid = false;
    for (const [path, arn] of [['onSuccess', success], ['onFailure', failure]] as const) {
      if (!arn) continue;
      if (!DESTINATION_ARN.test(arn) || arn.length > 350) {
        const problem = arn.length > 350 ? 'Member must have length less than or equal to 350' : `Member must satisfy regular expression pattern: ${DESTINATION_ARN_TEXT}`;
        throw new ValidationException(`1 validation error detected: Value '${arn}' at 'destinationConfig.${path}.destination' failed to satisfy constraint: ${problem}`);
      }
      const service = arn.startsWith('arn:') ? arn.split(':')[2]! : '';
      if (!DESTINATION_SERVICES.has(service)) invalid = true;
      else if (service === 'lambda') this.#checkFunctionDestination(functionName, arn);
    }
    if (invalid) {
      // Java's toString of the request's DestinationConfig, as AWS prints it.
      const part = (kind: string, d?: { Destination?: string }) => (d ? `${kind}(destination=${d.Destination ?? null})` : 'null');
      throw new InvalidParameterValueException(
        `The provided destination config DestinationConfig(onSuccess=${part('OnSuccess', config.OnSuccess)}, onFailure=${part('OnFailure', config.OnFailure)}) is invalid.`,
      );
    }
  }

  #checkFunctionDestination(functionName: string, arn: string): void {
    const invalid = () => new InvalidParameterValueException(`The destination ARN ${arn} is invalid.`);
    const parts = arn.split(':');
    if (parts[5] !== 'function' || parts[4] !== this.#ctx.arns.accountId) throw invalid();
    let target: string;
    try {
      target = parseFunctionName(arn, this.#ctx.arns.region).name;
    } catch {
      throw invalid();
    }
    if (!this.#lookup.getFunction(target)) throw invalid();
    if (target === functionName) throw new InvalidParameterValueException("You can't specify the function as a destination for itself.");
  }
}

function requireSetting(input: EventInvokeConfigInput): void {
  if (input.MaximumRetryAttempts === undefined && input.MaximumEventAgeInSeconds === undefined && input.DestinationConfig === undefined) {
    throw new InvalidParameterValueException('You must specify at least one of error handling or destination setting.');
  }
}

/** AWS always answers with both destination members, empty when unset. */
function destinations(given: EventInvokeConfigInput['DestinationConfig']): EventInvokeConfigRecord['DestinationConfig'] {
  const one = (d?: { Destination?: string }) => (d?.Destination ? { Destination: d.Destination } : {});
  return { OnSuccess: one(given?.OnSuccess), OnFailure: one(given?.OnFailure) };
}
