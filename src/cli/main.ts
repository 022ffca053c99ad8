import './quiet-sdk.js';
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { serverCommand } from './server-command.js';
import { envCommand } from './env-command.js';
import { deployCommand } from './deploy-command.js';
import { invokeCommand } from './invoke-command.js';
import { logsCommand } from './logs-command.js';
import { keysCommand } from './keys-command.js';
import { historyCommand } from './history-command.js';
import { usageCommand } from './usage-command.js';
import { auditCommand } from './audit-command.js';
import { devCommand } from './dev-command.js';
import { consoleCommand } from './console-command.js';
import { functionsCommand } from './functions-command.js';
import { generateEventCommand } from './generate-event-command.js';
import { clusterCommand } from './cluster-command.js';
import { addLocalClusterCommands } from './cluster-up-command.js';
import { workerCommand } from './worker-command.js';
import { reportError } from './error-report.js';
import { COMMAND_EXAMPLES } from './command-examples.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The `flint` program: every command, the global options, and one way to fail (src/cli/error-report.ts). */
export function flintProgram(): Command {
  const program = new Command('flint')
    .description('Flint: a self-hosted, AWS Lambda-compatible function platform')
    .version(version, '-V, --version', 'print the version')
    .option('--endpoint <url>', 'Flint endpoint (default: the profile\'s endpoint_url, AWS_ENDPOINT_URL, FLINT_ENDPOINT, else http://127.0.0.1:9000)')
    .option('--profile <name>', 'credentials (and endpoint_url, region) from this profile of ~/.aws/credentials and ~/.aws/config')
    .option('--region <region>', 'region (default AWS_REGION, the profile\'s, else us-east-1)')
    .addOption(new Option('-o, --output <format>', 'text (tables and colours on a terminal) or json').choices(['text', 'json']).default('text'))
    .option('--debug', 'print stack traces of errors');
  for (const c of [serverCommand(), envCommand(), deployCommand(), invokeCommand(), logsCommand(), functionsCommand(), generateEventCommand(), keysCommand(), historyCommand(), usageCommand(), auditCommand(), devCommand(), consoleCommand(), clusterCommand()]) {
    program.addCommand(c);
  }
  addLocalClusterCommands(program);
  program.addCommand(workerCommand());
  program.addHelpText('after', `
Examples:
  flint server                                   # start Flint; its data and credentials live in ./.flint
  flint deploy ./hello                           # package a folder, create or update the function
  flint invoke hello --payload '{"name":"Ada"}'
  flint logs hello --since 10m --follow
  flint generate-event sqs | flint invoke worker -
Client commands find the server and credentials as AWS tools do: --endpoint, --profile, AWS_* variables,
then the data directory (FLINT_DATA_DIR, else ./.flint). Only \`flint server\` creates credentials.`);
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  for (const c of all(program)) {
    // Usage errors (unknown option, bad value) are one line plus a pointer to --help, exit code 2.
    c.exitOverride().showHelpAfterError(`(${[...path(c), '--help'].join(' ')} shows usage and examples)`).configureHelp({ showGlobalOptions: true });
    const examples = COMMAND_EXAMPLES[path(c).join(' ')];
    if (examples) c.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}`);
  }
  return program;
}

function path(c: Command): string[] {
  const names: string[] = [];
  for (let x: Command | null = c; x; x = x.parent) names.unshift(x.name());
  return names;
}

try {
  await flintProgram().parseAsync(process.argv);
} catch (err) {
  process.exitCode = reportError(err, process.argv.includes('--debug'));
}
