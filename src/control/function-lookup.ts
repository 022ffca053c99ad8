import type { ControlContext } from './control-context.js';
import { parseFunctionName, resolveQualifier } from '../domain/function-name.js';
import type { AliasRecord, FunctionRecord, FunctionVersionRecord } from '../domain/records.js';
import { ResourceNotFoundException } from '../domain/errors.js';
import { StoredFunctionReadModel } from './stored-function-read-model.js';

/** What a qualifier names, by its form alone: Lambda decides alias-vs-version before looking anything up. */
export type QualifierKind = 'latest' | 'version' | 'alias' | 'other';

export function qualifierKind(qualifier: string): QualifierKind {
  if (qualifier === '$LATEST') return 'latest';
  if (/^\d+$/.test(qualifier)) return 'version';
  // Alias names: (?!^[0-9]+$)([a-zA-Z0-9-_]+). Anything else (e.g. `x-$-y`) is neither.
  if (/^[a-zA-Z0-9_-]+$/.test(qualifier)) return 'alias';
  return 'other';
}

/** A function plus the version or alias a qualifier designates. */
export interface FunctionTarget {
  fn: FunctionRecord;
  /** `$LATEST`, a version number, or an alias name. */
  qualifier: string;
  kind: 'latest' | 'version' | 'alias';
  /** Unqualified ARN when no qualifier was given, else the ARN with the qualifier as given. */
  arn: string;
  /** The version or alias RevisionId. */
  revisionId: string;
  alias?: AliasRecord;
  version?: FunctionVersionRecord;
}

/**
 * Read-only access to functions, versions and aliases for the services beside FunctionService:
 * parses names/ARNs/qualifiers and answers with Lambda's not-found texts. It reads the collections
 * FunctionService writes, so it never needs that service (and never mutates a function).
 */
export class FunctionLookup {
  readonly #ctx: ControlContext;
  /** Records are read through the data plane's read model (its qualifier rule included). */
  readonly #read: StoredFunctionReadModel;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
    this.#read = new StoredFunctionReadModel(ctx.store);
  }

  /** `FunctionName` (+ explicit `Qualifier`) → name and effective qualifier; a mismatch is InvalidParameterValueException. */
  parse(functionName: string, qualifier?: string): { name: string; qualifier?: string } {
    const ref = parseFunctionName(functionName, this.#ctx.arns.region);
    const q = resolveQualifier(ref, qualifier);
    return q === undefined ? { name: ref.name } : { name: ref.name, qualifier: q };
  }

  getFunction(name: string): FunctionRecord | undefined {
    return this.#read.function(name);
  }

  getVersion(name: string, version: string): FunctionVersionRecord | undefined {
    return this.#read.version(name, version);
  }

  getAlias(name: string, alias: string): AliasRecord | undefined {
    return this.#read.alias(name, alias);
  }

  /** Aliases of a function, in name order. */
  aliases(name: string): AliasRecord[] {
    return this.#read.aliases(name);
  }

  /** The function, or Lambda's `Function not found: <arn>` (unqualified unless `qualifierInMessage`). */
  requireFunction(name: string, qualifierInMessage?: string): FunctionRecord {
    const fn = this.getFunction(name);
    if (!fn) throw new ResourceNotFoundException(`Function not found: ${this.#ctx.arns.function(name, qualifierInMessage)}`);
    return fn;
  }

  /**
   * The version or alias a qualifier designates, with Lambda's texts when it does not exist:
   * `Cannot find alias arn: <arn>` for alias-shaped qualifiers, `Function not found: <arn>` otherwise.
   */
  resolve(fn: FunctionRecord, qualifier: string | undefined): FunctionTarget {
    const q = qualifier ?? '$LATEST';
    const arn = this.#ctx.arns.function(fn.name, qualifier);
    const kind = qualifierKind(q);
    if (kind === 'alias') {
      const alias = this.getAlias(fn.name, q);
      if (!alias) throw this.#missing(fn.name, q);
      return { fn, qualifier: q, kind, arn, revisionId: alias.RevisionId, alias };
    }
    const version = kind === 'other' ? undefined : this.getVersion(fn.name, q);
    if (!version || kind === 'other') throw this.#missing(fn.name, q);
    return { fn, qualifier: q, kind, arn, revisionId: version.config.RevisionId, version };
  }

  /** Like `resolve`, for operations where AWS words a missing function by the qualifier's form too. */
  resolveQualified(name: string, qualifier: string): FunctionTarget {
    const fn = this.getFunction(name);
    if (!fn) throw this.#missing(name, qualifier);
    return this.resolve(fn, qualifier);
  }

  #missing(name: string, qualifier: string): Error {
    const arn = this.#ctx.arns.function(name, qualifier);
    return qualifierKind(qualifier) === 'alias'
      ? new ResourceNotFoundException(`Cannot find alias arn: ${arn}`)
      : new ResourceNotFoundException(`Function not found: ${arn}`);
  }

  /** Whether a qualifier names an existing version or alias of the function. */
  exists(name: string, qualifier: string): boolean {
    const kind = qualifierKind(qualifier);
    if (kind === 'alias') return this.getAlias(name, qualifier) !== undefined;
    if (kind === 'other') return false;
    return this.getVersion(name, qualifier) !== undefined;
  }
}
