import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { runtimeFilesDir } from './runtime-files.js';

/**
 * The AWS SDK v3 clients Flint's Node.js runtime provides, as Lambda's nodejs runtimes provide the
 * SDK in /var/runtime/node_modules: those of the services Flint serves, where Flint's installation
 * has them (a client missing here is simply not offered).
 */
export const RUNTIME_SDK_CLIENTS = [
  '@aws-sdk/client-lambda', '@aws-sdk/client-iam', '@aws-sdk/client-sts', '@aws-sdk/client-kms', '@aws-sdk/client-cloudwatch-logs',
  '@aws-sdk/client-cloudwatch', '@aws-sdk/client-sqs', '@aws-sdk/client-eventbridge', '@aws-sdk/client-scheduler', '@aws-sdk/client-xray',
  '@aws-sdk/client-cloudtrail', '@aws-sdk/client-config-service',
] as const;

/** Marks a finished build: a directory without it was interrupted and is rebuilt. */
const COMPLETE = '.flint-complete';

export interface NodeRuntimeOptions {
  /** The data directory: a fallback place to build in, when Flint's installation is read-only. */
  dataDir: string;
  log?(line: string): void;
  /** Flint's bootstrap directory (default: src/runtimes/nodejs of this installation). */
  bootstrapDir?: string;
  /** Where the SDK packages are resolved from (default: this installation's root). */
  packagesFrom?: string;
}

/**
 * Builds (once per content) Flint's Node.js runtime directory — what functions see as
 * /var/runtime: the bootstrap, and `node_modules` holding the SDK clients above with exactly
 * their dependency closure (the @aws-sdk, @smithy, tslib, … packages they need and nothing else
 * of Flint's dependencies), laid out as in Flint's own node_modules so Node.js resolves them the
 * same way. Files are hard links into Flint's node_modules where the file system allows (copies
 * otherwise), so a build costs no space and is fast. The directory is named by a hash of its
 * contents (bootstrap files, package versions), under `node_modules/.cache/flint-runtime/` of the
 * installation, else `<dataDir>/runtimes/`. Returns the bootstrap directory itself when there is
 * no SDK to add or nowhere to build.
 */
export function prepareNodeRuntime(opts: NodeRuntimeOptions): string {
  const bootstrapDir = opts.bootstrapDir ?? join(runtimeFilesDir(), 'nodejs');
  const from = opts.packagesFrom ?? join(runtimeFilesDir(), '..', '..');
  const closure = sdkClosure(from);
  if (closure.length === 0) {
    opts.log?.('flint: no AWS SDK v3 clients found: the Node.js runtime provides none in /var/runtime/node_modules');
    return bootstrapDir;
  }
  const bootstrapFiles = listFiles(bootstrapDir).filter((f) => !f.split(sep).includes('node_modules'));
  const hash = createHash('sha256');
  for (const f of bootstrapFiles) hash.update(f).update('\0').update(readFileSync(join(bootstrapDir, f))).update('\0');
  for (const p of closure) hash.update(`${p.rel}@${p.version}\n`);
  const name = `nodejs-${hash.digest('hex').slice(0, 16)}`;
  const roots = [join(from, 'node_modules', '.cache', 'flint-runtime'), join(opts.dataDir, 'runtimes')];
  const problems: string[] = [];
  for (const root of roots) {
    const dir = join(root, name);
    if (existsSync(join(dir, COMPLETE))) return dir;
    try {
      build(dir, bootstrapDir, bootstrapFiles, closure);
      return dir;
    } catch (err) {
      problems.push(`${root}: ${(err as Error).message}`);
    }
  }
  opts.log?.(`flint: could not build the Node.js runtime directory with the AWS SDK (${problems.join('; ')}): functions get no SDK in /var/runtime`);
  return bootstrapDir;
}

interface PackageDir {
  /** Real directory of the package. */
  dir: string;
  /** Where it goes in the runtime directory: `node_modules/<name>` or nested as it is in the source. */
  rel: string;
  version: string;
}

/** The SDK clients found from `from` and every package they depend on, each once. */
export function sdkClosure(from: string): PackageDir[] {
  const seen = new Map<string, PackageDir>();
  const queue: { name: string; fromDir: string }[] = RUNTIME_SDK_CLIENTS.map((name) => ({ name, fromDir: from }));
  while (queue.length > 0) {
    const { name, fromDir } = queue.shift()!;
    const found = resolvePackage(name, fromDir);
    if (!found || seen.has(found)) continue;
    const pkg = JSON.parse(readFileSync(join(found, 'package.json'), 'utf8')) as { version?: string; dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    const at = found.indexOf(`${sep}node_modules${sep}`);
    if (at < 0) continue;
    seen.set(found, { dir: found, rel: found.slice(at + 1), version: pkg.version ?? '' });
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) queue.push({ name: dep, fromDir: found });
  }
  return [...seen.values()].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/** Node.js's lookup of a package from a directory: its node_modules, then each parent's. */
function resolvePackage(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dir === dirname(dir)) return undefined;
  }
}

function build(dir: string, bootstrapDir: string, bootstrapFiles: string[], closure: PackageDir[]): void {
  const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    for (const f of bootstrapFiles) place(join(bootstrapDir, f), join(tmp, f));
    for (const p of closure) {
      // Nested node_modules are packages of their own (in the closure when needed); type
      // declarations are never loaded.
      for (const f of listFiles(p.dir, (d) => d === 'node_modules' || d === 'dist-types')) place(join(p.dir, f), join(tmp, p.rel, f));
    }
    writeFileSync(join(tmp, COMPLETE), `${closure.map((p) => `${p.rel}@${p.version}`).join('\n')}\n`, { mode: 0o644 });
    try {
      renameSync(tmp, dir);
    } catch (err) {
      // Another server built the same directory meanwhile: theirs is as good.
      if (!existsSync(join(dir, COMPLETE))) throw err;
      rmSync(tmp, { recursive: true, force: true });
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** A hard link where possible (same file system), a copy otherwise; directories readable by every sandbox user. */
function place(src: string, dest: string): void {
  mkdirSync(dirname(dest), { recursive: true, mode: 0o755 });
  try {
    linkSync(src, dest);
  } catch {
    copyFileSync(src, dest);
  }
}

/** Regular files under `root`, relative, skipping directories `skip` names (symlinks are not followed). */
function listFiles(root: string, skip: (name: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = rel ? join(rel, e.name) : e.name;
      if (e.isDirectory()) {
        if (!skip(e.name)) walk(r);
      } else if (e.isFile()) out.push(r);
    }
  };
  walk('');
  return out;
}
