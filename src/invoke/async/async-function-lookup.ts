import type { MetadataStore } from '../../ports/metadata-store.js';
import {
  COLLECTIONS,
  key,
  versionKey,
  type AliasRecord,
  type EventInvokeConfigRecord,
  type FunctionRecord,
  type FunctionVersionRecord,
} from '../../domain/records.js';
import {
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_MAX_RETRY_ATTEMPTS,
} from './retry-policy.js';

export interface AsyncSettings {
  maxRetryAttempts: number;
  maxEventAgeSeconds: number;
  onSuccess?: string;
  onFailure?: string;
}

/**
 * What the async path reads from the metadata store: does a function/qualifier exist, which
 * version does a qualifier designate, its async-invoke config and its dead-letter target.
 * Read on every attempt, not only at enqueue: Lambda applies the configuration current when the
 * event runs (a config changed while events wait applies to them).
 */
export class AsyncFunctionLookup {
  readonly #store: MetadataStore;

  constructor(store: MetadataStore) {
    this.#store = store;
  }

  functionExists(name: string): boolean {
    return this.#store.collection<FunctionRecord>(COLLECTIONS.functions).get(name) !== undefined;
  }

  /**
   * The version a qualifier designates: `$LATEST`, a published number, or an alias's primary
   * version; undefined when it does not exist.
   */
  versionOf(name: string, qualifier: string): string | undefined {
    if (qualifier === '$LATEST' || /^\d+$/.test(qualifier)) {
      const rec = this.#store.collection<FunctionVersionRecord>(COLLECTIONS.functionVersions).get(key(name, versionKey(qualifier)));
      return rec ? rec.config.Version : undefined;
    }
    return this.#store.collection<AliasRecord>(COLLECTIONS.aliases).get(key(name, qualifier))?.FunctionVersion;
  }

  exists(name: string, qualifier: string): boolean {
    return this.functionExists(name) && this.versionOf(name, qualifier) !== undefined;
  }

  /** Async settings for (function, qualifier): the stored config, Lambda's defaults otherwise. */
  settings(name: string, qualifier: string): AsyncSettings {
    const doc = this.#store.collection<Partial<EventInvokeConfigRecord>>(COLLECTIONS.eventInvokeConfigs).get(key(name, qualifier));
    const s: AsyncSettings = {
      maxRetryAttempts: doc?.MaximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
      maxEventAgeSeconds: doc?.MaximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS,
    };
    const onSuccess = doc?.DestinationConfig?.OnSuccess?.Destination;
    const onFailure = doc?.DestinationConfig?.OnFailure?.Destination;
    if (onSuccess) s.onSuccess = onSuccess;
    if (onFailure) s.onFailure = onFailure;
    return s;
  }

  /** DeadLetterConfig.TargetArn of the version that ran (or that the qualifier designates). */
  deadLetterTarget(name: string, version: string | undefined): string | undefined {
    if (version === undefined) return undefined;
    const rec = this.#store.collection<FunctionVersionRecord>(COLLECTIONS.functionVersions).get(key(name, versionKey(version)));
    return rec?.config.DeadLetterConfig?.TargetArn || undefined;
  }
}
