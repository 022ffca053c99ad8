import { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import type { FlintConfig } from '../app/config.js';
import { signedCall } from './history-command.js';
import { parseSince } from './usage-command.js';

interface LogsOptions {
  follow?: boolean;
  since?: string;
  filterPattern?: string;
  dataDir?: string;
  endpoint?: string;
}

interface FilteredEvent {
  logStreamName: string;
  timestamp: number;
  message: string;
  eventId: string;
}

/** How often `--follow` asks again (aws logs tail waits 5 s; a terminal wants less). */
const FOLLOW_POLL_MS = 1000;

/**
 * `flint logs <fn>`: a client of Flint's CloudWatch Logs API (FilterLogEvents on the function's
 * log group, signed with the root credentials), every stream merged in time order like
 * `aws logs tail`; `--follow` keeps asking from the last timestamp seen, skipping events already
 * printed by their eventId (as the AWS CLI does).
 */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print a function's logs (all log streams, in time order)")
    .argument('<name>', 'function name (its group /aws/lambda/<name>), or a log group name starting with /')
    .option('--follow', 'keep printing new events')
    .option('--since <when>', 'an ISO time or a duration back from now (30s, 10m, 2h, 7d); default: everything kept')
    .option('--filter-pattern <pattern>', 'CloudWatch filter pattern (terms, "phrases", ?alternatives, { $.level = "ERROR" })')
    .option('--data-dir <dir>', 'data directory holding the credentials (default ./.flint)')
    .option('--endpoint <url>', 'Flint endpoint (default from FLINT_ENDPOINT or the configured host:port)')
    .action(async (name: string, opts: LogsOptions) => {
      const config = loadConfig({ dataDir: opts.dataDir });
      const logGroupName = name.startsWith('/') ? name : `/aws/lambda/${name}`;
      // The number of minutes alone (the old `--since 10`) still works.
      const since = opts.since === undefined ? undefined : /^\d+$/.test(opts.since) ? Date.now() - Number(opts.since) * 60_000 : parseSince(opts.since, Date.now());
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      let startTime = since;
      let seen = new Set<string>();
      for (;;) {
        let nextToken: string | undefined;
        let latest = startTime;
        const seenNow = new Set<string>();
        do {
          const page = (await filter(config, opts.endpoint, { logGroupName, startTime, filterPattern: opts.filterPattern, nextToken }).catch((err: Error) => {
            // Following a function that has not logged yet: its group appears with its first line.
            if (opts.follow && err.message.startsWith('ResourceNotFoundException')) return { events: [] };
            throw err;
          })) as { events: FilteredEvent[]; nextToken?: string };
          for (const e of page.events) {
            if (latest === undefined || e.timestamp > latest) latest = e.timestamp;
            if (e.timestamp === latest) seenNow.add(e.eventId);
            if (seen.has(e.eventId)) continue;
            process.stdout.write(e.message.endsWith('\n') ? e.message : e.message + '\n');
          }
          nextToken = page.nextToken;
        } while (nextToken && !stop.signal.aborted);
        if (!opts.follow || stop.signal.aborted) return;
        // Next round from the newest timestamp seen (inclusive): events at that very millisecond already printed are skipped by id.
        if (latest !== startTime) seen = new Set();
        for (const id of seenNow) seen.add(id);
        startTime = latest;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, FOLLOW_POLL_MS);
          stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
        });
        if (stop.signal.aborted) return;
      }
    });
}

function filter(config: FlintConfig, endpoint: string | undefined, input: Record<string, unknown>): Promise<unknown> {
  const body = JSON.stringify(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
  return signedCall(config, endpoint, {
    method: 'POST',
    path: '/',
    service: 'logs',
    body,
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.FilterLogEvents' },
  });
}
