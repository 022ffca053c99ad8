import type { AliasRecord, EventInvokeConfigRecord, FunctionRecord, FunctionVersionRecord, ProvisionedConcurrencyRecord } from '../domain/records.js';

/** What a function name plus qualifier designates. */
export interface FunctionAddress {
  name: string;
  /** The qualifier as addressed (`$LATEST`, a version number or an alias name), if any. */
  qualifier?: string;
  /** The version record the address leads to (through the alias for an alias), as stored. */
  record: FunctionVersionRecord;
  alias?: AliasRecord;
}

/**
 * How the data plane (sync Invoke, async pollers, destinations, provisioning) reads functions: one
 * read model with one rule for what a qualifier names — `$LATEST`, a published version number as
 * Lambda writes it (no sign, no leading zeros), or else an alias leading to its primary version.
 * Records come as stored (sealed secrets stay sealed). An implementation may read a local store or
 * a replica on another machine.
 */
export interface FunctionReadModel {
  function(name: string): FunctionRecord | undefined;
  /** `$LATEST` or a published version number; undefined for anything else or a missing one. */
  version(name: string, version: string): FunctionVersionRecord | undefined;
  alias(name: string, alias: string): AliasRecord | undefined;
  /** Aliases of a function, in name order. */
  aliases(name: string): AliasRecord[];
  /** The version a name and qualifier (none: `$LATEST`) designate, or undefined. */
  resolve(name: string, qualifier: string | undefined): FunctionAddress | undefined;
  /** The provisioned concurrency config of a qualifier (alias or version). */
  provisionedConcurrency(name: string, qualifier: string): ProvisionedConcurrencyRecord | undefined;
  /** The asynchronous invocation config of a qualifier (as stored: members may be missing). */
  eventInvokeConfig(name: string, qualifier: string): Partial<EventInvokeConfigRecord> | undefined;
}
