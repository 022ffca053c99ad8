import type { ControlContext } from './control-context.js';
import { FunctionRepository, checkRevision } from './function-repository.js';
import { page } from './pagination.js';
import { COLLECTIONS, SEP, key, type AliasRecord } from '../domain/records.js';
import { InvalidParameterValueException, ResourceConflictException, ResourceNotFoundException } from '../domain/errors.js';

type RoutingConfig = { AdditionalVersionWeights?: Record<string, number> };

export interface CreateAliasInput {
  FunctionName: string;
  Name: string;
  FunctionVersion: string;
  Description?: string;
  RoutingConfig?: RoutingConfig;
}

export interface UpdateAliasInput {
  FunctionName: string;
  Name: string;
  FunctionVersion?: string;
  Description?: string;
  RoutingConfig?: RoutingConfig;
  RevisionId?: string;
}

/**
 * Aliases: named pointers to a version, optionally splitting traffic with one more version by weight
 * (RoutingConfig.AdditionalVersionWeights). Validation follows Lambda's recorded order and wording.
 */
export class AliasService {
  readonly #ctx: ControlContext;
  readonly #repo: FunctionRepository;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
    this.#repo = new FunctionRepository(ctx);
  }

  create(input: CreateAliasInput): AliasRecord {
    const { name } = this.#repo.ref(input.FunctionName);
    const weights = this.#weights(input.RoutingConfig, input.FunctionVersion);
    return this.#ctx.store.transaction(() => {
      this.#checkTargets(name, input.FunctionVersion, weights);
      const alias: AliasRecord = {
        AliasArn: this.#ctx.arns.function(name, input.Name),
        Name: input.Name,
        FunctionVersion: input.FunctionVersion,
        Description: input.Description ?? '',
        ...(weights ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {}),
        RevisionId: this.#ctx.uuid(),
      };
      if (!this.#repo.aliases.insert(key(name, input.Name), alias)) {
        throw new ResourceConflictException(`Alias already exists: ${alias.AliasArn}`);
      }
      return alias;
    });
  }

  get(input: { FunctionName: string; Name: string }): AliasRecord {
    const { name } = this.#repo.ref(input.FunctionName);
    const alias = this.#repo.alias(name, input.Name);
    if (!alias) throw new ResourceNotFoundException(`Cannot find alias arn: ${this.#ctx.arns.function(name, input.Name)}`);
    return alias;
  }

  update(input: UpdateAliasInput): AliasRecord {
    const { name } = this.#repo.ref(input.FunctionName);
    let before: string | undefined;
    const result = this.#ctx.store.transaction(() => {
      const current = this.#repo.alias(name, input.Name);
      if (!current) throw new ResourceNotFoundException(`Alias not found: ${this.#ctx.arns.function(name, input.Name)}`);
      checkRevision(input.RevisionId, current.RevisionId);
      before = current.FunctionVersion;
      const version = input.FunctionVersion ?? current.FunctionVersion;
      // Without RoutingConfig the current split stays; an empty one removes it.
      const weights =
        input.RoutingConfig !== undefined ? this.#weights(input.RoutingConfig, version) : this.#weights(current.RoutingConfig, version);
      this.#checkTargets(name, version, weights);
      const { RoutingConfig: _old, ...rest } = current;
      const updated: AliasRecord = {
        ...rest,
        FunctionVersion: version,
        Description: input.Description ?? current.Description,
        ...(weights ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {}),
        RevisionId: this.#ctx.uuid(),
      };
      this.#repo.aliases.put(key(name, input.Name), updated);
      return updated;
    });
    // Provisioned environments behind the alias follow it to its new version.
    if (result.FunctionVersion !== before && this.#ctx.store.collection(COLLECTIONS.provisionedConcurrency).get(key(name, input.Name))) {
      this.#ctx.events.emit({ type: 'provisioned-concurrency-changed', functionName: name, qualifier: input.Name });
    }
    return result;
  }

  /**
   * Deleting an alias that does not exist succeeds (Lambda answers 204); the function must exist.
   * The alias's resource policy, invoke configuration and provisioned concurrency go with it.
   */
  delete(input: { FunctionName: string; Name: string }): void {
    const { name } = this.#repo.ref(input.FunctionName);
    const deleted = this.#ctx.store.transaction(() => {
      this.#repo.requireFunction(name);
      return this.#repo.aliases.delete(key(name, input.Name));
    });
    // The alias's policy, async-invoke config and provisioned concurrency go with it (as in AWS);
    // their services drop them on this event (src/control/qualifier-documents.ts).
    if (deleted) this.#ctx.events.emit({ type: 'alias-deleted', functionName: name, alias: input.Name });
  }

  list(input: { FunctionName: string; FunctionVersion?: string; Marker?: string; MaxItems?: number }): { Aliases: AliasRecord[]; NextMarker?: string } {
    const { name } = this.#repo.ref(input.FunctionName);
    this.#repo.requireFunction(name);
    const v = input.FunctionVersion;
    const { items, nextMarker } = page(this.#repo.aliases, name + SEP, {
      marker: input.Marker,
      maxItems: input.MaxItems,
      filter: v === undefined ? undefined : (a) => a.FunctionVersion === v || a.RoutingConfig?.AdditionalVersionWeights[v] !== undefined,
    });
    const Aliases = items.map((e) => e.value);
    return nextMarker ? { Aliases, NextMarker: nextMarker } : { Aliases };
  }

  /** The routing weights as stored (undefined when none), after Lambda's shape rules. */
  #weights(routing: RoutingConfig | undefined, primary: string): Record<string, number> | undefined {
    const weights = routing?.AdditionalVersionWeights;
    if (!weights || Object.keys(weights).length === 0) return undefined;
    if (Object.keys(weights).length > 1) throw new InvalidParameterValueException('Number of items in AdditionalVersionWeights cannot be greater than 1');
    if (weights[primary] !== undefined) {
      throw new InvalidParameterValueException(`Invalid function version ${primary}. Function version ${primary} is already included in routing configuration.`);
    }
    return weights;
  }

  /** The primary and additional versions must exist; $LATEST cannot take part in a split. */
  #checkTargets(name: string, version: string, weights: Record<string, number> | undefined): void {
    const notFound = (v: string) => new ResourceNotFoundException(`Function not found: ${this.#ctx.arns.function(name, v)}`);
    if (!this.#repo.version(name, version)) throw notFound(version);
    if (!weights) return;
    for (const v of Object.keys(weights)) if (!this.#repo.version(name, v)) throw notFound(v);
    if (version === '$LATEST') throw new InvalidParameterValueException('$LATEST is not supported for an alias pointing to more than 1 version');
  }
}
