import { Command } from 'commander';
import { DeleteFunctionCommand, GetFunctionCommand, paginateListFunctions, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { cliClient, type TargetOptions } from './cli-client.js';
import { Output, type OutputFormat } from './output.js';

type Opts = TargetOptions & { output?: OutputFormat };

/** `flint functions list|get|delete`: ListFunctions, GetFunction, DeleteFunction, printed for people or as JSON. */
export function functionsCommand(): Command {
  const fns = new Command('functions').description('list, show and delete functions').addHelpText('after', `
Examples:
  flint functions list
  flint functions get hello
  flint functions delete hello
  flint functions list --output json | jq -r '.Functions[].FunctionName'`);
  const dataDir = (c: Command) => c.option('--data-dir <dir>', 'data directory whose credentials to use (default FLINT_DATA_DIR, else ./.flint)');

  dataDir(fns.command('list').description('every function: name, runtime, memory, timeout, last modified'))
    .addHelpText('after', '\nExamples:\n  flint functions list\n  flint functions list --output json')
    .action(async (_o: Opts, self: Command) => {
      const opts = self.optsWithGlobals<Opts>();
      const out = new Output(opts.output);
      const { client } = cliClient(opts);
      const all: FunctionConfiguration[] = [];
      for await (const page of paginateListFunctions({ client }, {})) all.push(...(page.Functions ?? []));
      client.destroy();
      all.sort((a, b) => (a.FunctionName! < b.FunctionName! ? -1 : 1));
      if (out.json) return out.value({ Functions: all });
      if (all.length === 0) return out.line('no functions yet: `flint deploy ./folder` creates one');
      out.table(
        ['NAME', 'RUNTIME', 'HANDLER', 'MEMORY', 'TIMEOUT', 'LAST MODIFIED'],
        all.map((f) => [f.FunctionName!, f.Runtime ?? '-', f.Handler ?? '-', `${f.MemorySize} MB`, `${f.Timeout} s`, f.LastModified ?? '-']),
        new Set([3, 4]),
      );
    });

  dataDir(fns.command('get').description("a function's configuration").argument('<name>', 'function name or ARN'))
    .addHelpText('after', '\nExamples:\n  flint functions get hello\n  flint functions get hello --output json')
    .action(async (name: string, _o: Opts, self: Command) => {
      const opts = self.optsWithGlobals<Opts>();
      const out = new Output(opts.output);
      const { client } = cliClient(opts);
      const fn = await client.send(new GetFunctionCommand({ FunctionName: name })).finally(() => client.destroy());
      const { $metadata: _m, ...answer } = fn;
      if (out.json) return out.value(answer);
      const c = fn.Configuration!;
      out.fields([
        ['Name', c.FunctionName],
        ['ARN', c.FunctionArn],
        ['Runtime', c.Runtime],
        ['Handler', c.Handler],
        ['Memory', `${c.MemorySize} MB`],
        ['Timeout', `${c.Timeout} s`],
        ['Role', c.Role],
        ['State', c.State],
        ['Code', `${c.CodeSize} bytes, CodeSha256 ${c.CodeSha256}`],
        ['Layers', c.Layers?.map((l) => l.Arn).join(', ')],
        ['Environment', Object.keys(c.Environment?.Variables ?? {}).sort().join(', ')],
        ['Last modified', c.LastModified],
      ]);
    });

  dataDir(fns.command('delete').description('delete a function (all its versions and aliases)').argument('<name>', 'function name or ARN'))
    .addHelpText('after', '\nExamples:\n  flint functions delete hello')
    .action(async (name: string, _o: Opts, self: Command) => {
      const opts = self.optsWithGlobals<Opts>();
      const out = new Output(opts.output);
      const { client } = cliClient(opts);
      await client.send(new DeleteFunctionCommand({ FunctionName: name })).finally(() => client.destroy());
      if (out.json) return out.value({ Deleted: name });
      out.line(`deleted ${name}`);
    });
  return fns;
}
