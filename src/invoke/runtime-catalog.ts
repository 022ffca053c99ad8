import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FunctionConfiguration } from '../domain/records.js';
import type { SandboxPaths } from '../ports/sandbox-driver.js';
import { InvalidRuntimeException } from '../domain/errors.js';

/** What the host offers to run managed runtimes on. */
export interface RuntimeHost {
  /** Host directory holding Flint's bootstraps (`nodejs/index.mjs`, `python/bootstrap.py`). */
  runtimeFilesDir: string;
  /** The Node.js runtime directory (bootstrap + AWS SDK in node_modules); default `<runtimeFilesDir>/nodejs`. */
  nodeRuntimeDir?: string;
  nodePath: string;
  /** e.g. `20.20.2`. */
  nodeVersion: string;
  pythonPath: string;
}

export type RuntimeFamily = 'nodejs' | 'python' | 'provided';

/** A runtime identifier resolved for one function: where its files are and how to start it. */
export interface RuntimeChoice {
  family: RuntimeFamily;
  runtime: string;
  /** Host directory mounted as LAMBDA_RUNTIME_DIR (/var/runtime). */
  runtimeDir: string;
  /** The command and runtime-specific variables, in the sandbox's view of paths. */
  launch(paths: SandboxPaths): RuntimeLaunch;
}

export type RuntimeLaunch =
  | { argv: string[]; env: Record<string, string> }
  /** The function has no entry point (provided runtimes without a bootstrap): Runtime.InvalidEntrypoint. */
  | { entrypointError: string };

/**
 * Maps Lambda runtime identifiers to how Flint runs them: `nodejs*` on the host's Node.js with
 * Flint's bootstrap, `python3.*` on the host's python3 with Flint's bootstrap, `provided*` by
 * executing the function's own `bootstrap`.
 */
export class RuntimeCatalog {
  readonly #host: RuntimeHost;

  constructor(host: RuntimeHost) {
    this.#host = host;
  }

  get host(): RuntimeHost {
    return this.#host;
  }

  /** Throws InvalidRuntimeException (502, as Invoke answers for an unusable runtime) when Flint cannot run it. */
  resolve(config: FunctionConfiguration, codeDir: string, layerDirs: readonly string[]): RuntimeChoice {
    const runtime = config.Runtime;
    if (runtime === undefined) {
      throw new InvalidRuntimeException('Flint runs Zip functions with a runtime; this function has none (container images are not supported).');
    }
    const memory = config.MemorySize;
    const wrapper = config.Environment?.Variables?.['AWS_LAMBDA_EXEC_WRAPPER'];
    const wrap = (argv: string[]) => (wrapper ? [wrapper, ...argv] : argv);
    const node = /^nodejs(\d+)\.x$/.exec(runtime);
    if (node) {
      const wanted = Number(node[1]);
      const have = Number(this.#host.nodeVersion.split('.')[0]);
      if (have < wanted) {
        throw new InvalidRuntimeException(
          `Flint runs ${runtime} on the host's Node.js, which is v${this.#host.nodeVersion}; ${runtime} needs Node.js ${wanted} or later on the Flint host.`,
        );
      }
      const runtimeDir = this.#host.nodeRuntimeDir ?? join(this.#host.runtimeFilesDir, 'nodejs');
      return {
        family: 'nodejs',
        runtime,
        runtimeDir,
        launch: (p) => {
          // Lambda's Node.js bootstrap sizes V8 from the memory setting: a tenth for the young
          // generation (two semi-spaces), the rest for the old generation.
          const newSpace = Math.floor(memory / 10);
          return {
            argv: wrap([
              this.#host.nodePath,
              '--expose-gc',
              `--max-semi-space-size=${Math.max(1, Math.floor(newSpace / 2))}`,
              `--max-old-space-size=${memory - newSpace}`,
              join(p.runtimeDir, 'index.mjs'),
            ]),
            env: {
              AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
              NODE_PATH: [join(p.opt, 'nodejs', `node${wanted}`, 'node_modules'), join(p.opt, 'nodejs', 'node_modules'), join(p.runtimeDir, 'node_modules'), p.runtimeDir, p.taskRoot].join(':'),
            },
          };
        },
      };
    }
    if (/^python3\.\d+$/.test(runtime)) {
      return {
        family: 'python',
        runtime,
        runtimeDir: join(this.#host.runtimeFilesDir, 'python'),
        launch: (p) => ({
          argv: wrap([this.#host.pythonPath, '-u', join(p.runtimeDir, 'bootstrap.py'), p.opt]),
          env: { AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`, PYTHONPATH: p.runtimeDir, LC_CTYPE: 'C.UTF-8' },
        }),
      };
    }
    if (runtime === 'provided' || runtime === 'provided.al2' || runtime === 'provided.al2023') {
      const inTask = existsSync(join(codeDir, 'bootstrap'));
      const inLayer = layerDirs.some((d) => existsSync(join(d, 'bootstrap')));
      return {
        family: 'provided',
        runtime,
        runtimeDir: this.#host.runtimeFilesDir,
        launch: (p) => {
          // Lambda looks for the bootstrap in the task root first, then in /opt (a runtime layer).
          if (inTask) return { argv: [join(p.taskRoot, 'bootstrap')], env: {} };
          if (inLayer) return { argv: [join(p.opt, 'bootstrap')], env: {} };
          return { entrypointError: `Couldn't find valid bootstrap(s): [${join(p.taskRoot, 'bootstrap')} ${join(p.opt, 'bootstrap')}]` };
        },
      };
    }
    throw new InvalidRuntimeException(
      `Flint does not run the ${runtime} runtime; it runs nodejs*.x (on the host's Node.js), python3.* (on the host's python3) and provided, provided.al2, provided.al2023.`,
    );
  }

  /** PATH inside the environment: Lambda's, with the host's interpreters where /var/lang/bin would be. */
  pathVariable(paths: SandboxPaths): string {
    const dirs = [dirname(this.#host.nodePath), dirname(this.#host.pythonPath), '/usr/local/bin', '/usr/bin/', '/bin', join(paths.opt, 'bin')];
    return [...new Set(dirs)].join(':');
  }
}
