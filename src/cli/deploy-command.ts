import { Command } from 'commander';
import { basename, resolve } from 'node:path';
import { realpathSync } from 'node:fs';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  PublishVersionCommand,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { watchDeployed } from './dev-command.js';
import { cliClient, type FlintTarget } from './cli-client.js';
import { CliError } from './cli-error.js';
import { collect, envFile, envPair, integerIn, runtimeName } from './option-parsers.js';
import { Output } from './output.js';
import { packageFolder } from './packaging/index.js';
import { addTemplateOptions, runTemplateDeploy } from './sam/template-command.js';
import { waitReady } from './wait-ready.js';

interface DeployOptions {
  name?: string;
  runtime?: string;
  handler?: string;
  template?: string;
  stackName?: string;
  parameterOverrides?: string[];
  dryRun?: boolean;
  prune?: boolean;
  memory?: number;
  timeout?: number;
  role: string;
  env: Record<string, string>;
  envFile?: Record<string, string>;
  layer: string[];
  publish?: boolean;
  alias?: string;
  excludeTests?: boolean;
  force?: boolean;
  /** Keep watching the folder after the deploy (the `flint dev` loop). */
  watch?: boolean;
  dataDir?: string;
  endpoint?: string;
  profile?: string;
  region?: string;
  output?: 'text' | 'json';
}

/** Archives over this size get a progress line (Lambda's direct-upload limit is 50 MB zipped). */
const PROGRESS_OVER_BYTES = 4 * 1024 * 1024;

/** A folder as a deployment archive, under Flint's packaging rules (src/cli/packaging/), without guessing a runtime. */
export async function zipDirectory(dir: string): Promise<Buffer> {
  return (await packageFolder(dir, { infer: false })).zip;
}

export function deployCommand(): Command {
  const cmd = new Command('deploy')
    .description('package a folder and create or update its function (only when the code or settings changed), or deploy a SAM template with --template')
    .argument('[dir]', 'folder holding the function code', '.')
    .option('--name <name>', "function name (default: the folder's name)")
    .option('--runtime <runtime>', 'runtime, e.g. nodejs20.x, python3.12, provided.al2023 (default: guessed from the folder)', runtimeName)
    .option('--handler <handler>', 'handler, e.g. index.handler (default: guessed from the folder)')
    .option('--memory <mb>', 'memory size, 128–10240 MB', integerIn(128, 10240, 'MB'))
    .option('--timeout <s>', 'timeout, 1–900 seconds', integerIn(1, 900, 'seconds'))
    .option('--role <arn>', 'execution role ARN', 'arn:aws:iam::000000000000:role/lambda-role')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable; wins over --env-file)', envPair, {})
    .option('--env-file <file>', 'environment variables from a dotenv file', envFile)
    .option('--layer <arn>', 'layer version ARN (repeatable, in order)', collect, [])
    .option('--publish', 'publish a version after deploying')
    .option('--alias <name>', 'point this alias at the published version (implies --publish)')
    .option('--exclude-tests', 'leave test folders and *.test.* / *.spec.* files out of the archive')
    .option('--force', 'upload the code even when it is unchanged')
    .option('--data-dir <dir>', "data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)")
    .option('--watch', 'then keep watching the folder: each saved change is live on the next invocation (as flint dev)')
    .addHelpText('after', `
Examples:
  flint deploy ./hello                          # name, runtime and handler from the folder
  flint deploy ./api --name api --memory 512 --timeout 30 --env STAGE=dev --env-file .env.dev
  flint deploy ./api --publish --alias live     # publish a version and move the alias to it
  flint deploy . --layer arn:aws:lambda:us-east-1:000000000000:layer:deps:3
Packaging: .git, .flint, .env*, editor files are left out; add patterns (and !re-includes) in .flintignore.`);
  return addTemplateOptions(cmd).action(async (dir: string, _opts: DeployOptions, self: Command) => {
    const opts = self.optsWithGlobals<DeployOptions>();
    if (opts.template) {
      const { client } = cliClient(opts);
      process.exitCode = await runTemplateDeploy({ ...opts, template: opts.template }, client);
      client.destroy();
      return;
    }
    const out = new Output(opts.output);
    const { client, target } = cliClient(opts);
    try {
      await deployFolder(client, target, dir, opts, out);
    } finally {
      client.destroy();
    }
    if (opts.watch) process.exitCode = await watchDeployed(dir, { ...opts, name: opts.name ?? defaultName(dir) });
  });
}

