import { dropWithQualifier } from './qualifier-documents.js';
import type { ControlContext } from './control-context.js';
import { lastModified } from './control-context.js';
import { MIN_UNRESERVED_CONCURRENCY, type ConcurrencyService } from './concurrency-service.js';
import { FunctionLookup, type FunctionTarget } from './function-lookup.js';
import { decodeMarker, encodeMarker } from './list-marker.js';
import { COLLECTIONS, key, type ProvisionedConcurrencyRecord } from '../domain/records.js';
import {
  InvalidParameterValueException,
  ProvisionedConcurrencyConfigNotFoundException,
  ResourceConflictException,
} from '../domain/errors.js';

type ConfigOutput = Omit<ProvisionedConcurrencyRecord, 'functionName' | 'qualifier'>;

/**
 * Provisioned concurrency configs (Put/Get/Delete/ListProvisionedConcurrencyConfig(s)) on published
 * versions and aliases. A config starts IN_PROGRESS with nothing allocated; the invoke side reports
 * progress through `markAllocated` once it has environments up. Every change is announced with a
 * `provisioned-concurrency-changed` event.
 */
export class ProvisionedConcurrencyService {
  readonly #ctx: ControlContext;
  readonly #lookup: FunctionLookup;
  readonly #concurrency: ConcurrencyService;

  constructor(ctx: ControlContext, concurrency: ConcurrencyService) {
    this.#ctx = ctx;
    this.#lookup = new FunctionLookup(ctx);
    this.#concurrency = concurrency;
    // AWS: deleting an alias also deletes the provisioned concurrency config on it (recorded).
    dropWithQualifier(ctx, COLLECTIONS.provisionedConcurrency, (functionName, qualifier, removed) => {
      if (qualifier !== undefined && removed.length > 0) ctx.events.emit({ type: 'provisioned-concurrency-changed', functionName, qualifier });
    });
  }

