import type { Command } from 'commander';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { stackClients, type StackClients } from './stack-clients.js';
import { deployTemplate, templateCodeFolders, type TemplateDeployOptions } from './template-deploy.js';
import { TemplateError } from './template-error.js';
import { PackagingError } from '../packaging/index.js';

/** The options `flint deploy --template` adds (registered on the deploy command). */
export function addTemplateOptions(cmd: Command): Command {
  return cmd
    .option('--template <file>', 'deploy an AWS SAM / CloudFormation template (template.yaml) instead of one folder')
    .option('--stack-name <name>', 'with --template: the stack name resources are named and tagged after (default: the template folder name)')
    .option('--parameter-overrides <Key=Value...>', 'with --template: template parameter values (sam deploy syntax)')
    .option('--dry-run', 'with --template: print the plan and change nothing')
    .option('--prune', 'with --template: delete what an earlier deploy of this stack created and the template no longer has')
    .addHelpText('after', `
Template examples:
  flint deploy --template template.yaml --dry-run
  flint deploy --template template.yaml --stack-name shop --parameter-overrides Stage=prod
  flint deploy --template template.yaml --prune
`);
}

/**
 * Signed clients for a template deploy, built from the CLI's Lambda client (same endpoint, region
 * and credentials); the account comes from STS GetCallerIdentity, as AWS tools learn it.
 */
export async function clientsFromLambda(lambda: LambdaClient): Promise<StackClients> {
  const credentials = await lambda.config.credentials();
  const region = await lambda.config.region();
  const endpoint = await endpointOf(lambda);
  const sts = new STSClient({ endpoint, region, credentials, maxAttempts: 2 });
  try {
    const who = await sts.send(new GetCallerIdentityCommand({}));
    return stackClients({ endpoint, region, accountId: who.Account!, credentials });
  } finally {
    sts.destroy();
  }
}

async function endpointOf(lambda: LambdaClient): Promise<string> {
  const ep = await lambda.config.endpoint!();
  return `${ep.protocol}//${ep.hostname}${ep.port ? `:${ep.port}` : ''}`;
}

/**
 * `flint deploy --template …`: prints the plan and the changes to stdout; a failure is one line on
 * stderr and the exit code says which kind — 2 for a template or folder Flint cannot deploy
 * (nothing was changed), 1 for an API call that failed while deploying.
 */
export async function runTemplateDeploy(
  opts: TemplateDeployOptions,
  lambda: LambdaClient,
  io: { out: (line: string) => void; err: (line: string) => void } = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) },
): Promise<number> {
  let clients: StackClients | undefined;
  try {
    // Template problems are reported before the server is contacted (they need no server).
    templateCodeFolders(opts, { region: await lambda.config.region(), accountId: '000000000000' });
    clients = await clientsFromLambda(lambda);
    await deployTemplate(opts, clients, io.out);
    return 0;
  } catch (err) {
    const e = err as Error & { $metadata?: unknown };
    const code = (e as { code?: string }).code ?? ((e as { cause?: { code?: string } }).cause?.code);
    if (err instanceof TemplateError || err instanceof PackagingError) io.err(`error: ${e.message}`);
    else if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET') {
      io.err(`error: cannot reach Flint at ${await endpointOf(lambda)} (${code}); start it with \`flint server\` or pass --endpoint`);
    }
    else if (e.$metadata) io.err(`error: ${e.name}: ${e.message}`);
    else io.err(`error: ${e.message}`);
    return err instanceof TemplateError || err instanceof PackagingError ? 2 : 1;
  } finally {
    clients?.destroy();
  }
}
