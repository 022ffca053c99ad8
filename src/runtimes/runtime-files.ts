import { fileURLToPath } from 'node:url';

/**
 * The directory of Flint's runtime bootstraps (`nodejs/index.mjs`, `python/bootstrap.py`). They
 * are plain files, not compiled: the path goes through `src/` from both `src/runtimes` and
 * `dist/runtimes`, as the service model's JSON does.
 */
export function runtimeFilesDir(): string {
  return fileURLToPath(new URL('../../src/runtimes/', import.meta.url)).replace(/\/$/, '');
}
