import { Command } from 'commander';
import { requestDrain } from '../cluster/drain-request.js';
import { CliError } from './cli-error.js';

const REASONS = {
  'unknown-node': 'is not a member of this cluster (`flint cluster status` lists the members)',
  'not-a-worker': 'is not a worker (only workers run execution environments to drain)',
  dead: 'has no live lease: it is stopped already',
} as const;

/** `flint worker drain --node ID`: cluster-mode operations on workers. */
export function workerCommand(): Command {
  const worker = new Command('worker').description('cluster mode: operate on worker nodes');
  worker
    .command('drain')
    .description('ask a worker to drain: no new work, in-flight invocations finish, provisioned environments move, then it stops')
    .requiredOption('--node <id>', 'the worker\'s member id (`flint cluster status` lists them)')
    .option('--database-url <url>', 'the cluster\'s PostgreSQL (default FLINT_DATABASE_URL)')
    .action(async (opts: { node: string; databaseUrl?: string }) => {
      const url = opts.databaseUrl ?? process.env['FLINT_DATABASE_URL'];
      if (!url) throw new CliError('the cluster\'s database is needed: --database-url postgres://… or FLINT_DATABASE_URL');
      if (!/^postgres(ql)?:\/\//.test(url)) throw new CliError('--database-url must be a postgres:// URL');
      const outcome = await requestDrain(url, opts.node);
      if (!outcome.ok) throw new CliError(`worker ${opts.node} ${REASONS[outcome.reason]}`);
      process.stdout.write(outcome.previous === 'draining' ? `flint: worker ${opts.node} is already draining\n` : `flint: worker ${opts.node} is draining\n`);
    })
    .addHelpText('after', `
Examples:
  FLINT_DATABASE_URL=postgres://flint@db:5432/flint flint worker drain --node w-3f2a
  flint worker drain --node w-3f2a --database-url postgres://flint@db:5432/flint`);
  worker.addHelpText('after', '\nExamples:\n  flint worker drain --node w-3f2a');
  return worker;
}
