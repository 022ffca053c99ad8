import { Command, InvalidArgumentError } from 'commander';
import { resolve } from 'node:path';
import { LocalCluster } from '../cluster/local/local-cluster.js';
import { NetnsHosts, netnsSkipReason } from '../cluster/local/netns-hosts.js';
import { postgresSkipReason } from '../cluster/local/postgres-server.js';
import { CliError } from './cli-error.js';

/** The host prefix of the one local cluster per machine (`flint cluster down` removes it). */
const PREFIX = 'flc';

function count(min: number, max = 20): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
    return Number(v);
  };
}

/** How this very CLI was started (node, its flags such as tsx's --import, the script), to start nodes the same way. */
function selfArgv(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1]!];
}

/**
 * `flint cluster up`: a whole cluster on this machine for trying cluster mode (docs/cluster.md):
 * PostgreSQL and each node in a network namespace of its own on a private bridge, the cluster
 * folder made by `flint cluster init`, nodes started with their roles. Stays in the foreground;
 * Ctrl-C stops everything and removes the namespaces.
 */
export function clusterUpCommand(): Command {
  return new Command('up')
    .description('run a local cluster: PostgreSQL and Flint nodes as processes in network namespaces (root; Ctrl-C stops it)')
    .option('--workers <n>', 'worker nodes', count(1), 3)
    .option('--api <n>', 'api nodes', count(1), 1)
    .option('--pollers <n>', 'poller nodes', count(0), 1)
    .option('--dir <dir>', 'folder for the cluster folder, node data and logs', '.flint-cluster')
    .option('--worker-capacity <n>', 'concurrent execution environments per worker', count(1, 10_000))
    .action(async (opts: { workers: number; api: number; pollers: number; dir: string; workerCapacity?: number }) => {
      const reason = netnsSkipReason() ?? postgresSkipReason;
      if (reason) throw new CliError(`flint cluster up cannot run here: ${reason}`);
      const owner = NetnsHosts.ownerOf(PREFIX);
      if (owner !== undefined && owner !== process.pid) {
        try {
          process.kill(owner, 0);
          throw new CliError(`a local cluster is running already (pid ${owner}): stop it with Ctrl-C there, or \`flint cluster down\``);
        } catch (err) {
          if (err instanceof CliError) throw err;
        }
      }
      const dir = resolve(opts.dir);
      process.stdout.write(`flint: starting PostgreSQL, ${opts.api} api, ${opts.workers} worker and ${opts.pollers} poller node(s) in network namespaces (logs in ${dir}/logs)\n`);
      const cluster = await LocalCluster.start({
        prefix: PREFIX, apis: opts.api, workers: opts.workers, pollers: opts.pollers, flint: selfArgv(), dir,
        env: opts.workerCapacity ? { FLINT_WORKER_CAPACITY: String(opts.workerCapacity) } : {},
      });
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`\nflint: ${signal}: stopping the cluster\n`);
        cluster.stop().then(() => process.exit(0), (err) => { process.stderr.write(`flint: stop failed: ${String(err)}; \`flint cluster down\` removes what is left\n`); process.exit(1); });
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      for (const n of cluster.nodes) {
        n.child?.once('exit', (code, sig) => { if (!stopping) process.stderr.write(`flint: node ${n.name} (${n.role}) exited (${code ?? sig}); see ${n.logFile}\n`); });
      }
      const api = cluster.nodes.find((n) => n.role === 'api')!;
      const lines = [
        `flint: cluster up; PostgreSQL ${cluster.databaseUrl}`,
        ...cluster.nodes.map((n) => `  ${n.name.padEnd(6)} ${n.role.padEnd(7)} ${n.endpoint}`),
        'Point the AWS CLI and SDKs at an api node:',
        `  eval "$(flint env --data-dir ${cluster.clusterDir} --host ${api.ip} --port ${new URL(api.endpoint).port})"`,
        `  aws --endpoint-url ${api.endpoint} lambda list-functions`,
        `Operate it: FLINT_DATABASE_URL=${cluster.databaseUrl} flint cluster status | flint worker drain --node ID`,
        'Ctrl-C stops the cluster and removes its network namespaces.',
      ];
      process.stdout.write(lines.join('\n') + '\n');
      await new Promise(() => undefined);
    })
    .addHelpText('after', `
Examples:
  flint cluster up                               # 1 api, 3 workers, 1 poller; Ctrl-C stops it
  flint cluster up --workers 5 --api 2 --dir /tmp/flint-cluster`);
}

/** `flint cluster down`: removes what a local cluster left (a crash, a kill -9 of `cluster up`). */
export function clusterDownCommand(): Command {
  return new Command('down')
    .description('remove the local cluster\'s network namespaces, bridge and processes (after a crash of `flint cluster up`)')
    .action(() => {
      const reason = netnsSkipReason();
      if (reason) throw new CliError(`flint cluster down cannot run here: ${reason}`);
      const owner = NetnsHosts.ownerOf(PREFIX);
      if (owner !== undefined) {
        // A running `flint cluster up` stops its nodes and PostgreSQL cleanly on SIGTERM; give it time.
        try { process.kill(owner, 'SIGTERM'); } catch { /* gone */ }
        for (let i = 0; i < 100 && NetnsHosts.ownerOf(PREFIX) !== undefined; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
      const removed = NetnsHosts.cleanupLeftovers(PREFIX, { includeLive: true });
      process.stdout.write(removed.length > 0 ? `flint: removed ${removed.join(', ')}\n` : 'flint: no local cluster to remove\n');
    })
    .addHelpText('after', `
Examples:
  flint cluster down`);
}

/**
 * Adds `up` and `down` to the program's `cluster` command (made here when `flint cluster
 * init/status` are not in the program).
 */
export function addLocalClusterCommands(program: Command): void {
  let cluster = program.commands.find((c) => c.name() === 'cluster');
  if (!cluster) {
    cluster = new Command('cluster').description('cluster mode: create, run and inspect a Flint cluster')
      .addHelpText('after', '\nExamples:\n  flint cluster up --workers 3\n  flint cluster down');
    program.addCommand(cluster);
  }
  cluster.addCommand(clusterUpCommand());
  cluster.addCommand(clusterDownCommand());
}
