import { Command } from 'commander';
import { portNumber } from './option-parsers.js';
import { loadConfig } from '../app/config.js';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadRootCredentials } from '../app/secrets.js';
import { CliError } from './cli-error.js';
import { TlsCertificates } from '../api/tls/tls-certificates.js';

/** Prints the variables that point the AWS CLI and SDKs at this Flint. */
export function envCommand(): Command {
  return new Command('env')
    .description('print export lines for the AWS CLI / SDKs (credentials, region, endpoint)')
    .option('--data-dir <dir>', 'data directory (default ./.flint, env FLINT_DATA_DIR)')
    .option('--host <host>')
    .option('--port <port>', 'port', portNumber)
    .action((opts: { dataDir?: string; host?: string; port?: number }) => {
      const config = loadConfig({ dataDir: opts.dataDir, host: opts.host, port: opts.port });
      // Only `flint server` creates credentials; printing made-up ones would only be refused by the server.
      if (!(config.accessKeyId && config.secretAccessKey) && !existsSync(join(config.dataDir, 'credentials.json'))) {
        throw new CliError(`no credentials in ${relative(process.cwd(), config.dataDir) || '.'}: \`flint server\` creates them on its first start; run this where it keeps its data, or point FLINT_DATA_DIR / --data-dir at it`);
      }
      const creds = loadRootCredentials(config.dataDir, { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey });
      // What the server last started with in this data dir: HTTPS, and the bundle that verifies it.
      const serving = TlsCertificates.readServing(config.dataDir);
      process.stdout.write(
        [
          `export AWS_ACCESS_KEY_ID=${creds.accessKeyId}`,
          `export AWS_SECRET_ACCESS_KEY=${creds.secretAccessKey}`,
          `export AWS_REGION=${config.region}`,
          `export AWS_DEFAULT_REGION=${config.region}`,
          `export AWS_ENDPOINT_URL=${serving ? 'https' : 'http'}://${config.host}:${config.port}`,
          // botocore (AWS CLI, boto3) reads AWS_CA_BUNDLE; Node.js (SDK v3) NODE_EXTRA_CA_CERTS.
          ...(serving?.caBundle ? [`export AWS_CA_BUNDLE=${serving.caBundle}`] : []),
          ...(serving?.caCert ? [`export NODE_EXTRA_CA_CERTS=${serving.caCert}`] : []),
          // Older clients (AWS CLI < 2.13, boto3 < 1.28 — Debian 12 ships 2.9 and 1.26) ignore it.
          `# AWS CLI < 2.13 and boto3 < 1.28 ignore AWS_ENDPOINT_URL: pass --endpoint-url "$AWS_ENDPOINT_URL" / endpoint_url=...`,
        ].join('\n') + '\n',
      );
    });
}
