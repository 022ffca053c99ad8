import type { ControlContext } from './control-context.js';
import { FunctionLookup } from './function-lookup.js';
import { COLLECTIONS, key, type FunctionRecord, type ProvisionedConcurrencyRecord } from '../domain/records.js';
import { InvalidParameterValueException } from '../domain/errors.js';

/** Lambda keeps this many executions of the account limit unreserved, always. */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * Reserved concurrency (Put/Get/DeleteFunctionConcurrency) and the account-wide arithmetic shared
 * with provisioned concurrency and GetAccountSettings.
 *
 * What a function takes from the account pool: its reserved concurrency when set (its provisioned
 * concurrency then comes out of that reservation), otherwise the sum of its provisioned configs —
 * the way AWS lowers UnreservedConcurrentExecutions for either.
 */
export class ConcurrencyService {
  readonly #ctx: ControlContext;
  readonly #lookup: FunctionLookup;
  /** The account's ConcurrentExecutions limit. */
  readonly limit: number;

  constructor(ctx: ControlContext, opts: { concurrencyLimit: number }) {
    this.#ctx = ctx;
    this.#lookup = new FunctionLookup(ctx);
    this.limit = opts.concurrencyLimit;
  }

  get #functions() {
    return this.#ctx.store.collection<FunctionRecord>(COLLECTIONS.functions);
  }

  put(input: { FunctionName: string; ReservedConcurrentExecutions: number }): { ReservedConcurrentExecutions: number } {
    const name = this.#unqualified(input.FunctionName);
    const reserved = input.ReservedConcurrentExecutions;
    return this.#ctx.store.transaction(() => {
      // AWS names `$LATEST` in this operation's not-found message (recorded).
      const fn = this.#lookup.requireFunction(name, '$LATEST');
      if (this.limit - this.committed(name) - reserved < MIN_UNRESERVED_CONCURRENCY) {
        throw new InvalidParameterValueException(
          `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED_CONCURRENCY}].`,
        );
      }
      const provisioned = this.provisionedTotal(name);
      if (provisioned > reserved) {
        // AWS's wording, leading and double spaces included.
        throw new InvalidParameterValueException(
          ` ReservedConcurrentExecutions  ${reserved} should not be lower than function's total provisioned concurrency [${provisioned}].`,
        );
      }
      this.#functions.put(name, { ...fn, reservedConcurrency: reserved });
      return { ReservedConcurrentExecutions: reserved };
    });
  }

  get(input: { FunctionName: string }): { ReservedConcurrentExecutions?: number } {
    const fn = this.#lookup.requireFunction(this.#unqualified(input.FunctionName));
    return fn.reservedConcurrency !== undefined ? { ReservedConcurrentExecutions: fn.reservedConcurrency } : {};
  }

  delete(input: { FunctionName: string }): void {
    const name = this.#unqualified(input.FunctionName);
    this.#ctx.store.transaction(() => {
      const { reservedConcurrency: _r, ...rest } = this.#lookup.requireFunction(name, '$LATEST');
      this.#functions.put(name, rest);
    });
  }

  /** Executions taken from the account pool by every function, or by every function but `exceptFunction`. */
  committed(exceptFunction?: string): number {
    const provisioned = new Map<string, number>();
    for (const { value } of this.#ctx.store.collection<ProvisionedConcurrencyRecord>(COLLECTIONS.provisionedConcurrency).list()) {
      if (!this.#lookup.exists(value.functionName, value.qualifier)) continue;
      provisioned.set(value.functionName, (provisioned.get(value.functionName) ?? 0) + value.RequestedProvisionedConcurrentExecutions);
    }
    let sum = 0;
    for (const { value: fn } of this.#functions.list()) {
      if (fn.name === exceptFunction) continue;
      sum += fn.reservedConcurrency ?? provisioned.get(fn.name) ?? 0;
    }
    return sum;
  }

  /** UnreservedConcurrentExecutions of GetAccountSettings. */
  unreserved(): number {
    return this.limit - this.committed();
  }

  /** Sum of a function's provisioned configs, optionally leaving one qualifier out. */
  provisionedTotal(functionName: string, exceptQualifier?: string): number {
    let sum = 0;
    for (const { value } of this.#ctx.store.collection<ProvisionedConcurrencyRecord>(COLLECTIONS.provisionedConcurrency).list(key(functionName, ''))) {
      // A config whose alias is gone no longer holds executions (see ProvisionedConcurrencyService).
      if (value.qualifier !== exceptQualifier && this.#lookup.exists(functionName, value.qualifier)) sum += value.RequestedProvisionedConcurrentExecutions;
    }
    return sum;
  }

  /** Reserved concurrency applies to the function, never to a version or alias. */
  #unqualified(functionName: string): string {
    const { name, qualifier } = this.#lookup.parse(functionName);
    if (qualifier !== undefined) {
      throw new InvalidParameterValueException(
        'This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.',
      );
    }
    return name;
  }
}
