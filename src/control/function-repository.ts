import type { ControlContext } from './control-context.js';
import {
  COLLECTIONS,
  key,
  versionKey,
  type AliasRecord,
  type FunctionConfiguration,
  type FunctionRecord,
  type FunctionVersionRecord,
} from '../domain/records.js';
import { parseFunctionName, resolveQualifier } from '../domain/function-name.js';
import { PreconditionFailedException, ResourceNotFoundException } from '../domain/errors.js';
import { FunctionSecrets, type StoredVersionRecord } from './function-secrets.js';
import type { FunctionAddress } from '../ports/function-read-model.js';
import { isVersionNumber, StoredFunctionReadModel } from './stored-function-read-model.js';

/** What a function name plus qualifier designates (the read model's answer). */
export type ResolvedTarget = FunctionAddress;

/** Lambda's answer to a stale RevisionId, for functions and aliases alike (recorded). */
export const REVISION_MISMATCH =
  'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id';

export function checkRevision(expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected !== actual) throw new PreconditionFailedException(REVISION_MISMATCH);
}

export { isVersionNumber };

/**
 * Typed access to the function, version and alias documents, and the one place a function name in
 * any accepted form (name, partial ARN, ARN; with or without qualifier) is resolved.
 */
export class FunctionRepository {
  readonly #ctx: ControlContext;
  /** Environment variables and code bindings, sealed under each function's KMS key. */
  readonly secrets: FunctionSecrets;
  /** Reads (and the qualifier rule) go through the data plane's read model. */
  readonly #read: StoredFunctionReadModel;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
    this.secrets = new FunctionSecrets(ctx.keys);
    this.#read = new StoredFunctionReadModel(ctx.store);
  }

  get functions() {
    return this.#ctx.store.collection<FunctionRecord>(COLLECTIONS.functions);
  }

  /** Version documents as stored: sealed secrets (StoredVersionRecord), or plaintext from before sealing existed. */
  get versions() {
    return this.#ctx.store.collection<StoredVersionRecord>(COLLECTIONS.functionVersions);
  }

  /** The record to store for `rec`: its Environment (given plaintext, or carried over) sealed under the function's key. */
  seal(rec: StoredVersionRecord): StoredVersionRecord {
    return this.secrets.seal(rec, this.#ctx.arns.function(rec.config.FunctionName));
  }

  /** A stored version's configuration as the API shows it: Environment decrypted (or its Error). */
  shown(rec: StoredVersionRecord): FunctionConfiguration {
    return this.secrets.show(rec, this.#ctx.arns.function(rec.config.FunctionName));
  }

  /** What an environment of this version starts from (plaintext Environment); Lambda's KMS* errors when its key is unusable. */
  opened(rec: StoredVersionRecord): FunctionVersionRecord {
    return this.secrets.open(rec, this.#ctx.arns.function(rec.config.FunctionName));
  }

  get aliases() {
    return this.#ctx.store.collection<AliasRecord>(COLLECTIONS.aliases);
  }

  /** Parses a FunctionName member and merges an explicit Qualifier (mismatch → AWS's error). */
  ref(functionName: string, qualifier?: string): { name: string; qualifier?: string } {
    const ref = parseFunctionName(functionName, this.#ctx.arns.region, this.#ctx.arns.accountId);
    const q = resolveQualifier(ref, qualifier === '' ? undefined : qualifier);
    return q === undefined ? { name: ref.name } : { name: ref.name, qualifier: q };
  }

  fn(name: string): FunctionRecord | undefined {
    return this.functions.get(name);
  }

  /** The function record, or Lambda's 404 naming the unqualified ARN. */
  requireFunction(name: string): FunctionRecord {
    const fn = this.functions.get(name);
    if (!fn) throw new ResourceNotFoundException(`Function not found: ${this.#ctx.arns.function(name)}`);
    return fn;
  }

  latest(name: string): StoredVersionRecord | undefined {
    return this.versions.get(key(name, versionKey('$LATEST')));
  }

  version(name: string, version: string): StoredVersionRecord | undefined {
    return this.#read.version(name, version);
  }

  alias(name: string, alias: string): AliasRecord | undefined {
    return this.#read.alias(name, alias);
  }

  /** Aliases of a function, in name order. */
  aliasesOf(name: string): AliasRecord[] {
    return this.#read.aliases(name);
  }

  /**
   * The version an address designates, or undefined. `$LATEST` and version numbers name versions;
   * anything else names an alias, which leads to its primary version (the read model's rule).
   */
  lookup(name: string, qualifier: string | undefined): ResolvedTarget | undefined {
    return this.#read.resolve(name, qualifier);
  }

  /** Like lookup, or Lambda's 404 "Function not found: <arn as addressed>". */
  resolve(functionName: string, qualifier?: string): ResolvedTarget {
    const ref = this.ref(functionName, qualifier);
    const target = this.lookup(ref.name, ref.qualifier);
    if (!target) throw new ResourceNotFoundException(`Function not found: ${this.#ctx.arns.function(ref.name, ref.qualifier)}`);
    return target;
  }

  /**
   * The configuration as Lambda shows it for an address: unqualified ARN for the bare name, the
   * `:$LATEST` ARN when $LATEST is named, the alias ARN (with the target's Version) for an alias.
   */
  configFor(target: ResolvedTarget): FunctionConfiguration {
    const config = this.shown(target.record);
    if (target.qualifier === undefined || isVersionNumber(target.qualifier)) return config;
    return { ...config, FunctionArn: this.#ctx.arns.function(target.name, target.qualifier) };
  }
}
