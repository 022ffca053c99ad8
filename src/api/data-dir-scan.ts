import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Names only a Flint data directory holds (its master keys and metadata database). */
export const DATA_DIR_MARKERS: ReadonlySet<string> = new Set(['master.key', 'master-keys.json', 'flint.db']);

/**
 * The first file under `dir` that marks a Flint data directory, if any: every entry is looked at,
 * hidden and ignored ones included (a folder bound into sandboxes is seen whole, whatever a deploy
 * would have left out), symlinks not followed (inside a sandbox they do not lead to the host's files).
 */
export function findDataDirMarker(dir: string): string | undefined {
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      continue; // unreadable: the sandbox cannot read it either
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (DATA_DIR_MARKERS.has(e.name)) return p;
    }
  }
  return undefined;
}
