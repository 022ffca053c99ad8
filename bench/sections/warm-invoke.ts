import { startChild, type BenchChild } from '../lib/child.js';
import type { CpuPlan } from '../lib/machine.js';
import type { BenchOptions } from '../lib/options.js';
import { median, round } from '../lib/stats.js';
import type { JobTemplate, LoadRunner, Measurement } from '../load/load-runner.js';
import { WARM_MEMORY_MB, createHello, clientFor, createInvokerUser, createPublicUrl, type FlintReady } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD, holdPayload } from '../flint/hello-function.js';
import { sdkInvokeJob, signedInvokeJob } from '../flint/invoke-request.js';
import type { OfflinePeer } from '../peers/serverless-offline.js';

export const WARM_TARGETS = ['echo', 'twoHop', 'protocol1', 'protocolN', 'flintRaw', 'flintIamUser', 'flintSdk', 'flintUrl', 'flintSleep200', 'protocolNSleep200', 'offline'] as const;
export type WarmTarget = (typeof WARM_TARGETS)[number];
export const CONCURRENCIES = [1, 32] as const;
/** Concurrencies of the p99 sweep (Flint pre-signed raw Invoke, one measurement each). */
export const SWEEP = [1, 4, 16, 32, 64, 128, 256] as const;
/** The sleeping handler's hold: concurrent requests need distinct environments (or runtimes). */
export const SLEEP_MS = 200;

export interface WarmFigure {
  p50Ms: number;
  p99Ms: number;
  rps: number;
  /** CPU ms of the server's process tree (Flint: server + environments) per request. */
  serverCpuMsPerReq: number;
  /** CPU ms of the front process alone (Flint: the server process, without environments) per request. */
  frontCpuMsPerReq: number;
  /** Cores' worth of CPU the load generators used; ≈ their count means the client was the limit. */
  clientCpuShare: number;
  errors: number;
  reps: number;
  /** Every repetition's throughput, to show the spread behind the median. */
  rpsByRep: number[];
}
export type Skipped = { skipped: string };
export type WarmEntry = WarmFigure | Skipped;
export interface SweepFigure { c: number; rps: number; p50Ms: number; p99Ms: number; frontCpuMsPerReq: number; errors: number }
export type WarmResults = Record<`c${(typeof CONCURRENCIES)[number]}`, Record<WarmTarget, WarmEntry>> & { function: string; offlineVersion?: string; sweep?: Array<SweepFigure | (Skipped & { c: number })> };

interface Target {
  name: WarmTarget;
  job(): JobTemplate;
  serverPids: number[];
  /** Measured only at these concurrencies (default: all). */
  only?: readonly number[];
}

const FUNCTION = 'bench-hello';

/**
 * Warm synchronous Invoke at c=1 and c=32, Flint (pre-signed raw HTTP and SDK v3) beside the two
 * floors and serverless-offline, interleaved repetition by repetition so the machine's drift hits
 * every target alike; medians are reported.
 */