  get #configs() {
    return this.#ctx.store.collection<ProvisionedConcurrencyRecord>(COLLECTIONS.provisionedConcurrency);
  }

  put(input: { FunctionName: string; Qualifier: string; ProvisionedConcurrentExecutions: number }): ConfigOutput {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    if (qualifier === '$LATEST') {
      throw new InvalidParameterValueException('Provisioned Concurrency Configs cannot be applied to unpublished function versions.');
    }
    const requested = input.ProvisionedConcurrentExecutions;
    const rec = this.#ctx.store.transaction(() => {
      const target = this.#target(name, qualifier!);
      this.#checkConflicts(target);
      const fn = target.fn;
      const existing = this.#configs.get(key(name, target.qualifier));
      if (fn.reservedConcurrency !== undefined) {
        // With reserved concurrency, provisioned executions come out of the reservation.
        if (this.#concurrency.provisionedTotal(name, target.qualifier) + requested > fn.reservedConcurrency) {
          throw new InvalidParameterValueException('Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function');
        }
      } else {
        const unreserved = this.#concurrency.unreserved();
        if (requested > unreserved) {
          throw new InvalidParameterValueException(`Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${unreserved}].`);
        }
        const after = unreserved + (existing?.RequestedProvisionedConcurrentExecutions ?? 0) - requested;
        if (after < MIN_UNRESERVED_CONCURRENCY) {
          throw new InvalidParameterValueException(
            `Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED_CONCURRENCY}].`,
          );
        }
      }
      const next: ProvisionedConcurrencyRecord = {
        functionName: name,
        qualifier: target.qualifier,
        RequestedProvisionedConcurrentExecutions: requested,
        AllocatedProvisionedConcurrentExecutions: existing?.AllocatedProvisionedConcurrentExecutions ?? 0,
        AvailableProvisionedConcurrentExecutions: existing?.AvailableProvisionedConcurrentExecutions ?? 0,
        Status: 'IN_PROGRESS',
        LastModified: lastModified(this.#ctx.clock.now()),
      };
      this.#configs.put(key(name, target.qualifier), next);
      return next;
    });
    this.#ctx.events.emit({ type: 'provisioned-concurrency-changed', functionName: name, qualifier: rec.qualifier });
    return output(rec);
  }

  get(input: { FunctionName: string; Qualifier: string }): ConfigOutput {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    const target = this.#target(name, requirePublished(qualifier));
    const rec = this.#configs.get(key(name, target.qualifier));
    if (!rec) throw new ProvisionedConcurrencyConfigNotFoundException('No Provisioned Concurrency Config found for this function');
    return output(rec);
  }

  /** Idempotent for an existing version or alias without a config (AWS answers 204). */
  delete(input: { FunctionName: string; Qualifier: string }): void {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    const target = this.#target(name, requirePublished(qualifier));
    if (this.#configs.delete(key(name, target.qualifier))) {
      this.#ctx.events.emit({ type: 'provisioned-concurrency-changed', functionName: name, qualifier: target.qualifier });
    }
  }

  list(input: { FunctionName: string; Marker?: string; MaxItems?: number }) {
    const { name } = this.#lookup.parse(input.FunctionName);
    this.#lookup.requireFunction(name);
    const limit = input.MaxItems ?? 50;
    const after = input.Marker !== undefined ? key(name, decodeMarker(input.Marker)) : undefined;
    const live = this.#configs
      .list(key(name, ''), after !== undefined ? { after } : {})
      .map((e) => e.value)
      .filter((c) => this.#lookup.exists(name, c.qualifier));
    const page = live.slice(0, limit);
    return {
      ProvisionedConcurrencyConfigs: page.map((c) => ({ FunctionArn: this.#ctx.arns.function(name, c.qualifier), ...output(c) })),
      ...(live.length > limit ? { NextMarker: encodeMarker(page[page.length - 1]!.qualifier) } : {}),
    };
  }

  /**
   * Called by the invoke side as provisioned environments come up (or fail). `allocated` is the
   * number of initialized environments; READY once all requested ones are.
   */
  markProvisionedAllocated(functionName: string, qualifier: string, allocated: number, status: 'READY' | 'IN_PROGRESS' | 'FAILED', reason?: string): void {
    this.#ctx.store.transaction(() => {
      const k = key(functionName, qualifier);
      const rec = this.#configs.get(k);
      if (!rec) return;
      const { StatusReason: _old, ...rest } = rec;
      this.#configs.put(k, {
        ...rest,
        AllocatedProvisionedConcurrentExecutions: allocated,
        AvailableProvisionedConcurrentExecutions: allocated,
        Status: status,
        ...(reason !== undefined ? { StatusReason: reason } : {}),
      });
    });
  }

  /** Every config with the version it applies to (an alias's config applies to the alias's version). */
  configs(functionName?: string): Array<ProvisionedConcurrencyRecord & { version: string }> {
    const out: Array<ProvisionedConcurrencyRecord & { version: string }> = [];
    for (const { value } of this.#configs.list(functionName !== undefined ? key(functionName, '') : '')) {
      const alias = /^\d+$/.test(value.qualifier) ? undefined : this.#lookup.getAlias(value.functionName, value.qualifier);
      const version = alias ? alias.FunctionVersion : value.qualifier;
      if (alias || this.#lookup.getVersion(value.functionName, version)) out.push({ ...value, version });
    }
    return out;
  }

  /** With no function, AWS still words the error by the qualifier's form (recorded). */
  #target(name: string, qualifier: string): FunctionTarget {
    return this.#lookup.resolveQualified(name, qualifier);
  }

  /** An alias and the version it points to cannot both carry a config (recorded conflicts). */
  #checkConflicts(target: FunctionTarget): void {
    const name = target.fn.name;
    if (target.kind === 'alias' && this.#configs.get(key(name, target.alias!.FunctionVersion))) {
      throw new ResourceConflictException("Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version");
    }
    if (target.kind === 'version') {
      const pointing = this.#lookup.aliases(name).some((a) => a.FunctionVersion === target.qualifier && this.#configs.get(key(name, a.Name)));
      if (pointing) throw new ResourceConflictException('Version is pointed by a Provisioned Concurrency alias');
    }
  }
}

/** Get and Delete refuse $LATEST with a different text than Put (recorded). */
function requirePublished(qualifier: string | undefined): string {
  if (qualifier === undefined || qualifier === '$LATEST') {
    throw new InvalidParameterValueException('The function resource provided must be an alias or a published version.');
  }
  return qualifier;
}

function output(rec: ProvisionedConcurrencyRecord): ConfigOutput {
  const { functionName: _f, qualifier: _q, ...rest } = rec;
  return rest;
}
