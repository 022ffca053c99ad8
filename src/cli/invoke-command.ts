import { Command } from 'commander';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { cliClient } from './cli-client.js';
import { parseInspectPort, withInspector } from './dev/inspect-session.js';

export function invokeCommand(): Command {
  return new Command('invoke')
    .description('invoke a function and print its result and the tail of its log')
    .argument('<name>', 'function name or ARN')
    .argument('[payload]', 'JSON payload', '{}')
    .option('--qualifier <q>', 'version or alias')
    .option('--event', 'invoke asynchronously (InvocationType Event)')
    .option('--data-dir <dir>', 'data directory holding the credentials (default ./.flint)')
    .option('--endpoint <url>', 'Flint endpoint')
    .option('--inspect [port]', 'debug this invocation: the runtime waits for a debugger on 127.0.0.1:port (default 9229; 0: any free port)', parseInspectPort)
    .action(async (name: string, payload: string, opts: { qualifier?: string; event?: boolean; dataDir?: string; endpoint?: string; inspect?: number | true }) => {
      const { client } = cliClient(opts);
      const send = (c: InvokeCommand) => (opts.inspect === undefined ? client.send(c) : withInspector(client, name, opts.inspect === true ? 9229 : opts.inspect, () => client.send(c)));
      const out = await send(
        new InvokeCommand({
          FunctionName: name,
          Payload: Buffer.from(payload),
          ...(opts.qualifier ? { Qualifier: opts.qualifier } : {}),
          InvocationType: opts.event ? 'Event' : 'RequestResponse',
          ...(opts.event ? {} : { LogType: 'Tail' }),
        }),
      );
      client.destroy();
      if (opts.event) {
        process.stdout.write(`queued (status ${out.StatusCode})\n`);
        return;
      }
      if (out.LogResult) process.stderr.write(Buffer.from(out.LogResult, 'base64').toString('utf8'));
      process.stdout.write(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8') + '\n');
      if (out.FunctionError) {
        process.stderr.write(`function error: ${out.FunctionError} (version ${out.ExecutedVersion})\n`);
        process.exitCode = 1;
      }
    });
}
