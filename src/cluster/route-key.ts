import { parseFunctionName, resolveQualifier } from '../domain/function-name.js';
import type { FunctionReadModel } from '../ports/function-read-model.js';

/**
 * Routing keys from the function read model: `name:version`, where an alias counts as the version
 * it leads to — its primary one, or the version a weighted alias drew for the request on the api
 * node (`version`, InvokeRequest.version) — so every way of naming a version meets the same warm
 * environments. A name the read
 * model does not know routes as given; the worker then answers the same ResourceNotFoundException a
 * single node would.
 */
export function routeKeyFromReadModel(functions: Pick<FunctionReadModel, 'resolve'>, region: string): (functionName: string, qualifier: string | undefined, version?: string) => string {
  return (functionName, qualifier, version) => {
    let name = functionName;
    let q = qualifier;
    try {
      const ref = parseFunctionName(functionName, region);
      name = ref.name;
      q = resolveQualifier(ref, qualifier);
    } catch {
      // Refused on the worker with the error single-node Flint gives.
    }
    // A weighted alias's draw, made by the caller: that version's warm environments.
    if (version !== undefined) return `${name}:${version}`;
    const address = functions.resolve(name, q);
    return `${name}:${address?.record.config.Version ?? q ?? '$LATEST'}`;
  };
}
