/**
 * What an idle external extension costs a warm Invoke (issue 12): the same trivial Node function
 * with no layer and with a layer holding one minimal Node extension (registers for INVOKE, loops on
 * event/next over one kept-alive `node:http` connection, does nothing else), client-observed
 * through the real server and SDK v3, rounds interleaved so machine noise hits both alike. The
 * difference of the medians is the idle extension's cost per invocation (its INVOKE delivery and
 * its next round trip, which the invocation waits for, as on Lambda).
 *
 * A third function's extension talks to the sandbox's unix socket directly (the path Flint's
 * runtimes take) instead of AWS_LAMBDA_RUNTIME_API's TCP relay: the relay hop's share.
 *
 *   node --import tsx bench/extension-idle-bench.ts [sandbox=bwrap] [perRound=40] [rounds=4]
 */
import './lib/quiet-warnings.js';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startHarness } from '../test/helpers/flint-harness.js';
import { createFunction } from '../test/helpers/functions.js';
import { publishExtensionLayer } from '../test/extensions/extension-layer-fixtures.js';

/**
 * The smallest well-behaved extension: one kept-alive connection, no work per event. `socket`:
 * the same, but talking to the sandbox's Runtime API unix socket directly, as Flint's own runtimes
 * do (what an extension would gain from skipping the in-sandbox TCP relay).
 */
export function idleExtension(socket: boolean): string {
  return `#!/usr/bin/env node
const http = require('node:http');
const fs = require('node:fs');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const via = ${socket} && fs.existsSync('/run/flint/runtime-api.sock') ? { socketPath: '/run/flint/runtime-api.sock' } : { host, port };
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const call = (method, path, headers, body) => new Promise((resolve, reject) => {
  const req = http.request({ ...via, method, path: '/2020-01-01/extension/' + path, headers, agent }, (res) => {
    let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve({ headers: res.headers, body: b }));
  });
  req.on('error', reject); req.end(body);
});
(async () => {
  const r = await call('POST', 'register', { 'Lambda-Extension-Name': 'idle-ext' }, JSON.stringify({ events: ['INVOKE', 'SHUTDOWN'] }));
  const id = r.headers['lambda-extension-identifier'];
  for (;;) {
    const ev = JSON.parse((await call('GET', 'event/next', { 'Lambda-Extension-Identifier': id })).body);
    if (ev.eventType === 'SHUTDOWN') process.exit(0);
  }
})();
`;
}

const sandbox = process.argv[2] ?? 'bwrap';
const perRound = Number(process.argv[3] ?? 40);
const rounds = Number(process.argv[4] ?? 4);
const h = await startHarness({ sandbox });
const layer = await publishExtensionLayer(h, 'bench-idle-ext', { 'idle-ext': idleExtension(false) });
const socketLayer = await publishExtensionLayer(h, 'bench-socket-ext', { 'idle-ext': idleExtension(true) });
await createFunction(h.client, 'bench-no-ext');
await createFunction(h.client, 'bench-idle-ext', { Layers: [layer] });
await createFunction(h.client, 'bench-socket-ext', { Layers: [socketLayer] });
const one = async (name: string) => {
  const t = performance.now();
  const out = await h.client.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
  if (out.FunctionError) throw new Error(`${name}: ${Buffer.from(out.Payload ?? []).toString()}`);
  return performance.now() - t;
};
for (let i = 0; i < 5; i++) { await one('bench-no-ext'); await one('bench-idle-ext'); await one('bench-socket-ext'); }
const res: Record<'none' | 'idle' | 'socket', number[]> = { none: [], idle: [], socket: [] };
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < perRound; i++) res.none.push(await one('bench-no-ext'));
  for (let i = 0; i < perRound; i++) res.idle.push(await one('bench-idle-ext'));
  for (let i = 0; i < perRound; i++) res.socket.push(await one('bench-socket-ext'));
}
const q = (a: number[], p: number) => [...a].sort((x, y) => x - y)[Math.floor(a.length * p)]!;
const stat = (a: number[]) => ({ p50: q(a, 0.5), p90: q(a, 0.9) });
const s = { none: stat(res.none), idle: stat(res.idle), socket: stat(res.socket) };
for (const [k, v] of Object.entries(s)) console.log(`${sandbox} ${k.padEnd(6)} p50 ${v.p50.toFixed(2)} ms  p90 ${v.p90.toFixed(2)} ms`);
console.log(`${sandbox} idle extension over TCP (relay): +${(s.idle.p50 - s.none.p50).toFixed(2)} ms per invocation at p50 (ratio ${(s.idle.p50 / s.none.p50).toFixed(2)})`);
console.log(`${sandbox} idle extension on the unix socket: +${(s.socket.p50 - s.none.p50).toFixed(2)} ms per invocation at p50 (ratio ${(s.socket.p50 / s.none.p50).toFixed(2)})`);
await h.stop();
