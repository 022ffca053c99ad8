import { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ResourceNotFoundException,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { cliClient } from './cli-client.js';
import { IgnoreRules, packageFolder, PackagingError, type PackagedFunction } from './packaging/index.js';
import { DevApi, DevApiError } from './dev/dev-api.js';
import { FolderWatcher } from './dev/folder-watcher.js';
import { LogFollower } from './dev/log-follower.js';
import { syntaxError } from './dev/syntax-check.js';
import { attachLines } from './dev/attach-lines.js';
import { DataDirGuard } from './dev/data-dir-guard.js';
import { parseInspectPort } from './dev/inspect-session.js';

interface DevOptions {
  name?: string;
  runtime?: string;
  handler?: string;
  role: string;
  payload?: string;
  inspect?: number | true;
  logs: boolean;
  dataDir?: string;
  endpoint?: string;
  profile?: string;
  region?: string;
}

/**
 * `flint deploy --watch`: once the folder is deployed, the dev loop on it (the function exists,
 * so nothing is created). Resolves with the exit code.
 */
export function watchDeployed(dir: string, opts: { name: string; dataDir?: string; endpoint?: string; profile?: string; region?: string }): Promise<number> {
  return runDev(dir, { ...opts, role: '', logs: true }).catch((err: unknown) => {
    process.stderr.write(`flint dev: ${oneLine(err)}\n`);
    return 1;
  });
}

/** Quiet time after the last file event before a batch of changes is reloaded (an editor's save is several events). */
const QUIET_MS = 15;
/** Time given to the recursive watch's initial walk before saves are promised to be seen. */
const WATCH_SETTLE_MS = 100;
/** How often the function's log group is read for new lines. */
const LOG_POLL_MS = 300;

/**
 * `flint dev <dir>`: the hot-reload loop. The function's `$LATEST` runs straight from the folder
 * (the server mounts it read-only as /var/task in new environments; nothing is uploaded on a
 * change), each saved change retires the warm environments of the old code, so the next
 * invocation runs the new code. Prints each reload, a syntax error of a saved file in one line,
 * the result of `--payload` invocations and the function's logs from any invoker.
 */
export function devCommand(): Command {
  return new Command('dev')
    .description('run a function from a folder: every saved change is live on the next invocation (hot reload)')
    .argument('<dir>', 'folder holding the function code')
    .option('--name <name>', 'function name (default: the folder name)')
    .option('--runtime <runtime>', 'runtime when the function must be created, e.g. nodejs20.x, python3.12')
    .option('--handler <handler>', 'handler when the function must be created, e.g. index.handler')
    .option('--role <arn>', 'execution role when the function must be created', 'arn:aws:iam::000000000000:role/lambda-role')
    .option('--payload <json>', 'invoke with this event at start and after every reload, and print the result')
    .option('--inspect [port]', 'start the runtime with its debugger on 127.0.0.1:port (default 9229; 0: any free port)', parseInspectPort)
    .option('--no-logs', 'do not print the function\'s log lines')
    .option('--data-dir <dir>', 'data directory holding the credentials (default ./.flint)')
    .addHelpText('after', `
Examples:
  flint dev ./hello --payload '{"name":"dev"}'      reload and invoke on every save
  flint dev ./hello --inspect                        debug: attach Chrome or VS Code to 127.0.0.1:9229
  curl http://127.0.0.1:9000/2015-03-31/functions/hello/invocations   (any invoker: its logs show here)

The server must run on this machine (the folder is read by it, in place). Ctrl-C stops watching;
$LATEST then runs its uploaded code again (flint deploy uploads the folder).`)
    .action(async (dir: string, _o: DevOptions, self: Command) => {
      // --endpoint/--profile/--region are the program's global options.
      const opts = self.optsWithGlobals<DevOptions>();
      const code = await runDev(dir, opts).catch((err: unknown) => {
        process.stderr.write(`flint dev: ${oneLine(err)}\n`);
        return 1;
      });
      process.exitCode = code;
    });
}

async function runDev(dir: string, opts: DevOptions): Promise<number> {
  const folder = resolve(dir);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new Error(`${dir} is not a folder`);
  const name = opts.name ?? basename(folder);
  const { client } = cliClient(opts);
  const api = new DevApi(client);
  const out = (line: string) => process.stdout.write(line + '\n');
  await ensureFunction(client, name, folder, opts, out);
  await api.attachFolder(name, folder);
  let debugPort: number | undefined;
  if (opts.inspect !== undefined) {
    debugPort = await api.enableDebug(name, opts.inspect === true ? 9229 : opts.inspect);
    for (const l of attachLines(name, debugPort)) out(l);
  }
  const follower = opts.logs ? new LogFollower(client, `/aws/lambda/${name}`, Date.now(), (m) => out(`log: ${m}`)) : undefined;
  follower?.start(LOG_POLL_MS);
  // Invocations run one after another; a change during one is picked up by the next.
  let chain: Promise<void> = Promise.resolve();
  const invoke = (): void => {
    if (opts.payload === undefined) return;
    const payload = opts.payload;
    chain = chain.then(() => invokeOnce(client, name, payload, out)).catch((err: unknown) => { out(`invoke: failed: ${oneLine(err)}`); });
  };
  invoke();
  let stop!: (code: number) => void;
  const stopped = new Promise<number>((r) => (stop = r));
  const guard = new DataDirGuard(folder, (file) => {
    process.stderr.write(`flint dev: ${file} appeared in ${folder}: a Flint data directory must not be visible to function code; stopped\n`);
    stop(1);
  });
  const watcher = new FolderWatcher(folder, {
    quietMs: QUIET_MS,
    ignore: new IgnoreRules(folder),
    // The server showed the folder whole: a Flint data directory appearing in it ends the loop.
    sees: (file) => guard.check(file),
    onError: (err) => out(`flint dev: watching ${folder} failed: ${err.message}`),
    onChange: (files) => {
      const started = performance.now();
      const shown = files.length > 3 ? `${files.slice(0, 3).join(', ')} and ${files.length - 3} more` : files.join(', ');
      void Promise.all(files.map((f) => syntaxError(folder, f))).then((errors) => {
        for (const e of errors) if (e) out(`error: ${e}`);
      });
      api.attachFolder(name, folder).then(
        () => {
          out(`reload: ${shown} → ${name} $LATEST (${Math.round(performance.now() - started)} ms)`);
          invoke();
        },
        (err: unknown) => out(`reload: failed: ${oneLine(err)}`),
      );
    },
  });
  // Node's recursive watch walks the tree in the background after fs.watch returns: the line
  // promising that saves are seen waits a moment for it (a small folder's walk takes a few ms).
  await new Promise((r) => setTimeout(r, WATCH_SETTLE_MS));
  out(`flint dev: ${name} ($LATEST) runs from ${folder}; watching for changes (Ctrl-C to stop)`);
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));
  const code = await stopped;
  watcher.close();
  guard.close();
  await chain;
  await follower?.poll().catch(() => {});
  await follower?.stop();
  await api.detachFolder(name).catch(() => {});
  if (debugPort !== undefined) await api.disableDebug(name).catch(() => {});
  client.destroy();
  out(`flint dev: stopped; ${name} $LATEST runs its uploaded code again`);
  return code;
}

