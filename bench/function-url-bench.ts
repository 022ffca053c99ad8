/**
 * Warm throughput of a function URL beside warm Invoke, through the real server: the same Node.js
 * echo function, `concurrency` requests in flight, rounds interleaved (URL, Invoke, URL, …) so
 * machine noise hits both alike. Invoke is a SigV4-signed POST /2015-03-31/functions/…/invocations
 * (as an SDK sends it), the URL an unsigned GET to a NONE URL by its path form, both over fetch's
 * keep-alive pool. Reports requests/s per round, the medians and URL/Invoke as a ratio.
 *
 *   node --import tsx bench/function-url-bench.ts [perRound=400] [rounds=5] [concurrency=4]
 */
import './lib/quiet-warnings.js';
import { AddPermissionCommand, CreateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { startHarness } from '../test/helpers/flint-harness.js';
import { createFunction } from '../test/helpers/functions.js';
import { signedFetch } from '../test/helpers/signed-fetch.js';

const perRound = Number(process.argv[2] ?? 400);
const rounds = Number(process.argv[3] ?? 5);
const concurrency = Number(process.argv[4] ?? 4);
const h = await startHarness();
await createFunction(h.client, 'bench-url');
const created = await h.client.send(new CreateFunctionUrlConfigCommand({ FunctionName: 'bench-url', AuthType: 'NONE' }));
await h.client.send(new AddPermissionCommand({ FunctionName: 'bench-url', StatementId: 'url', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' }));
const urlId = new URL(created.FunctionUrl!).hostname.split('.')[0]!;

const viaUrl = async () => {
  const r = await fetch(`${h.endpoint}/lambda-url/${urlId}/`);
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`URL answered ${r.status}`);
};
const viaInvoke = async () => {
  const r = await signedFetch(h.endpoint, 'POST', '/2015-03-31/functions/bench-url/invocations', { body: '{}' });
  if (r.status !== 200) throw new Error(`Invoke answered ${r.status}`);
};
/** Requests per second for `perRound` calls, `concurrency` at a time. */
async function round(call: () => Promise<void>): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next++ < perRound) await call();
  }));
  return perRound / ((performance.now() - t) / 1000);
}
// Warm-up: environments for `concurrency` callers exist before anything is measured.
await round(viaUrl);
await round(viaInvoke);
const url: number[] = [];
const invoke: number[] = [];
for (let i = 0; i < rounds; i++) {
  url.push(await round(viaUrl));
  invoke.push(await round(viaInvoke));
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log(`function URL  req/s per round: ${url.map((v) => v.toFixed(0)).join(' ')}  median ${median(url).toFixed(0)}`);
console.log(`Invoke        req/s per round: ${invoke.map((v) => v.toFixed(0)).join(' ')}  median ${median(invoke).toFixed(0)}`);
console.log(`ratio URL/Invoke (median req/s): ${(median(url) / median(invoke)).toFixed(2)}  (concurrency ${concurrency}, ${perRound} per round, ${rounds} rounds)`);
await h.stop();
