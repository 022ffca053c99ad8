import { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { SAMPLE_SOURCES } from '../app/sample-events.js';
import { CliError } from './cli-error.js';

interface GenerateOptions {
  body?: string;
  name?: string;
  method?: string;
  detailType?: string;
  account?: string;
  region?: string;
}

/**
 * `flint generate-event <source>`: a sample event on stdout, in the exact format the source
 * delivers it to a function, to pipe into `flint invoke NAME -` (as `sam local generate-event`).
 */
export function generateEventCommand(): Command {
  const sources = Object.keys(SAMPLE_SOURCES);
  return new Command('generate-event')
    .description('print a sample event for a source Flint delivers from, to pipe into `flint invoke NAME -`')
    .argument('<source>', `one of: ${sources.join(', ')}`)
    .option('--body <text>', 'sqs: the message body; function-url: the request body; eventbridge: the detail (JSON)')
    .option('--name <name>', 'sqs: the queue; schedule: the rule; function-url: the path (with ?query); eventbridge: the source')
    .option('--method <method>', 'function-url: the HTTP method (default GET, POST with --body)')
    .option('--detail-type <type>', 'eventbridge: the detail-type')
    .option('--account <id>', "account id in ARNs (default FLINT_ACCOUNT_ID, else Flint's 000000000000)")
    .addHelpText('after', `
Sources:
${sources.map((s) => `  ${s.padEnd(14)}${SAMPLE_SOURCES[s]!.description}`).join('\n')}

Examples:
  flint generate-event sqs --body '{"orderId":42}' | flint invoke worker -
  flint generate-event schedule --name nightly > event.json && flint invoke report --payload file://event.json
  flint generate-event function-url --method POST --name '/orders?dry=1' --body '{"id":1}'
  flint generate-event eventbridge --name com.example.shop --detail-type 'Order Placed' --body '{"id":1}'`)
    .action((source: string, _o: GenerateOptions, self: Command) => {
      const opts = self.optsWithGlobals<GenerateOptions>();
      const sample = SAMPLE_SOURCES[source];
      if (!sample) throw new CliError(`no sample for '${source}': flint generate-event knows ${sources.join(', ')}`, 2);
      if (source === 'eventbridge' && opts.body !== undefined) {
        try {
          JSON.parse(opts.body);
        } catch {
          throw new CliError(`--body: an EventBridge event's detail is a JSON object, not '${opts.body}'`, 2);
        }
      }
      const config = loadConfig({});
      const event = sample.build(
        { region: opts.region ?? process.env['AWS_REGION'] ?? config.region, account: opts.account ?? config.accountId, nowMs: Date.now() },
        { body: opts.body, name: opts.name, kind: opts.method ?? opts.detailType },
      );
      process.stdout.write(JSON.stringify(event, null, 2) + '\n');
    });
}