/** Creates the function from the folder when it does not exist yet (the folder's zip is its uploaded code). */
async function ensureFunction(client: LambdaClient, name: string, folder: string, opts: DevOptions, out: (l: string) => void): Promise<void> {
  try {
    await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  // Packaged as `flint deploy` would (its ignore rules, refusals and runtime guess).
  const pkg: PackagedFunction = await packageFolder(folder, { ...(opts.runtime ? { runtime: opts.runtime } : {}), ...(opts.handler ? { handler: opts.handler } : {}) });
  const { runtime, handler } = pkg;
  if (!runtime || !handler) throw new Error(`function ${name} does not exist; give --runtime and --handler to create it`);
  for (const n of pkg.notes) out(`flint dev: ${n}`);
  await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: runtime as never, Handler: handler, Role: opts.role, Code: { ZipFile: pkg.zip } }));
  for (let i = 0; i < 120; i++) {
    const c: FunctionConfiguration = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (c.State === 'Active') break;
    if (c.State === 'Failed') throw new Error(`function ${name} failed to create: ${c.StateReason}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  out(`flint dev: created ${name} (${runtime}, ${handler})`);
}

async function invokeOnce(client: LambdaClient, name: string, payload: string, out: (l: string) => void): Promise<void> {
  const started = performance.now();
  const r = await client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(payload) }));
  const ms = Math.round(performance.now() - started);
  const body = Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8');
  if (!r.FunctionError) {
    out(`invoke: ${body} (${ms} ms)`);
    return;
  }
  let e: { errorType?: string; errorMessage?: string } = {};
  try {
    e = JSON.parse(body) as typeof e;
  } catch {
    // not the runtime's error document
  }
  out(`invoke: error ${e.errorType ?? r.FunctionError}: ${(e.errorMessage ?? body).split('\n')[0]} (${ms} ms)`);
}

function oneLine(err: unknown): string {
  if (err instanceof DevApiError) return err.message;
  if (err instanceof PackagingError) return err.message;
  const e = err as { name?: string; message?: string; code?: string };
  if (e?.code === 'ECONNREFUSED') return `cannot reach Flint (${e.message}); is \`flint server\` running?`;
  return `${e?.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e?.message ?? String(err)}`.split('\n')[0]!;
}
