import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { cliClient, type TargetOptions } from './cli-client.js';
import { CliError } from './cli-error.js';
import { Output, type OutputFormat } from './output.js';
import { parseInspectPort, withInspector } from './dev/inspect-session.js';

type InvokeOptions = TargetOptions & { payload?: string; qualifier?: string; event?: boolean; output?: OutputFormat; inspect?: number | true };

/**
 * `flint invoke NAME`: the function's answer on stdout (so it pipes), its log tail and a summary
 * line — request id, status, duration from the REPORT line — on stderr; exit 1 on a function error.
 */
export function invokeCommand(): Command {
  return new Command('invoke')
    .description('invoke a function: its result on stdout, its log tail and the request id, status and duration on stderr')
    .argument('<name>', 'function name or ARN')
    .argument('[payload]', 'JSON payload (same as --payload)')
    .option('--payload <json>', "JSON payload: inline, file://event.json, or - for stdin (default {})")
    .option('--qualifier <q>', 'version or alias')
    .option('--event', 'invoke asynchronously (InvocationType Event)')
    .option('--inspect [port]', 'debug this invocation: the runtime waits for a debugger on 127.0.0.1:port (default 9229; 0: any free port)', parseInspectPort)
    .option('--data-dir <dir>', 'data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)')
    .addHelpText('after', `
Examples:
  flint invoke hello --payload '{"name":"Ada"}'
  flint invoke hello --payload file://event.json
  flint generate-event sqs | flint invoke worker -
  flint invoke hello --qualifier live --output json
  flint invoke hello --inspect                  # attach Chrome DevTools or VS Code to 127.0.0.1:9229`)
    .action(async (name: string, positional: string | undefined, _o: InvokeOptions, self: Command) => {
      const opts = self.optsWithGlobals<InvokeOptions>();
      const out = new Output(opts.output);
      const payload = readPayload(opts.payload ?? positional ?? '{}');
      const { client } = cliClient(opts);
      const send = (c: InvokeCommand) => (opts.inspect === undefined ? client.send(c) : withInspector(client, name, opts.inspect === true ? 9229 : opts.inspect, () => client.send(c)));
      const answer = await send(
          new InvokeCommand({
            FunctionName: name,
            Payload: Buffer.from(payload),
            ...(opts.qualifier ? { Qualifier: opts.qualifier } : {}),
            InvocationType: opts.event ? 'Event' : 'RequestResponse',
            ...(opts.event ? {} : { LogType: 'Tail' }),
          }),
        ).finally(() => client.destroy());
      const requestId = answer.$metadata.requestId ?? '-';
      const log = answer.LogResult ? Buffer.from(answer.LogResult, 'base64').toString('utf8') : '';
      const duration = /\tDuration: ([\d.]+) ms/.exec(log)?.[1];
      const result = Buffer.from(answer.Payload ?? new Uint8Array()).toString('utf8');
      if (out.json) {
        let parsed: unknown = result;
        try {
          parsed = result ? JSON.parse(result) : null;
        } catch {
          // Not JSON (a streamed or raw answer): kept as text.
        }
        out.value({ RequestId: requestId, StatusCode: answer.StatusCode, ExecutedVersion: answer.ExecutedVersion, ...(answer.FunctionError ? { FunctionError: answer.FunctionError } : {}), ...(duration ? { DurationMs: Number(duration) } : {}), Payload: parsed, ...(log ? { Log: log } : {}) });
      } else if (opts.event) {
        process.stderr.write(`request ${requestId} queued (status ${answer.StatusCode})\n`);
      } else {
        if (log) process.stderr.write(log.endsWith('\n') ? log : log + '\n');
        out.line(result);
        const status = answer.FunctionError ? `status ${answer.StatusCode}, function error ${answer.FunctionError}` : `status ${answer.StatusCode}`;
        process.stderr.write(`request ${requestId}: ${status}${duration ? `, duration ${duration} ms` : ''}, version ${answer.ExecutedVersion}\n`);
      }
      if (answer.FunctionError) process.exitCode = 1;
    });
}

/** `{…}`, `file://path` (as the AWS CLI reads blobs) or `-` (stdin); checked to be JSON, as Lambda requires. */
function readPayload(spec: string): string {
  let text = spec;
  if (spec === '-') text = readFileSync(0, 'utf8');
  else if (spec.startsWith('file://')) {
    const file = spec.slice('file://'.length);
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read the payload file ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, 2);
    }
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new CliError(`the payload is not JSON (${(err as Error).message}); Lambda takes a JSON event: --payload '{"key":"value"}' or file://event.json`, 2);
  }
  return text;
}
