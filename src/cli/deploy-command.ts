import { Command } from 'commander';
import { packageFolder } from './packaging/index.js';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  ResourceNotFoundException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { cliClient } from './cli-client.js';
import { addTemplateOptions, runTemplateDeploy } from './sam/template-command.js';

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
  env: string[];
  dataDir?: string;
  endpoint?: string;
}

/** A folder as a deployment archive, under Flint's packaging rules (src/cli/packaging/), without guessing a runtime. */
export async function zipDirectory(dir: string): Promise<Buffer> {
  return (await packageFolder(dir, { infer: false })).zip;
}

export function deployCommand(): Command {
  const cmd = new Command('deploy')
    .description('zip a directory and create or update the function, then wait until it is Active (or deploy a SAM template with --template)')
    .argument('[dir]', 'directory holding the function code')
    .option('--name <name>', 'function name')
    .option('--runtime <runtime>', 'runtime, e.g. nodejs20.x, python3.11, provided.al2023')
    .option('--handler <handler>', 'handler, e.g. index.handler')
    .option('--memory <mb>', 'memory size in MB', (v) => Number(v))
    .option('--timeout <s>', 'timeout in seconds', (v) => Number(v))
    .option('--role <arn>', 'execution role ARN (default: the lambda-role Flint creates on first start)', 'arn:aws:iam::000000000000:role/lambda-role')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--data-dir <dir>', 'data directory holding the credentials (default ./.flint)')
    .option('--endpoint <url>', 'Flint endpoint (default from FLINT_ENDPOINT or http://127.0.0.1:9000)');
  return addTemplateOptions(cmd).action(async (dir: string | undefined, opts: DeployOptions) => {
      if (opts.template) {
        const { client } = cliClient(opts);
        process.exitCode = await runTemplateDeploy({ ...opts, template: opts.template }, client);
        client.destroy();
        return;
      }
      if (!dir || !opts.name || !opts.runtime || !opts.handler) {
        return cmd.error('error: flint deploy needs <dir> with --name, --runtime and --handler (or --template template.yaml)');
      }
      const { client } = cliClient(opts);
      const zip = await zipDirectory(dir);
      const Variables = Object.fromEntries(opts.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      const settings = {
        FunctionName: opts.name,
        Runtime: opts.runtime as never,
        Handler: opts.handler,
        Role: opts.role,
        ...(opts.memory ? { MemorySize: opts.memory } : {}),
        ...(opts.timeout ? { Timeout: opts.timeout } : {}),
        ...(opts.env.length ? { Environment: { Variables } } : {}),
      };
      let config: FunctionConfiguration;
      try {
        await client.send(new GetFunctionConfigurationCommand({ FunctionName: opts.name }));
        await client.send(new UpdateFunctionCodeCommand({ FunctionName: opts.name, ZipFile: zip }));
        await waitReady(client, opts.name);
        config = await client.send(new UpdateFunctionConfigurationCommand(settings));
      } catch (err) {
        if (!(err instanceof ResourceNotFoundException)) throw err;
        config = await client.send(new CreateFunctionCommand({ ...settings, Code: { ZipFile: zip } }));
      }
      const ready = await waitReady(client, opts.name);
      process.stdout.write(`deployed ${config.FunctionArn} (${zip.length} bytes, CodeSha256 ${ready.CodeSha256}, State ${ready.State})\n`);
      client.destroy();
    });
}

/** Polls like the SDK's function-active/updated waiters: State Active and no update in progress. */
async function waitReady(client: ReturnType<typeof cliClient>['client'], name: string): Promise<FunctionConfiguration> {
  for (let i = 0; i < 120; i++) {
    const c = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (c.State === 'Failed' || c.LastUpdateStatus === 'Failed') throw new Error(`function ${name} failed: ${c.StateReason ?? c.LastUpdateStatusReason}`);
    if (c.State === 'Active' && c.LastUpdateStatus !== 'InProgress') return c;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`function ${name} did not become Active within 30 s`);
}
