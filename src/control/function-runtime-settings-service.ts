import type { ControlContext } from './control-context.js';
import { FunctionLookup } from './function-lookup.js';
import { runtimeVersionArn } from './function-config.js';
import { InvalidParameterValueException } from '../domain/errors.js';

interface RuntimeManagement {
  UpdateRuntimeOn: 'Auto' | 'Manual' | 'FunctionUpdate';
  RuntimeVersionArn?: string;
}

/** Stored documents keyed by function name (recursion) and `name SEP qualifier` (runtime management). */
const RECURSION = 'function-recursion-configs';
const RUNTIME_MANAGEMENT = 'function-runtime-management';
const SEP = '\u0000';

/**
 * Per-function settings infrastructure tools read on every refresh: the recursive-loop setting
 * (Get/PutFunctionRecursionConfig) and runtime management (Get/PutRuntimeManagementConfig).
 *
 * Flint stores and returns both as Lambda does. Neither changes execution: Flint has one build per
 * runtime (its RuntimeVersionArn is stable), so Auto, FunctionUpdate and Manual all run the same
 * build; and Flint does not trace invocation chains, so it never stops a recursive loop itself.
 */
export class FunctionRuntimeSettingsService {
  readonly #ctx: ControlContext;
  readonly #lookup: FunctionLookup;

  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
    this.#lookup = new FunctionLookup(ctx);
    ctx.events.subscribe((e) => {
      if (e.type !== 'function-deleted') return;
      ctx.store.transaction(() => {
        ctx.store.collection(RECURSION).delete(e.functionName);
        const rm = ctx.store.collection(RUNTIME_MANAGEMENT);
        for (const row of rm.list(e.functionName + SEP)) rm.delete(row.key);
      });
    });
  }

  /** Lambda's default is Terminate (recorded: get_recursion_default_terminate_response). */
  getRecursion(input: { FunctionName: string }): { RecursiveLoop: string } {
    const name = this.#function(input.FunctionName);
    const rec = this.#ctx.store.collection<{ RecursiveLoop: string }>(RECURSION).get(name);
    return { RecursiveLoop: rec?.RecursiveLoop ?? 'Terminate' };
  }

  putRecursion(input: { FunctionName: string; RecursiveLoop: string }): { RecursiveLoop: string } {
    const name = this.#function(input.FunctionName);
    this.#ctx.store.collection<{ RecursiveLoop: string }>(RECURSION).put(name, { RecursiveLoop: input.RecursiveLoop });
    return { RecursiveLoop: input.RecursiveLoop };
  }

  /**
   * Auto unless set; RuntimeVersionArn appears with Manual only (Lambda's GetRuntimeManagementConfig
   * answers the ARN only when the mode pins one).
   */
  getRuntimeManagement(input: { FunctionName: string; Qualifier?: string }): { UpdateRuntimeOn: string; FunctionArn: string; RuntimeVersionArn?: string } {
    const { name, qualifier } = this.#target(input);
    const rec = this.#ctx.store.collection<RuntimeManagement>(RUNTIME_MANAGEMENT).get(name + SEP + qualifier);
    return {
      UpdateRuntimeOn: rec?.UpdateRuntimeOn ?? 'Auto',
      FunctionArn: this.#ctx.arns.function(name, qualifier === '$LATEST' ? undefined : qualifier),
      ...(rec?.RuntimeVersionArn !== undefined ? { RuntimeVersionArn: rec.RuntimeVersionArn } : {}),
    };
  }

  putRuntimeManagement(input: { FunctionName: string; Qualifier?: string; UpdateRuntimeOn: string; RuntimeVersionArn?: string }) {
    const { name, qualifier } = this.#target(input);
    const mode = input.UpdateRuntimeOn as RuntimeManagement['UpdateRuntimeOn'];
    if (mode === 'Manual' && !input.RuntimeVersionArn) {
      throw new InvalidParameterValueException('RuntimeVersionArn must be provided when UpdateRuntimeOn is Manual.');
    }
    if (mode !== 'Manual' && input.RuntimeVersionArn) {
      throw new InvalidParameterValueException(`RuntimeVersionArn can only be provided when UpdateRuntimeOn is Manual.`);
    }
    if (mode === 'Manual') {
      // Flint has exactly one build per runtime: a pin to any other build cannot be honoured.
      const runtime = this.#lookup.getVersion(name, qualifier)?.config.Runtime;
      const own = runtime ? runtimeVersionArn(this.#ctx.arns.region, runtime) : undefined;
      if (input.RuntimeVersionArn !== own) {
        throw new InvalidParameterValueException(
          `Flint runs one build of each runtime; pin the function to ${own ?? 'its runtime'} (its RuntimeVersionConfig.RuntimeVersionArn) or use Auto.`,
        );
      }
    }
    const rec: RuntimeManagement = { UpdateRuntimeOn: mode, ...(mode === 'Manual' ? { RuntimeVersionArn: input.RuntimeVersionArn! } : {}) };
    this.#ctx.store.collection<RuntimeManagement>(RUNTIME_MANAGEMENT).put(name + SEP + qualifier, rec);
    return {
      UpdateRuntimeOn: rec.UpdateRuntimeOn,
      FunctionArn: this.#ctx.arns.function(name, qualifier === '$LATEST' ? undefined : qualifier),
      ...(rec.RuntimeVersionArn !== undefined ? { RuntimeVersionArn: rec.RuntimeVersionArn } : {}),
    };
  }

  #function(functionName: string): string {
    const { name } = this.#lookup.parse(functionName);
    this.#lookup.requireFunction(name);
    return name;
  }

  /** A version number or $LATEST (runtime management is per version); aliases resolve to theirs. */
  #target(input: { FunctionName: string; Qualifier?: string }): { name: string; qualifier: string } {
    const { name, qualifier } = this.#lookup.parse(input.FunctionName, input.Qualifier);
    const fn = this.#lookup.requireFunction(name, qualifier);
    const target = this.#lookup.resolve(fn, qualifier);
    const version = target.alias ? target.alias.FunctionVersion : target.qualifier;
    return { name, qualifier: version };
  }
}
