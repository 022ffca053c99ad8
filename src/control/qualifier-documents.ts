import type { ControlContext } from './control-context.js';
import { key } from '../domain/records.js';

/**
 * Per-qualifier documents (policies, async-invoke configs, provisioned-concurrency configs) are
 * keyed `name NUL qualifier` and go with what they belong to, as in AWS: the whole function's on
 * delete, one version's or alias's when that is deleted. `onDropped` sees what was removed.
 */
export function dropWithQualifier(
  ctx: ControlContext,
  collection: string,
  onDropped: (functionName: string, qualifier: string | undefined, removed: string[]) => void = () => {},
): void {
  const docs = () => ctx.store.collection<unknown>(collection);
  const drop = (functionName: string, qualifier?: string) => {
    const removed = ctx.store.transaction(() => {
      const keys = qualifier !== undefined ? [key(functionName, qualifier)] : docs().list(key(functionName, '')).map((e) => e.key);
      return keys.filter((k) => docs().delete(k));
    });
    onDropped(functionName, qualifier, removed);
  };
  ctx.events.subscribe((e) => {
    if (e.type === 'function-deleted') drop(e.functionName);
    else if (e.type === 'version-deleted') drop(e.functionName, e.version);
    else if (e.type === 'alias-deleted') drop(e.functionName, e.alias);
  });
}