async function deployFolder(client: LambdaClient, target: FlintTarget, dir: string, opts: DeployOptions, out: Output): Promise<void> {
  const note = (line: string) => process.stderr.write(`${line}\n`);
  const name = opts.name ?? defaultName(dir);
  if (opts.runtime) checkHostRuns(opts.runtime, target);
  let progressShown = false;
  const pkg = await packageFolder(dir, {
    runtime: opts.runtime,
    handler: opts.handler,
    excludeTests: opts.excludeTests,
    onProgress: (done, total) => {
      if (total < PROGRESS_OVER_BYTES) return;
      if (process.stderr.isTTY) process.stderr.write(`\rpackaging ${mb(done)} of ${mb(total)}…`);
      progressShown = true;
    },
  });
  if (progressShown) {
    const line = `packaged ${pkg.files.length} files, ${mb(pkg.size)}, into a ${mb(pkg.zip.length)} archive`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K\n` : `${line}\n`);
  }
  if (!opts.name) note(`using name ${name} (the folder's name); pass --name to choose`);
  for (const n of pkg.notes) note(n);
  if (pkg.runtime) checkHostRuns(pkg.runtime, target);

  const variables = { ...(opts.envFile ?? {}), ...opts.env };
  const settings = {
    FunctionName: name,
    Runtime: pkg.runtime as never,
    Handler: pkg.handler,
    Role: opts.role,
    ...(opts.memory !== undefined ? { MemorySize: opts.memory } : {}),
    ...(opts.timeout !== undefined ? { Timeout: opts.timeout } : {}),
    ...(Object.keys(variables).length ? { Environment: { Variables: variables } } : {}),
    ...(opts.layer.length ? { Layers: opts.layer } : {}),
  };
  const current = await client.send(new GetFunctionCommand({ FunctionName: name })).catch((err: unknown) => {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  });
  let action: 'created' | 'updated' | 'unchanged';
  if (!current?.Configuration) {
    await client.send(new CreateFunctionCommand({ ...settings, Code: { ZipFile: pkg.zip } }));
    action = 'created';
  } else {
    const codeChanged = opts.force || current.Configuration.CodeSha256 !== pkg.sha256;
    const settingsChanged = changedSettings(current.Configuration, settings);
    if (codeChanged) {
      await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: pkg.zip }));
      await waitReady(client, name);
    }
    if (settingsChanged.length) await client.send(new UpdateFunctionConfigurationCommand(settings));
    action = codeChanged || settingsChanged.length ? 'updated' : 'unchanged';
  }
  const ready = await waitReady(client, name);
  let version: string | undefined;
  let aliasArn: string | undefined;
  if (opts.publish || opts.alias) {
    version = (await client.send(new PublishVersionCommand({ FunctionName: name, CodeSha256: ready.CodeSha256 }))).Version;
    if (opts.alias) aliasArn = await pointAlias(client, name, opts.alias, version!);
  }
  if (out.json) {
    out.value({ Action: action, FunctionName: name, FunctionArn: ready.FunctionArn, Runtime: ready.Runtime, Handler: ready.Handler, CodeSha256: ready.CodeSha256, CodeSize: ready.CodeSize, State: ready.State, ...(version ? { Version: version } : {}), ...(aliasArn ? { AliasArn: aliasArn } : {}) });
    return;
  }
  if (action === 'unchanged') out.line(`${out.style('dim', 'unchanged')} ${ready.FunctionArn} (CodeSha256 ${ready.CodeSha256}; nothing to deploy)`);
  else out.line(`${out.style('green', 'deployed')} ${ready.FunctionArn} (${action}, ${pkg.zip.length} bytes, CodeSha256 ${ready.CodeSha256}, State ${ready.State})`);
  if (version) out.line(`published version ${version}`);
  if (aliasArn) out.line(`alias ${opts.alias} → version ${version} (${aliasArn})`);
}

/** The folder's name as a function name (Lambda allows letters, digits, - and _). */
function defaultName(dir: string): string {
  let base: string;
  try {
    base = basename(realpathSync(resolve(dir)));
  } catch {
    base = basename(resolve(dir));
  }
  const name = base.replace(/[^a-zA-Z0-9-_]/g, '-').slice(0, 64);
  if (!name) throw new CliError(`cannot name a function after '${dir}': pass --name`, 2);
  return name;
}

/**
 * Flint runs nodejs*.x on its host's Node.js, so nodejs24.x needs Node 24 there; when the server is
 * this machine (a loopback endpoint), say so before deploying rather than at the first invoke.
 */
function checkHostRuns(runtime: string, target: FlintTarget): void {
  const m = /^nodejs(\d+)\.x$/.exec(runtime);
  const host = new URL(target.endpoint).hostname;
  if (!m || !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return;
  const have = Number(process.versions.node.split('.')[0]);
  if (Number(m[1]) > have) {
    throw new CliError(`this host cannot run ${runtime}: Flint runs Node.js functions on the host's Node.js, which is v${process.versions.node}.\nUse --runtime nodejs${have}.x, or install Node.js ${m[1]} for the server`, 2);
  }
}

/** The settings that differ from what is deployed (empty: nothing to update). */
function changedSettings(current: FunctionConfiguration, wanted: Record<string, unknown>): string[] {
  const changed: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  for (const key of ['Runtime', 'Handler', 'Role', 'MemorySize', 'Timeout'] as const) {
    if (wanted[key] !== undefined && !same(current[key], wanted[key])) changed.push(key);
  }
  const env = (wanted['Environment'] as { Variables: Record<string, string> } | undefined)?.Variables;
  if (env && !same(current.Environment?.Variables ?? {}, env)) changed.push('Environment');
  const layers = wanted['Layers'] as string[] | undefined;
  if (layers && !same((current.Layers ?? []).map((l) => l.Arn), layers)) changed.push('Layers');
  return changed;
}

async function pointAlias(client: LambdaClient, name: string, alias: string, version: string): Promise<string | undefined> {
  try {
    return (await client.send(new UpdateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: version }))).AliasArn;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    return (await client.send(new CreateAliasCommand({ FunctionName: name, Name: alias, FunctionVersion: version }))).AliasArn;
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

