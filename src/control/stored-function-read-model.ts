import type { MetadataStore } from '../ports/metadata-store.js';
import type { FunctionAddress, FunctionReadModel } from '../ports/function-read-model.js';
import {
  COLLECTIONS,
  SEP,
  key,
  versionKey,
  type AliasRecord,
  type EventInvokeConfigRecord,
  type FunctionRecord,
  type FunctionVersionRecord,
  type ProvisionedConcurrencyRecord,
} from '../domain/records.js';

/** A published version number as Lambda writes it (no sign, no leading zeros). */
export const isVersionNumber = (q: string): boolean => /^[1-9][0-9]*$/.test(q);

/**
 * The function read model over the metadata store the control plane writes: the one place a
 * qualifier is turned into a version (FunctionRepository, FunctionLookup, the invoke service and
 * the async path all read through it).
 */
export class StoredFunctionReadModel implements FunctionReadModel {
  readonly #store: MetadataStore;

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  function(name: string): FunctionRecord | undefined {
    return this.#store.collection<FunctionRecord>(COLLECTIONS.functions).get(name);
  }

  version(name: string, version: string): FunctionVersionRecord | undefined {
    // Version keys are zero-padded: "01" would find version 1, which Lambda never calls "01".
    if (version !== '$LATEST' && !isVersionNumber(version)) return undefined;
    return this.#store.collection<FunctionVersionRecord>(COLLECTIONS.functionVersions).get(key(name, versionKey(version)));
  }

  alias(name: string, alias: string): AliasRecord | undefined {
    return this.#store.collection<AliasRecord>(COLLECTIONS.aliases).get(key(name, alias));
  }

  aliases(name: string): AliasRecord[] {
    return this.#store.collection<AliasRecord>(COLLECTIONS.aliases).list(name + SEP).map((e) => e.value);
  }

  resolve(name: string, qualifier: string | undefined): FunctionAddress | undefined {
    if (qualifier === undefined || qualifier === '$LATEST' || isVersionNumber(qualifier)) {
      const record = this.version(name, qualifier ?? '$LATEST');
      if (!record) return undefined;
      return qualifier === undefined ? { name, record } : { name, qualifier, record };
    }
    const alias = this.alias(name, qualifier);
    if (!alias) return undefined;
    const record = this.version(name, alias.FunctionVersion);
    return record ? { name, qualifier, record, alias } : undefined;
  }

  provisionedConcurrency(name: string, qualifier: string): ProvisionedConcurrencyRecord | undefined {
    return this.#store.collection<ProvisionedConcurrencyRecord>(COLLECTIONS.provisionedConcurrency).get(key(name, qualifier));
  }

  eventInvokeConfig(name: string, qualifier: string): Partial<EventInvokeConfigRecord> | undefined {
    return this.#store.collection<Partial<EventInvokeConfigRecord>>(COLLECTIONS.eventInvokeConfigs).get(key(name, qualifier));
  }
}
