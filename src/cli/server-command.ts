import { Command } from 'commander';
import { portNumber } from './option-parsers.js';
import { loadConfig, type FlintConfig } from '../app/config.js';
import { startFlint } from '../app/flint-app.js';

export function serverCommand(): Command {
  return new Command('server')
    .description('run the Flint server (API, Runtime API, execution environments) on the embedded store')
    .option('--host <host>', 'address to listen on (default 127.0.0.1, env FLINT_HOST)')
    .option('--port <port>', 'port to listen on (default 9000, env FLINT_PORT)', portNumber)
    .option('--data-dir <dir>', 'data directory (default ./.flint, env FLINT_DATA_DIR)')
    .option('--tls', 'serve HTTPS with a certificate from a local CA made in <data-dir>/tls (env FLINT_TLS=1); `flint env` prints AWS_CA_BUNDLE')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate chain (env FLINT_TLS_CERT); with --tls-key')
    .option('--tls-key <file>', 'the PEM private key of --tls-cert (env FLINT_TLS_KEY)')
    .option('--tls-ca <file>', 'with --tls-cert: the CA bundle clients and functions should trust (env FLINT_TLS_CA)')
    .option('--plain-port <port>', 'with TLS: also serve plain HTTP on 127.0.0.1:<port> for development (env FLINT_PLAIN_PORT)', portNumber)
    .option('--role <role>', 'cluster mode: all (one node, the default), api, worker or poller (env FLINT_ROLE); see docs/cluster.md')
    .option('--database-url <url>', 'keep every store in PostgreSQL: postgres://user@host:port/db (env FLINT_DATABASE_URL)')
    .option('--cluster-dir <dir>', 'the folder `flint cluster init` made: cluster CA, master keyring, root credentials (env FLINT_CLUSTER_DIR)')
    .option('--internal-port <port>', 'cluster mode: the mutual-TLS port other nodes reach this one on (env FLINT_INTERNAL_PORT; 0: any)', portNumber)
    .option('--advertise-host <host>', 'cluster mode: the address other nodes use for this one (env FLINT_ADVERTISE_HOST)')
    .option('--api-endpoint <url>', 'worker nodes: the API address functions\' SDKs use (env FLINT_API_ENDPOINT)')
    .option('--worker-capacity <n>', 'worker nodes: concurrent execution environments admitted (env FLINT_WORKER_CAPACITY)', Number)
    .action(async (opts: { host?: string; port?: number; dataDir?: string; tls?: boolean; tlsCert?: string; tlsKey?: string; tlsCa?: string; plainPort?: number; role?: string; databaseUrl?: string; clusterDir?: string; internalPort?: number; advertiseHost?: string; apiEndpoint?: string; workerCapacity?: number }) => {
      const config = loadConfig({
        host: opts.host, port: opts.port, dataDir: opts.dataDir, tls: opts.tls, tlsCert: opts.tlsCert, tlsKey: opts.tlsKey, tlsCa: opts.tlsCa, plainPort: opts.plainPort,
        role: opts.role as FlintConfig['role'] | undefined, databaseUrl: opts.databaseUrl, clusterDir: opts.clusterDir, internalPort: opts.internalPort,
        advertiseHost: opts.advertiseHost, apiEndpoint: opts.apiEndpoint, workerCapacity: opts.workerCapacity,
      });
      const app = await startFlint(config);
      if (app.credentials.generated) {
        // Not the secret itself: a server's output often ends up in a log others read (journald,
        // CI, a terminal multiplexer's scrollback). `flint env` prints it to the user who asks.
        process.stdout.write(
          `flint: generated root credentials ${app.credentials.accessKeyId}; the secret is in ${config.dataDir}/credentials.json (mode 0600): \`flint env --data-dir ${config.dataDir}\` prints it\n`,
        );
      }
      if (config.role === 'all' || config.role === 'api') process.stdout.write(`flint: listening on ${app.endpoint} (region ${config.region}, account ${config.accountId}, data ${config.dataDir})\n`);
      else process.stdout.write(`flint: ${config.role} node ${app.cluster?.nodeId ?? ''} running (region ${config.region}, account ${config.accountId}, data ${config.dataDir})\n`);
      if (app.caBundle) process.stdout.write(`flint: TLS certificate verifies with AWS_CA_BUNDLE=${app.caBundle} (\`flint env\` prints it); SIGHUP reloads the certificate\n`);
      if (app.plainEndpoint) process.stdout.write(`flint: plain HTTP for development on ${app.plainEndpoint} (loopback only)\n`);
      let stopping = false;
      const stop = (signal: string, line = `flint: ${signal} received, stopping\n`) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(line);
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
      // `flint worker drain`: once the drain completed (src/cluster/worker-drain.ts), a clean exit (0).
      void app.cluster?.drained.then(() => stop('drain', `flint: worker ${app.cluster?.nodeId} drained, exiting\n`));
      // SIGHUP re-reads the certificate and key (a renewed certificate, a rotated key): new
      // handshakes use them, open connections keep theirs.
      process.on('SIGHUP', () => {
        app.reloadTls().then(
          (r) => process.stdout.write(r ? `flint: SIGHUP: TLS certificate reloaded (serial ${r.serial}, valid until ${r.notAfter.toISOString()})\n` : 'flint: SIGHUP: TLS is off, nothing to reload\n'),
          (err: unknown) => process.stderr.write(`flint: SIGHUP: TLS reload failed, the previous certificate stays in use: ${(err as Error).message}\n`),
        );
      });
    });
}