export async function runWarm(deps: {
  opts: BenchOptions;
  plan: CpuPlan;
  runner: LoadRunner;
  flint: FlintReady;
  /** How the Flint server died, once it has (a failed row then says so). */
  flintDeath(): string | undefined;
  offline: OfflinePeer | Skipped;
  log(line: string): void;
}): Promise<WarmResults> {
  const { opts, plan, runner, flint, offline, log } = deps;
  const why = (t: Target, m: Measurement) => {
    const death = t.name.startsWith('flint') ? deps.flintDeath() : undefined;
    return (m.firstError ?? 'no successful response') + (death ? ` — ${death}` : '');
  };
  const timing = { warmupMs: opts.warmupMs, durationMs: opts.durationMs };
  const echo = await startChild<{ port: number }>('floors/echo-server.ts', { cpus: plan.server });
  const proxy = await startChild<{ port: number }>('floors/two-hop-proxy.ts', { cpus: plan.server, args: [String(echo.ready.port)] });
  // The protocol floors: one runtime process (requests queue in front of it), and one per
  // concurrent request at the highest concurrency measured.
  const maxC = Math.max(...CONCURRENCIES);
  const protocol1 = await startChild<{ port: number }>('floors/protocol-floor.ts', { cpus: plan.server, args: ['1'] });
  const protocolN = await startChild<{ port: number }>('floors/protocol-floor.ts', { cpus: plan.server, args: [String(maxC)] });
  const children: BenchChild<unknown>[] = [proxy, echo, protocol1, protocolN];
  try {
    const client = clientFor(flint);
    await createHello(client, FUNCTION, 'node', { memoryMb: WARM_MEMORY_MB });
    // The same function behind a NONE function URL (path form): the URL data plane's row.
    const urlId = await createPublicUrl(client, FUNCTION);
    client.destroy();
    // The same invoke signed by an IAM user whose policy allows it: the authorization cost row
    // (root's requests skip policy evaluation, as AWS's root is not governed by IAM policies).
    const user = { ...flint, ...(await createInvokerUser(flint, FUNCTION)) };
    const floorJob = (port: number): JobTemplate => ({
      kind: 'raw', url: `http://127.0.0.1:${port}/`, method: 'POST', headers: { 'content-type': 'application/json' }, body: HELLO_PAYLOAD, expectStatus: 200, ...timing,
    });
    const targets: Target[] = [
      { name: 'echo', job: () => floorJob(echo.ready.port), serverPids: [echo.pid] },
      { name: 'twoHop', job: () => floorJob(proxy.ready.port), serverPids: [proxy.pid, echo.pid] },
      { name: 'protocol1', job: () => floorJob(protocol1.ready.port), serverPids: [protocol1.pid] },
      { name: 'protocolN', job: () => floorJob(protocolN.ready.port), serverPids: [protocolN.pid], only: [maxC] },
      { name: 'protocolNSleep200', job: () => ({ ...floorJob(protocolN.ready.port), body: holdPayload(SLEEP_MS) }), serverPids: [protocolN.pid], only: [maxC] },
      { name: 'flintRaw', job: () => signedInvokeJob(flint, FUNCTION, HELLO_PAYLOAD, timing), serverPids: [flint.pid] },
      { name: 'flintIamUser', job: () => signedInvokeJob(user, FUNCTION, HELLO_PAYLOAD, timing), serverPids: [flint.pid] },
      { name: 'flintSdk', job: () => sdkInvokeJob(flint, FUNCTION, HELLO_PAYLOAD, timing), serverPids: [flint.pid] },
      { name: 'flintSleep200', job: () => signedInvokeJob(flint, FUNCTION, holdPayload(SLEEP_MS), timing), serverPids: [flint.pid], only: [maxC] },
      {
        name: 'flintUrl',
        job: () => ({ kind: 'raw', url: `${flint.endpoint}/lambda-url/${urlId}/`, method: 'POST', headers: { 'content-type': 'application/json' }, body: HELLO_PAYLOAD, expectStatus: 200, ...timing }),
        serverPids: [flint.pid],
      },
    ];
    if (!('skipped' in offline)) {
      targets.push({
        name: 'offline',
        job: () => ({ kind: 'raw', url: offline.invokeUrl, method: 'POST', headers: { 'content-type': 'application/json' }, body: HELLO_PAYLOAD, expectStatus: 200, ...timing }),
        serverPids: [offline.pid],
      });
    }
    const samples = new Map<string, Measurement[]>();
    const failures = new Map<string, string>();
    // Priming: connections, JIT, and (for c=32) the 32 environments exist before anything counts.
    for (const c of CONCURRENCIES) {
      for (const t of targets) {
        if (t.only && !t.only.includes(c)) continue;
        const m = await runner.measure(t.job(), c, { totalRequests: c * (opts.tiny ? 2 : 20) });
        if (m.ok === 0 && m.errors > 0) failures.set(`${t.name}@${c}`, why(t, m));
      }
    }
    for (let rep = 0; rep < opts.reps; rep++) {
      for (const c of CONCURRENCIES) {
        for (const t of targets) {
          const key = `${t.name}@${c}`;
          if (failures.has(key) || (t.only && !t.only.includes(c))) continue;
          const m = await runner.measure(t.job(), c, { serverPids: t.serverPids });
          if (m.ok === 0 && m.errors > 0) {
            failures.set(key, why(t, m));
            continue;
          }
          (samples.get(key) ?? samples.set(key, []).get(key)!).push(m);
          log(`  warm rep ${rep + 1}/${opts.reps} c=${c} ${t.name}: ${m.rps} req/s p50 ${m.p50Ms} ms p99 ${m.p99Ms} ms${m.errors ? ` (${m.errors} errors: ${m.firstError})` : ''}`);
        }
      }
    }
    const out = { function: FUNCTION, offlineVersion: 'skipped' in offline ? undefined : offline.version } as WarmResults;
    for (const c of CONCURRENCIES) {
      const row = {} as Record<WarmTarget, WarmEntry>;
      for (const name of WARM_TARGETS) {
        const key = `${name}@${c}`;
        const ms = samples.get(key);
        const only = targets.find((t) => t.name === name)?.only;
        if (name === 'offline' && 'skipped' in offline) row[name] = offline;
        else if (only && !only.includes(c)) row[name] = { skipped: `measured at c=${only.join(', ')} only` };
        else if (!ms || ms.length === 0) row[name] = { skipped: `failed: ${failures.get(key) ?? 'not measured'}` };
        else row[name] = medianFigure(ms);
      }
      out[`c${c}`] = row;
    }
    // p99 from c=1 to c=256 (one measurement each, Flint pre-signed raw Invoke): where queuing starts.
    if (!opts.tiny || opts.sweep) {
      const flintRaw = targets.find((t) => t.name === 'flintRaw')!;
      out.sweep = [];
      for (const c of SWEEP) {
        await runner.measure(flintRaw.job(), c, { totalRequests: c * 4 });
        const m = await runner.measure(flintRaw.job(), c, { serverPids: flintRaw.serverPids });
        if (m.ok === 0) out.sweep.push({ c, skipped: `failed: ${why(flintRaw, m)}` });
        else out.sweep.push({ c, rps: m.rps, p50Ms: m.p50Ms, p99Ms: m.p99Ms, frontCpuMsPerReq: m.frontCpuMsPerReq, errors: m.errors });
        log(`  warm sweep c=${c} flintRaw: ${m.rps} req/s p50 ${m.p50Ms} ms p99 ${m.p99Ms} ms`);
      }
    }
    return out;
  } finally {
    for (const ch of children) await ch.stop();
  }
}

function medianFigure(ms: Measurement[]): WarmFigure {
  return {
    p50Ms: round(median(ms.map((m) => m.p50Ms))),
    p99Ms: round(median(ms.map((m) => m.p99Ms))),
    rps: Math.round(median(ms.map((m) => m.rps))),
    serverCpuMsPerReq: round(median(ms.map((m) => m.serverCpuMsPerReq)), 4),
    frontCpuMsPerReq: round(median(ms.map((m) => m.frontCpuMsPerReq)), 4),
    clientCpuShare: round(median(ms.map((m) => m.clientCpuShare)), 2),
    errors: ms.reduce((a, m) => a + m.errors, 0),
    reps: ms.length,
    rpsByRep: ms.map((m) => m.rps),
  };
}

export function isFigure<T extends object>(e: T | Skipped | undefined): e is T {
  return e !== undefined && !('skipped' in e);
}
