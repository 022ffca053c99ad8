import { Command } from 'commander';
import { resolveTarget, type TargetOptions } from './cli-client.js';
import { CliError } from './cli-error.js';
import { rootSignedRequest } from './signed-request.js';

/**
 * `flint console`: asks the running server (signed with the root credentials) for a one-time login
 * link to the web console and prints it. The token rides in the URL's fragment, which browsers
 * never send to a server, so it stays out of access logs and Referer headers.
 */
export function consoleCommand(): Command {
  return new Command('console')
    .description('print a one-time login link to the web console (valid 5 minutes, once)')
    .option('--data-dir <dir>', 'data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)')
    .addHelpText('after', '\nExamples:\n  flint console')
    .action(async (_o: TargetOptions, self: Command) => {
      const target = resolveTarget(self.optsWithGlobals<TargetOptions>());
      const endpoint = target.endpoint;
      const answer = await rootSignedRequest(target, { method: 'POST', path: '/console/api/login-link', service: 'lambda', body: '{}', headers: { 'content-type': 'application/json' } });
      if (!answer) throw new CliError(`cannot reach Flint at ${endpoint} (ECONNREFUSED): start it with \`flint server\`, or point --endpoint / AWS_ENDPOINT_URL at a running one`);
      if (answer.status !== 200) throw new CliError(`the server refused a login link (${answer.status}): ${answer.body}`);
      const { Token, Expiration } = JSON.parse(answer.body) as { Token: string; Expiration: string };
      process.stdout.write(`${new URL(`/console/#login=${Token}`, endpoint).href}\n(one use, until ${Expiration})\n`);
    });
}
