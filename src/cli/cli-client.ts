import { LambdaClient } from '@aws-sdk/client-lambda';
import { loadConfig, type FlintConfig } from '../app/config.js';
import { loadRootCredentials } from '../app/secrets.js';

export interface ClientOptions {
  dataDir?: string;
  endpoint?: string;
}

/**
 * An SDK v3 client for the local Flint: credentials from the data dir (or FLINT_* variables),
 * endpoint from --endpoint, AWS_ENDPOINT_URL or the configured host:port.
 */
export function cliClient(opts: ClientOptions): { client: LambdaClient; config: FlintConfig } {
  const config = loadConfig({ dataDir: opts.dataDir });
  const creds = loadRootCredentials(config.dataDir, { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey });
  const endpoint = opts.endpoint ?? process.env['FLINT_ENDPOINT'] ?? `http://${config.host}:${config.port}`;
  const client = new LambdaClient({
    endpoint,
    region: config.region,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    maxAttempts: 2,
  });
  return { client, config };
}
