import { Command } from 'commander';
import { resolveTarget, type TargetOptions } from './cli-client.js';
import { Output, type OutputFormat } from './output.js';
import { signedCall } from './history-command.js';

type UsageOptions = TargetOptions & { since?: string; function?: string; output?: OutputFormat };

export interface UsageRow {
  functionName: string;
  architecture: string;
  requests: number;
  gbSeconds: number;
  costUsd: number;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO 8601 time, or a duration back from `now` (`90s`, `15m`, `24h`, `7d`). */
export function parseSince(text: string, now: number): number {
  const d = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim());
  if (d) return now - Number(d[1]) * UNITS[d[2]!]!;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new Error(`--since: expected an ISO time or a duration like 24h, not '${text}'`);
  return t;
}

/**
 * `flint usage`: requests, GB-seconds and cost per function from the server's durable usage
 * record (root-signed `GET /flint/usage`), priced by its table (FLINT_PRICE_TABLE on the server).
 */
export function usageCommand(): Command {
  return new Command('usage')
    .description('requests, billed GB-seconds and cost per function')
    .option('--since <when>', 'an ISO time or a duration back from now (24h, 30m, 7d); default: all recorded usage')
    .option('--function <name>', 'one function only')
    .option('--data-dir <dir>', 'data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)')
    .addHelpText('after', '\nExamples:\n  flint usage --since 24h\n  flint usage --function hello --output json')
    .action(async (_o: UsageOptions, self: Command) => {
      const opts = self.optsWithGlobals<UsageOptions>();
      const target = resolveTarget(opts);
      const params = new URLSearchParams();
      if (opts.since !== undefined) params.set('since', String(parseSince(opts.since, Date.now())));
      if (opts.function !== undefined) params.set('function', opts.function);
      const q = params.toString();
      const answer = (await signedCall(target, { method: 'GET', path: `/flint/usage${q ? `?${q}` : ''}`, service: 'flint' })) as { functions: UsageRow[] };
      const out = new Output(opts.output);
      if (out.json) out.value(answer);
      else process.stdout.write(renderUsage(answer.functions));
    });
}

export function renderUsage(rows: UsageRow[]): string {
  const total = rows.reduce((t, r) => ({ requests: t.requests + r.requests, gbSeconds: t.gbSeconds + r.gbSeconds, costUsd: t.costUsd + r.costUsd }), { requests: 0, gbSeconds: 0, costUsd: 0 });
  const table = [
    ['FUNCTION', 'ARCH', 'REQUESTS', 'GB-SECONDS', 'COST (USD)'],
    ...rows.map((r) => [r.functionName, r.architecture, String(r.requests), r.gbSeconds.toFixed(6), r.costUsd.toFixed(8)]),
    ['TOTAL', '', String(total.requests), total.gbSeconds.toFixed(6), total.costUsd.toFixed(8)],
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  return table.map((row) => row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()).join('\n') + '\n';
}
