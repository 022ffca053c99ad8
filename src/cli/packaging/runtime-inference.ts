import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackagedFile } from './folder-walk.js';
import { PackagingError } from './packaging-error.js';

/** A runtime and handler for a folder, and what the guess was made from (printed to the user). */
export interface RuntimeGuess {
  runtime: string;
  handler: string;
  /** e.g. `package.json "main"`; undefined when both were given. */
  from?: string;
  /** A warning about the handler, e.g. its file is not in the archive. */
  warning?: string;
}

export type RuntimeFamilyName = 'nodejs' | 'python' | 'provided';

export function runtimeFamily(runtime: string): RuntimeFamilyName | undefined {
  if (/^nodejs\d+\.x$/.test(runtime)) return 'nodejs';
  if (/^python3\.\d+$/.test(runtime)) return 'python';
  if (/^provided(\.al2|\.al2023)?$/.test(runtime)) return 'provided';
  return undefined;
}

/** The Node.js runtime matching the Node this runs on (Flint runs nodejs*.x on the host's Node). */
function hostNodeRuntime(supported: readonly string[]): string {
  const r = `nodejs${process.versions.node.split('.')[0]}.x`;
  return supported.includes(r) ? r : 'nodejs20.x';
}

/** The Python runtime matching the host's python3 (Flint runs python3.* on it), else python3.12. */
function hostPythonRuntime(supported: readonly string[]): string {
  const out = spawnSync(process.env['FLINT_PYTHON'] || 'python3', ['--version'], { encoding: 'utf8', timeout: 5000 });
  const m = /Python 3\.(\d+)/.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`);
  const r = m ? `python3.${m[1]}` : '';
  return supported.includes(r) ? r : 'python3.12';
}

/**
 * Guesses what `sam init` templates and the Lambda console would have set: an executable
 * `bootstrap` is a custom runtime; package.json "main" or index.mjs/index.js/index.cjs is Node.js
 * (`handler` export); app.py (SAM's layout) or lambda_function.py (the console's) is Python
 * (`lambda_handler`). Either value given on the command line wins.
 */
export function inferRuntime(dir: string, files: readonly PackagedFile[], given: { runtime?: string; handler?: string }, supported: readonly string[]): RuntimeGuess {
  const names = new Set(files.map((f) => f.name));
  const byName = new Map(files.map((f) => [f.name, f]));
  const candidates: Array<{ family: RuntimeFamilyName; handler: string; from: string }> = [];
  if (byName.get('bootstrap')?.executable) candidates.push({ family: 'provided', handler: 'bootstrap', from: 'an executable bootstrap' });
  const main = packageMain(dir, names);
  if (main) candidates.push({ family: 'nodejs', handler: `${main.replace(/^\.\//, '').replace(/\.(m|c)?js$/, '')}.handler`, from: 'package.json "main"' });
  for (const f of ['index.mjs', 'index.js', 'index.cjs']) if (names.has(f)) candidates.push({ family: 'nodejs', handler: 'index.handler', from: f });
  if (names.has('app.py')) candidates.push({ family: 'python', handler: 'app.lambda_handler', from: 'app.py' });
  if (names.has('lambda_function.py')) candidates.push({ family: 'python', handler: 'lambda_function.lambda_handler', from: 'lambda_function.py' });

  const runtimeFor = (family: RuntimeFamilyName) => (family === 'nodejs' ? hostNodeRuntime(supported) : family === 'python' ? hostPythonRuntime(supported) : 'provided.al2023');
  if (given.runtime && given.handler) return { runtime: given.runtime, handler: given.handler, warning: handlerWarning(given.runtime, given.handler, names) };
  if (given.runtime) {
    const family = runtimeFamily(given.runtime);
    const c = candidates.find((x) => x.family === family);
    if (!c) throw new PackagingError(`cannot tell the handler of ${dir} for ${given.runtime}; pass --handler (e.g. ${family === 'python' ? 'app.lambda_handler' : family === 'provided' ? 'bootstrap' : 'index.handler'})`);
    return { runtime: given.runtime, handler: c.handler, from: c.from };
  }
  if (given.handler) {
    // The handler names its file: `src/app.handler` is src/app.{mjs,js,cjs} or src/app.py.
    const module = given.handler.slice(0, given.handler.lastIndexOf('.'));
    const family: RuntimeFamilyName | undefined = ['.mjs', '.js', '.cjs'].some((e) => names.has(module + e))
      ? 'nodejs'
      : names.has(module.replace(/\./g, '/') + '.py')
        ? 'python'
        : candidates[0]?.family;
    if (!family) throw new PackagingError(`cannot tell the runtime of ${dir}; pass --runtime (e.g. nodejs20.x, python3.12, provided.al2023)`);
    return { runtime: runtimeFor(family), handler: given.handler, from: `the handler's file`, warning: handlerWarning(runtimeFor(family), given.handler, names) };
  }
  const c = candidates[0];
  if (!c) {
    throw new PackagingError(`cannot tell the runtime of ${dir}: no package.json "main", index.mjs, index.js, app.py, lambda_function.py or executable bootstrap; pass --runtime and --handler`);
  }
  return { runtime: runtimeFor(c.family), handler: c.handler, from: c.from };
}

function packageMain(dir: string, names: Set<string>): string | undefined {
  if (!names.has('package.json')) return undefined;
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: unknown };
    return typeof pkg.main === 'string' && existsSync(join(dir, pkg.main)) ? pkg.main : undefined;
  } catch {
    return undefined;
  }
}

/** Lambda only finds out at the first invoke (Runtime.ImportModuleError); say it at deploy time. */
function handlerWarning(runtime: string, handler: string, names: Set<string>): string | undefined {
  const family = runtimeFamily(runtime);
  const dot = handler.lastIndexOf('.');
  if (family === 'nodejs') {
    const module = handler.slice(0, dot);
    if (dot > 0 && !['.mjs', '.js', '.cjs'].some((e) => names.has(module + e))) return `handler ${handler}: no ${module}.mjs, ${module}.js or ${module}.cjs in the archive`;
  } else if (family === 'python') {
    const file = handler.slice(0, dot).replace(/\./g, '/') + '.py';
    if (dot > 0 && !names.has(file)) return `handler ${handler}: no ${file} in the archive`;
  }
  return undefined;
}
