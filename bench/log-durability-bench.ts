/**
 * Function logs across a kill -9 of the server: a `flint server` child runs a function that writes
 * two lines tagged with its request id; invocations run 8 at a time until N (default 3,000) are
 * acknowledged, then the server is SIGKILLed at once. Counts the acknowledged invocations whose
 * lines are missing from the stored log files (both the old `<data>/logs` layout and `<data>/log-groups`).
 *
 *   node --import tsx bench/log-durability-bench.ts [--invocations=3000] [--concurrency=8]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { makeZip } from '../test/helpers/zip.js';

const arg = (name: string, dflt: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const TOTAL = arg('invocations', 3000);
const CONCURRENCY = arg('concurrency', 8);
const credentials = { accessKeyId: 'AKIDLOGBENCH00000000', secretAccessKey: 'log-bench-secret-key-0000000000000000000' };

const dataDir = mkdtempSync(join(tmpdir(), 'flint-logkill-'));
const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
  env: { ...process.env, FLINT_ACCESS_KEY_ID: credentials.accessKeyId, FLINT_SECRET_ACCESS_KEY: credentials.secretAccessKey, FLINT_SANDBOX: 'process', FLINT_QUIET: '1', FLINT_AUTH: 'off' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
let endpoint: string | undefined;
for (let i = 0; i < 600 && !endpoint; i++) {
  endpoint = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  await sleep(50);
}
if (!endpoint) throw new Error(`server did not start:\n${out}`);
const lambda = new LambdaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
const zip = await makeZip({ 'index.js': "exports.handler = async (e, ctx) => { console.log('one ' + ctx.awsRequestId); console.log('two ' + ctx.awsRequestId); return 1; };" });
await lambda.send(new CreateFunctionCommand({ FunctionName: 'tagged', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/lambda-role', Handler: 'index.handler', Code: { ZipFile: zip } }));
while ((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'tagged' }))).State !== 'Active') await sleep(50);

const acked: string[] = [];
let killed = false;
const worker = async () => {
  while (!killed) {
    try {
      const r = await lambda.send(new InvokeCommand({ FunctionName: 'tagged', Payload: Buffer.from('{}') }));
      if (killed) return;
      acked.push(r.$metadata.requestId!);
      if (acked.length >= TOTAL) {
        killed = true;
        proc.kill('SIGKILL');
      }
    } catch {
      return;
    }
  }
};
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
await new Promise((r) => (proc.exitCode !== null || proc.signalCode !== null ? r(undefined) : proc.once('exit', r)));

const text: string[] = [];
const walk = (dir: string) => {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) walk(p);
    else text.push(readFileSync(p, 'utf8'));
  }
};
walk(join(dataDir, 'logs'));
walk(join(dataDir, 'log-groups'));
const all = text.join('\n');
const lost = acked.filter((id) => !all.includes(`two ${id}`) || !all.includes(`REPORT RequestId: ${id}`));
process.stdout.write(JSON.stringify({ acknowledged: acked.length, lostLines: lost.length, concurrency: CONCURRENCY }) + '\n');
lambda.destroy();
rmSync(dataDir, { recursive: true, force: true });
