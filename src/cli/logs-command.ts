import { Command } from 'commander';
import { join } from 'node:path';
import { loadConfig } from '../app/config.js';
import { LogStore, type LogEvent } from '../observe/log-store.js';

/**
 * Prints a function's logs from the data dir, every stream merged in time order (like
 * `aws logs tail /aws/lambda/<name>`); `--follow` keeps printing new events, including streams of
 * environments started later.
 */
export function logsCommand(): Command {
  return new Command('logs')
    .description("print a function's logs (all log streams, in time order)")
    .argument('<name>', 'function name')
    .option('--follow', 'keep printing new events')
    .option('--since <minutes>', 'only events from the last N minutes', (v) => Number(v))
    .option('--data-dir <dir>', 'data directory (default ./.flint)')
    .action(async (name: string, opts: { follow?: boolean; since?: number; dataDir?: string }) => {
      const config = loadConfig({ dataDir: opts.dataDir });
      const logs = new LogStore(join(config.dataDir, 'logs'));
      const since = opts.since !== undefined ? Date.now() - opts.since * 60_000 : 0;
      const offsets = new Map<string, number>();
      const print = (events: LogEvent[]) => {
        for (const e of events.sort((a, b) => a.timestamp - b.timestamp)) {
          if (e.timestamp < since) continue;
          process.stdout.write(e.message.endsWith('\n') ? e.message : e.message + '\n');
        }
      };
      const poll = async () => {
        const batch: LogEvent[] = [];
        for (const stream of await logs.listStreams(name)) {
          const { events, nextOffset } = await logs.read(name, stream.name, offsets.get(stream.name) ?? 0);
          offsets.set(stream.name, nextOffset);
          batch.push(...events);
        }
        print(batch);
      };
      await poll();
      if (!opts.follow) return;
      const stop = new AbortController();
      process.on('SIGINT', () => stop.abort());
      while (!stop.signal.aborted) {
        await new Promise((r) => setTimeout(r, 300));
        await poll();
      }
    });
}
