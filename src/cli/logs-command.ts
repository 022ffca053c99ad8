import { Command } from 'commander';
import { FilterLogEventsCommand, ResourceNotFoundException as LogGroupNotFound, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clientSettings, logsClient, type TargetOptions } from './cli-client.js';
import { CliError } from './cli-error.js';
import { Output, type OutputFormat } from './output.js';
import { parseSince } from './usage-command.js';

type LogsOptions = TargetOptions & { follow?: boolean; since?: string; filter?: string; filterPattern?: string; output?: OutputFormat };

/** How often `--follow` asks again (aws logs tail waits 5 s; a terminal wants less). */
const FOLLOW_POLL_MS = 1000;

/**
 * `flint logs <fn>`: a client of the CloudWatch Logs API (FilterLogEvents on /aws/lambda/<fn>,
 * every stream merged in time order like `aws logs tail`), so it works against a remote Flint.
 * A function that does not exist is an error; one that has not logged yet prints nothing (exit 0)
 * with a note on stderr. `--follow` keeps asking from the newest timestamp seen, skipping events
 * already printed by eventId (as the AWS CLI does).
 */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print a function's logs (all log streams, in time order), through the CloudWatch Logs API")
    .argument('<name>', 'function name (its group /aws/lambda/<name>), or a log group name starting with /')
    .option('--follow', 'keep printing new events (Ctrl-C stops)')
    .option('--since <when>', 'an ISO time or a duration back from now (30s, 10m, 2h, 7d); default: everything kept')
    .option('--filter <pattern>', 'CloudWatch filter pattern: terms, "phrases", ?alternatives, { $.level = "ERROR" }')
    .option('--filter-pattern <pattern>', 'same as --filter (the AWS CLI\'s name)')
    .option('--data-dir <dir>', 'data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)')
    .addHelpText('after', `
Examples:
  flint logs hello --since 10m
  flint logs hello --follow --filter ERROR
  flint logs hello --filter '{ $.level = "ERROR" }' --output json
  flint logs hello --endpoint https://flint.example.com:9000 --profile flint`)
    .action(async (name: string, _o: LogsOptions, self: Command) => {
      const opts = self.optsWithGlobals<LogsOptions>();
      const out = new Output(opts.output);
      const filterPattern = opts.filter ?? opts.filterPattern;
      // The number of minutes alone (the old `--since 10`) still works.
      const since = opts.since === undefined ? undefined : /^\d+$/.test(opts.since) ? Date.now() - Number(opts.since) * 60_000 : parseSinceOrFail(opts.since);
      const { client, target } = logsClient(opts);
      const logGroupName = name.startsWith('/') ? name : `/aws/lambda/${name}`;
      if (!name.startsWith('/')) {
        const lambda = new LambdaClient(clientSettings(target));
        await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name })).finally(() => lambda.destroy());
      }
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      let startTime = since;
      let seen = new Set<string>();
      let printed = 0;
      try {
        for (;;) {
          let nextToken: string | undefined;
          let latest = startTime;
          const seenNow = new Set<string>();
          do {
            const page = await client
              .send(new FilterLogEventsCommand({ logGroupName, ...(startTime !== undefined ? { startTime } : {}), ...(filterPattern ? { filterPattern } : {}), ...(nextToken ? { nextToken } : {}) }))
              .catch((err: unknown) => {
                // The group appears with the function's first log line.
                if (err instanceof LogGroupNotFound && !name.startsWith('/')) return { events: [] as FilteredLogEvent[], nextToken: undefined };
                throw err;
              });
            for (const e of page.events ?? []) {
              if (latest === undefined || e.timestamp! > latest) latest = e.timestamp!;
              if (e.timestamp === latest) seenNow.add(e.eventId!);
              if (seen.has(e.eventId!)) continue;
              printed++;
              if (out.json) process.stdout.write(JSON.stringify({ timestamp: new Date(e.timestamp!).toISOString(), logStreamName: e.logStreamName, message: e.message!.replace(/\n$/, '') }) + '\n');
              else {
                const text = e.message!.replace(/\n$/, '');
                out.line(/\bERROR\b|Task timed out/.test(text) ? out.style('red', text) : text);
              }
            }
            nextToken = page.nextToken;
          } while (nextToken && !stop.signal.aborted);
          if (!opts.follow || stop.signal.aborted) break;
          // Next round from the newest timestamp seen (inclusive): events at that very millisecond already printed are skipped by id.
          if (latest !== startTime) seen = new Set();
          for (const id of seenNow) seen.add(id);
          startTime = latest;
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, FOLLOW_POLL_MS);
            stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
          });
          if (stop.signal.aborted) break;
        }
      } finally {
        client.destroy();
      }
      if (printed === 0 && !opts.follow && !out.json) process.stderr.write(`no log events for ${name}${since !== undefined ? ` since ${new Date(since).toISOString()}` : ''}${filterPattern ? ` matching ${filterPattern}` : ''}\n`);
    });
}

function parseSinceOrFail(text: string): number {
  try {
    return parseSince(text, Date.now());
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
}
