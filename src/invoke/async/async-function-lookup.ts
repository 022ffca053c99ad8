import type { FunctionReadModel } from '../../ports/function-read-model.js';
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
 * What the async path reads through the function read model (the sync path's qualifier rule): does a function/qualifier exist, which
 * version does a qualifier designate, its async-invoke config and its dead-letter target.
 * Read on every attempt, not only at enqueue: Lambda applies the configuration current when the
 * event runs (a config changed while events wait applies to them).
 */
export class AsyncFunctionLookup {
  readonly #read: FunctionReadModel;

  constructor(read: FunctionReadModel) {
    this.#read = read;
  }

  functionExists(name: string): boolean {
    return this.#read.function(name) !== undefined;
  }

  /**
   * The version a qualifier designates: `$LATEST`, a published number, or an alias's primary
   * version; undefined when it does not exist.
   */
  versionOf(name: string, qualifier: string): string | undefined {
    return this.#read.resolve(name, qualifier)?.record.config.Version;
  }

  exists(name: string, qualifier: string): boolean {
    return this.functionExists(name) && this.versionOf(name, qualifier) !== undefined;
  }

  /** Async settings for (function, qualifier): the stored config, Lambda's defaults otherwise. */
  settings(name: string, qualifier: string): AsyncSettings {
    const doc = this.#read.eventInvokeConfig(name, qualifier);
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
    return this.#read.version(name, version)?.config.DeadLetterConfig?.TargetArn || undefined;
  }
}
