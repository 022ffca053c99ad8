import { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { rootSignedRequest } from './signed-request.js';

/**
 * `flint console`: asks the running server (signed with the root credentials) for a one-time login
 * link to the web console and prints it. The token rides in the URL's fragment, which browsers
 * never send to a server, so it stays out of access logs and Referer headers.
 */
export function consoleCommand(): Command {
  return new Command('console')
    .description('print a one-time login link to the web console (valid 5 minutes, once)')
    .option('--data-dir <dir>', 'data directory holding the credentials (default ./.flint)')
    .option('--endpoint <url>', 'Flint endpoint (default from FLINT_ENDPOINT or http://127.0.0.1:9000)')
    .action(async (opts: { dataDir?: string; endpoint?: string }) => {
      const config = loadConfig({ dataDir: opts.dataDir });
      const endpoint = opts.endpoint ?? process.env['FLINT_ENDPOINT'] ?? `http://${config.host}:${config.port}`;
      const answer = await rootSignedRequest(config, endpoint, { method: 'POST', path: '/console/api/login-link', service: 'lambda', body: '{}', headers: { 'content-type': 'application/json' } });
      if (!answer) throw new Error(`no Flint server answers at ${endpoint}: start it with \`flint server\``);
      if (answer.status !== 200) throw new Error(`the server refused a login link (${answer.status}): ${answer.body}`);
      const { Token, Expiration } = JSON.parse(answer.body) as { Token: string; Expiration: string };
      process.stdout.write(`${new URL(`/console/#login=${Token}`, endpoint).href}\n(one use, until ${Expiration})\n`);
    });
}
