import { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { startFlint } from '../app/flint-app.js';

export function serverCommand(): Command {
  return new Command('server')
    .description('run the Flint server (API, Runtime API, execution environments) on the embedded store')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, env FLINT_HOST)')
    .option('--port <port>', 'port to listen on (default 9000, env FLINT_PORT)', (v) => Number(v))
    .option('--data-dir <dir>', 'data directory (default ./.flint, env FLINT_DATA_DIR)')
    .action(async (opts: { host?: string; port?: number; dataDir?: string }) => {
      const config = loadConfig({ host: opts.host, port: opts.port, dataDir: opts.dataDir });
      const app = await startFlint(config);
      if (app.credentials.generated) {
        process.stdout.write(
          `flint: generated root credentials (saved to ${config.dataDir}/credentials.json, mode 0600):\n` +
            `  AWS_ACCESS_KEY_ID=${app.credentials.accessKeyId}\n  AWS_SECRET_ACCESS_KEY=${app.credentials.secretAccessKey}\n`,
        );
      }
      process.stdout.write(`flint: listening on ${app.endpoint} (region ${config.region}, account ${config.accountId}, data ${config.dataDir})\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`flint: ${signal} received, stopping\n`);
        app.stop().then(() => process.exit(0), (err) => { process.stderr.write(`flint: stop failed: ${String(err)}\n`); process.exit(1); });
      };
      // A network error on one socket (a runtime or client that vanished mid-read) must not take
      // the platform down; anything else is a bug, and the process exits so it is seen.
      process.on('uncaughtException', (err: NodeJS.ErrnoException) => {
        process.stderr.write(`flint: uncaught ${err.syscall ? `socket error (${err.code} on ${err.syscall})` : 'exception'}: ${err.stack ?? String(err)}\n`);
        if (!err.syscall) process.exit(1);
      });
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
