/**
 * What tracing costs a warm Invoke, client-observed through the real server and SDK v3: rounds
 * of untraced invokes (no header, PassThrough), invokes with `Sampled=1` (segments stored in
 * traces.db and exported over OTLP/HTTP to a local sink) and with `Sampled=0` (header parsed and
 * passed on, nothing recorded), interleaved so machine noise hits all three alike. Reports p50,
 * p90 and mean, and the traced/untraced ratios.
 *
 *   node --import tsx bench/tracing-overhead-bench.ts [perRound=100] [rounds=6]
 */
import './lib/quiet-warnings.js';
import { createServer } from 'node:http';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness } from '../test/helpers/flint-harness.js';
import { createFunction } from '../test/helpers/functions.js';

const perRound = Number(process.argv[2] ?? 100);
const rounds = Number(process.argv[3] ?? 6);
const sink = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('{}')));
await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
const h = await startHarness({ otlpEndpoint: `http://127.0.0.1:${(sink.address() as { port: number }).port}` });
await createFunction(h.client, 'bench-trace');
const one = async (header?: string) => {
  const cmd = new InvokeCommand({ FunctionName: 'bench-trace', Payload: Buffer.from('{}') });
  if (header) cmd.middlewareStack.add((next) => async (a: any) => { a.request.headers['X-Amzn-Trace-Id'] = header; return next(a); }, { step: 'build' });
  const t = performance.now();
  await h.client.send(cmd);
  return performance.now() - t;
};
const root = (n: number) => `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${n.toString(16).padStart(24, '0')}`;
for (let i = 0; i < perRound; i++) await one();
const res: Record<'untraced' | 'sampled' | 'unsampled', number[]> = { untraced: [], sampled: [], unsampled: [] };
let n = 0;
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < perRound; i++) res.untraced.push(await one());
  for (let i = 0; i < perRound; i++) res.sampled.push(await one(`${root(++n)};Sampled=1`));
  for (let i = 0; i < perRound; i++) res.unsampled.push(await one(`${root(++n)};Sampled=0`));
}
const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)]!;
const stat = (a: number[]) => ({ p50: q(a, 0.5), p90: q(a, 0.9), mean: a.reduce((x, y) => x + y, 0) / a.length });
const s = { untraced: stat(res.untraced), sampled: stat(res.sampled), unsampled: stat(res.unsampled) };
for (const [k, v] of Object.entries(s)) console.log(`${k.padEnd(10)} p50 ${v.p50.toFixed(3)} ms  p90 ${v.p90.toFixed(3)} ms  mean ${v.mean.toFixed(3)} ms`);
console.log(`ratio p50: sampled/untraced ${(s.sampled.p50 / s.untraced.p50).toFixed(2)}, unsampled/untraced ${(s.unsampled.p50 / s.untraced.p50).toFixed(2)}`);
await h.app.tracing.recorder.flush();
await h.stop();
sink.close();
