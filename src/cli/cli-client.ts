import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join, relative } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { loadConfig } from '../app/config.js';
import { TlsCertificates } from '../api/tls/tls-certificates.js';
import { readProfile } from './aws-profile.js';
import { CliError } from './cli-error.js';

/** How a client command was told where Flint is and who to be (global flags + its own --data-dir). */
export interface TargetOptions {
  endpoint?: string;
  profile?: string;
  region?: string;
  dataDir?: string;
}

/** A Flint server to talk to and the credentials to sign with, and where each came from (for errors). */
export interface FlintTarget {
  endpoint: string;
  endpointSource: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  credentialSource: string;
  /** A CA bundle to trust for https endpoints (AWS_CA_BUNDLE, or the data dir's local CA). */
  ca?: Buffer;
}

let lastTarget: FlintTarget | undefined;

/** The target of this process's last client command (error messages name it). */
export function currentTarget(): FlintTarget | undefined {
  return lastTarget;
}

/**
 * Finds the server and credentials the way the AWS CLI does, then Flint's data dir: endpoint from
 * --endpoint, the profile's endpoint_url, AWS_ENDPOINT_URL, FLINT_ENDPOINT, else the local server
 * (FLINT_HOST/FLINT_PORT, https when the data dir says it serves TLS); credentials from --profile,
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, FLINT_ACCESS_KEY_ID, then the data dir's
 * credentials.json (--data-dir, FLINT_DATA_DIR, ./.flint). Never creates credentials: that is
 * `flint server`'s job, and a client that made its own would only be refused by the server.
 */
export function resolveTarget(opts: TargetOptions, env: NodeJS.ProcessEnv = process.env): FlintTarget {
  const config = loadConfig({ dataDir: opts.dataDir }, env);
  const where = relative(process.cwd(), config.dataDir) || '.';
  const profileName = opts.profile ?? env['AWS_PROFILE'];
  const profile = profileName !== undefined ? readProfile(profileName, env) : undefined;
  if (profileName !== undefined && !profile) {
    throw new CliError(`profile '${profileName}' is not in ~/.aws/credentials or ~/.aws/config; add it (aws configure --profile ${profileName}) or pass another --profile`);
  }
  const profileFirst = opts.profile !== undefined;

  let credentials: FlintTarget['credentials'] | undefined;
  let credentialSource = '';
  const fromProfile = () => {
    if (!profile?.['aws_access_key_id'] || !profile['aws_secret_access_key']) throw new CliError(`profile '${profileName}' has no aws_access_key_id/aws_secret_access_key; add them to ~/.aws/credentials`);
    credentials = { accessKeyId: profile['aws_access_key_id'], secretAccessKey: profile['aws_secret_access_key'], ...(profile['aws_session_token'] ? { sessionToken: profile['aws_session_token'] } : {}) };
    credentialSource = `profile ${profileName}`;
  };
  if (profileFirst) fromProfile();
  else if (env['AWS_ACCESS_KEY_ID'] && env['AWS_SECRET_ACCESS_KEY']) {
    credentials = { accessKeyId: env['AWS_ACCESS_KEY_ID'], secretAccessKey: env['AWS_SECRET_ACCESS_KEY'], ...(env['AWS_SESSION_TOKEN'] ? { sessionToken: env['AWS_SESSION_TOKEN'] } : {}) };
    credentialSource = 'AWS_ACCESS_KEY_ID';
  } else if (profile) fromProfile();
  else if (config.accessKeyId && config.secretAccessKey) {
    credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
    credentialSource = 'FLINT_ACCESS_KEY_ID';
  } else if (existsSync(join(config.dataDir, 'credentials.json'))) {
    credentials = JSON.parse(readFileSync(join(config.dataDir, 'credentials.json'), 'utf8')) as FlintTarget['credentials'];
    credentialSource = `${join(where, 'credentials.json')}`;
  }
  if (!credentials) {
    throw new CliError(
      `no credentials for Flint: ${where} has no credentials.json. Run this where \`flint server\` keeps its data, point FLINT_DATA_DIR at it,\nor pass --profile / set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (\`flint env\` on the server prints them)`,
    );
  }

  const serving = TlsCertificates.readServing(config.dataDir);
  let endpoint: string;
  let endpointSource: string;
  if (opts.endpoint) [endpoint, endpointSource] = [opts.endpoint, '--endpoint'];
  else if (profile?.['endpoint_url']) [endpoint, endpointSource] = [profile['endpoint_url'], `profile ${profileName}`];
  else if (env['AWS_ENDPOINT_URL']) [endpoint, endpointSource] = [env['AWS_ENDPOINT_URL'], 'AWS_ENDPOINT_URL'];
  else if (env['FLINT_ENDPOINT']) [endpoint, endpointSource] = [env['FLINT_ENDPOINT'], 'FLINT_ENDPOINT'];
  else [endpoint, endpointSource] = [`${serving ? 'https' : 'http'}://${config.host}:${config.port}`, 'the default'];
  if (!/^https?:\/\/[^/]+/.test(endpoint)) throw new CliError(`endpoint '${endpoint}' (from ${endpointSource}) is not an http:// or https:// URL`);
  endpoint = endpoint.replace(/\/+$/, '');

  const region = opts.region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? profile?.['region'] ?? config.region;
  const caFile = env['AWS_CA_BUNDLE'] ?? profile?.['ca_bundle'] ?? serving?.caBundle;
  const ca = endpoint.startsWith('https:') && caFile && existsSync(caFile) ? readFileSync(caFile) : undefined;
  lastTarget = { endpoint, endpointSource, region, credentials, credentialSource, ...(ca ? { ca } : {}) };
  return lastTarget;
}

/** Settings shared by every SDK client the CLI makes for a target. */
export function clientSettings(target: FlintTarget) {
  return {
    endpoint: target.endpoint,
    region: target.region,
    credentials: target.credentials,
    maxAttempts: 2,
    ...(target.ca ? { requestHandler: { httpsAgent: new Agent({ ca: target.ca }) } } : {}),
  };
}

/** A Lambda client for the target (and the target, for messages). */
export function cliClient(opts: TargetOptions): { client: LambdaClient; target: FlintTarget } {
  const target = resolveTarget(opts);
  return { client: new LambdaClient(clientSettings(target)), target };
}

/** A CloudWatch Logs client for the target: `flint logs` reads through the API, so it works against a remote Flint. */
export function logsClient(opts: TargetOptions): { client: CloudWatchLogsClient; target: FlintTarget } {
  const target = resolveTarget(opts);
  return { client: new CloudWatchLogsClient(clientSettings(target)), target };
}
