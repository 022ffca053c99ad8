/**
 * The routing hop's cost (cluster mode): a warm invocation through RemoteInvoker → mutual-TLS
 * HTTP/2 → WorkerRpcServer → a local Invoker that answers at once, against calling that Invoker
 * directly. The worker runs in a process of its own (as on another node), so the two event loops
 * do not share a thread. Reports req/s and p50 at each concurrency, and the ratio.
 *
 *   node --import tsx bench/cluster-routing.ts [seconds=3] [concurrencies=1,32] [payloadBytes=64]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import type { InvokeRequest, InvokeResult, Invoker } from '../src/ports/invoker.js';
import { WorkerRpcServer } from '../src/cluster/worker-rpc-server.js';
import { RemoteInvoker } from '../src/cluster/remote-invoker.js';
import { systemClock } from '../src/app/system-clock.js';
import { makeTestCa } from '../test/helpers/cluster-certs.js';

/** The trivial local invoker: what an idle warm environment would answer, minus the function. */
const trivial: Invoker = {
  invoke: (req: InvokeRequest): Promise<InvokeResult> =>
    Promise.resolve({ requestId: req.requestId ?? 'r', statusCode: 200, payload: req.payload, executedVersion: '$LATEST', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench', startType: 'warm' }),
};

if (process.argv[2] === '--worker') {
  const tls = JSON.parse(process.env['FLINT_BENCH_TLS']!) as { key: string; cert: string; ca: string };
  const server = new WorkerRpcServer({ ...tls, invoker: trivial, capacity: 1024, epoch: () => 1, fenced: () => false });
  const addr = await server.listen(0);
  process.stdout.write(`PORT ${addr.port}\n`);
} else {
  await main();
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 3);
  const concurrencies = (process.argv[3] ?? '1,32').split(',').map(Number);
  const payload = Buffer.from(JSON.stringify({ pad: 'x'.repeat(Math.max(0, Number(process.argv[4] ?? 64) - 10)) }));
  const ca = await makeTestCa();
  const workerTls = await ca.issue('bench-worker');
  const apiTls = await ca.issue('bench-api');
  const child = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--worker'], { env: { ...process.env, FLINT_BENCH_TLS: JSON.stringify(workerTls) }, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = String((await createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next()).value);
    const port = Number(line.replace('PORT ', ''));
    const remote = new RemoteInvoker({
      membership: { self: 'bench-api', members: () => [{ id: 'w1', roles: ['worker'], address: `127.0.0.1:${port}`, capacity: 1024, epoch: 1, leaseExpiresAt: Number.MAX_SAFE_INTEGER, state: 'active' }] },
      clock: systemClock,
      ...apiTls,
      routeOf: (name, q) => `${name}:${q ?? '$LATEST'}`,
    });
    const req = { functionName: 'bench', payload };
    // Warm-up: the session, TLS and JIT.
    for (let i = 0; i < 500; i++) await remote.invoke(req);
    console.log(`cluster routing bench: ${seconds}s per phase, payload ${payload.length} B, worker in its own process`);
    for (const c of concurrencies) {
      const direct = await run(trivial, req, c, seconds);
      const routed = await run(remote, req, c, seconds);
      console.log(
        `c=${String(c).padEnd(3)} direct ${fmt(direct.rps)} req/s p50 ${direct.p50.toFixed(3)} ms | routed ${fmt(routed.rps)} req/s p50 ${routed.p50.toFixed(3)} ms | routed/direct throughput ${(routed.rps / direct.rps).toFixed(4)}, hop +${(routed.p50 - direct.p50).toFixed(3)} ms p50`,
      );
    }
    remote.close();
  } finally {
    child.kill('SIGKILL');
  }
}

async function run(invoker: Invoker, req: InvokeRequest, concurrency: number, seconds: number): Promise<{ rps: number; p50: number }> {
  const lat: number[] = [];
  const end = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await invoker.invoke(req);
      lat.push(performance.now() - t);
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const took = (performance.now() - began) / 1000;
  lat.sort((a, b) => a - b);
  return { rps: lat.length / took, p50: lat[Math.floor(lat.length / 2)] ?? 0 };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(9);
}
