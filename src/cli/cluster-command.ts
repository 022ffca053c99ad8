import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import pg from 'pg';
import { loadMasterKeyring, loadRootCredentials } from '../app/secrets.js';
import { clusterFiles, createClusterCa } from '../cluster/cluster-ca.js';
import { readClusterStatus, type ClusterStatus } from '../cluster/cluster-status.js';
import { CliError } from './cli-error.js';
import { Output, type OutputFormat } from './output.js';

interface StatusOptions {
  databaseUrl?: string;
  output?: OutputFormat;
}

/**
 * `flint cluster init DIR`: the folder every node of a cluster shares (the cluster CA, root
 * credentials, master keyring — docs/cluster.md). `flint cluster status`: members, leader and
 * queue depths, read straight from PostgreSQL.
 */
export function clusterCommand(): Command {
  const cluster = new Command('cluster').description('cluster mode: create the shared cluster folder, show the cluster\'s state')
    .addHelpText('after', '\nExamples:\n  flint cluster init /etc/flint/cluster\n  FLINT_DATABASE_URL=postgres://flint@db/flint flint cluster status');
  cluster
    .command('init')
    .description('create a cluster folder: cluster CA, root credentials and master key (give it to every node as --cluster-dir)')
    .argument('<dir>', 'the folder to create (made 0700; its files 0600)')
    .addHelpText('after', '\nExamples:\n  flint cluster init /etc/flint/cluster\n  flint cluster init ./cluster -o json')
    .action(async (dir: string, _o: unknown, self: Command) => {
      const out = new Output(self.optsWithGlobals<{ output?: OutputFormat }>().output);
      const abs = resolve(dir);
      const files = clusterFiles(abs);
      const existing = [files.caCert, files.caKey, files.credentials, files.masterKeys].find((f) => existsSync(f));
      if (existing) throw new CliError(`${abs} is already a cluster folder (${existing.slice(abs.length + 1)} exists): a second CA and key would split the cluster; use it as it is, or choose an empty folder`);
      const ca = await createClusterCa(abs, Date.now());
      // The same files and formats a node reads from a data dir (src/app/secrets.ts), so each node
      // calls loadRootCredentials(clusterDir) and loadMasterKeyring(clusterDir) unchanged.
      const creds = loadRootCredentials(abs);
      const keyring = loadMasterKeyring(abs);
      if (out.json) {
        out.value({ clusterDir: abs, ca: { subject: ca.subject, notAfter: ca.notAfter.toISOString() }, accessKeyId: creds.accessKeyId, masterKeyId: keyring.currentKeyId, files: ['ca.pem', 'ca-key.pem', 'credentials.json', 'master-keys.json'] });
        return;
      }
      out.line(`Created cluster folder ${abs}`);
      out.line(`  ca.pem, ca-key.pem  cluster CA ${ca.subject} (valid until ${ca.notAfter.toISOString().slice(0, 10)})`);
      out.line(`  credentials.json    root access key ${creds.accessKeyId}`);
      out.line(`  master-keys.json    master key ${keyring.currentKeyId}`);
      out.line(`Start every node with --cluster-dir ${abs} (or FLINT_CLUSTER_DIR) and FLINT_DATABASE_URL. Keep the folder secret: it holds the CA key.`);
    });
  cluster
    .command('status')
    .description('members (roles, address, state, epoch, lease left), the leader and its term, async queue depths, event source mappings, SQS queue depths')
    .option('--database-url <url>', 'the cluster\'s PostgreSQL (default FLINT_DATABASE_URL)')
    .addHelpText('after', '\nExamples:\n  flint cluster status --database-url postgres://flint@db:5432/flint\n  flint cluster status -o json | jq \'.members[] | select(.state == "dead")\'')
    .action(async (_o: StatusOptions, self: Command) => {
      const opts = self.optsWithGlobals<StatusOptions>();
      const url = opts.databaseUrl ?? process.env['FLINT_DATABASE_URL'];
      if (!url) throw new CliError('no database: pass --database-url postgres://… or set FLINT_DATABASE_URL', 2);
      const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5000 });
      pool.on('error', () => undefined);
      let status: ClusterStatus;
      try {
        status = await readClusterStatus(pool);
      } catch (err) {
        throw new CliError(`cannot read the cluster's state from ${redact(url)}: ${(err as Error).message}`);
      } finally {
        await pool.end().catch(() => undefined);
      }
      printStatus(new Output(opts.output), status);
    });
  return cluster;
}

function printStatus(out: Output, s: ClusterStatus): void {
  if (out.json) {
    out.value(s);
    return;
  }
  if (s.members.length === 0) out.line('members: none (no node has registered in this database)');
  else {
    out.table(['MEMBER', 'ROLES', 'ADDRESS', 'STATE', 'EPOCH', 'CAPACITY', 'LEASE'], s.members.map((m) => [
      m.id, m.roles.join(','), m.address, m.state, String(m.epoch), String(m.capacity), m.leaseLeftMs > 0 ? `${seconds(m.leaseLeftMs)} left` : `expired ${seconds(-m.leaseLeftMs)} ago`,
    ]), new Set([4, 5]));
  }
  const l = s.leader;
  out.line(l ? `leader: ${l.holder} (term ${l.term}, ${l.leftMs > 0 ? `lease ${seconds(l.leftMs)} left` : `lease expired ${seconds(-l.leftMs)} ago`})` : 'leader: none');
  if (s.queues !== undefined) {
    if (s.queues.length === 0) out.line('async queue: empty');
    else {
      out.line('async queue:');
      out.table(['FUNCTION', 'QUEUED', 'LEASED'], s.queues.map((q) => [q.functionName, String(q.queued), String(q.leased)]), new Set([1, 2]));
    }
  }
  if (s.concurrency !== undefined && s.concurrency.length > 0) {
    out.line('concurrency in flight:');
    out.table(['FUNCTION', 'IN FLIGHT'], s.concurrency.map((c) => [c.functionName, String(c.inFlight)]), new Set([1]));
  }
  if (s.mappings !== undefined && s.mappings.length > 0) {
    out.line('event source mappings:');
    out.table(['UUID', 'POLLER', 'LEASE'], s.mappings.map((m) => [m.uuid, m.poller, m.leaseLeftMs > 0 ? `${seconds(m.leaseLeftMs)} left` : `expired ${seconds(-m.leaseLeftMs)} ago`]));
  }
  if (s.sqs !== undefined && s.sqs.length > 0) {
    out.line('sqs queues (served by the leader):');
    out.table(['QUEUE', 'VISIBLE', 'IN FLIGHT', 'DELAYED'], s.sqs.map((q) => [q.name, String(q.visible), String(q.inFlight), String(q.delayed)]), new Set([1, 2, 3]));
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** The URL without its password (it may be printed in an error). */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the database URL';
  }
}
