import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/child.js';
import type { CpuPlan } from '../lib/machine.js';
import type { BenchOptions } from '../lib/options.js';
import type { LoadRunner } from '../load/load-runner.js';
import { WARM_MEMORY_MB, clientFor, createHello, type FlintReady } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD } from '../flint/hello-function.js';
import { signedInvokeJob } from '../flint/invoke-request.js';
import { summarizeProfile, type ProfileSummary } from './profile-summary.js';

const SRC_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Profiles a Flint server (V8's sampling profiler, started once its 32 environments are warm)
 * under warm raw Invoke load at c=32 then c=1, and ranks self time — Flint's own code apart from
 * Node's and the dependencies'; then the same for `Event` invocations (enqueue plus the pollers'
 * deliveries). The raw profiles are kept for Chrome DevTools.
 */
export async function profileWarmPath(deps: { opts: BenchOptions; plan: CpuPlan; runner: LoadRunner; outDir: string; stamp: string }): Promise<ProfileSummary & { event: ProfileSummary }> {
  const { opts, plan, runner } = deps;
  const profDir = join(deps.outDir, 'profiles');
  mkdirSync(profDir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-bench-prof-'));
  const kept = join(profDir, `flint-server-${deps.stamp}.cpuprofile`);
  const server = await startChild<FlintReady>('flint/flint-server-child.ts', { cpus: plan.server, args: [JSON.stringify({ dataDir, ...(opts.sandbox ? { sandbox: opts.sandbox } : {}) })] });
  const keptEvent = join(profDir, `flint-server-event-${deps.stamp}.cpuprofile`);
  let requests = 0;
  let eventRequests = 0;
  try {
    const client = clientFor(server.ready);
    await createHello(client, 'prof-hello', 'node', { memoryMb: WARM_MEMORY_MB });
    client.destroy();
    const ms = opts.tiny ? 1000 : 6000;
    const job = (durationMs: number) => signedInvokeJob(server.ready, 'prof-hello', HELLO_PAYLOAD, { warmupMs: 0, durationMs });
    // Environments and JIT first: the profile is of the warm steady state only.
    await runner.measure(job(0), 32, { totalRequests: 640 });
    await server.request({ op: 'profile-start' });
    requests += (await runner.measure(job(ms), 32, {})).ok;
    requests += (await runner.measure(job(ms / 2), 1, {})).ok;
    await server.request({ op: 'profile-stop', file: kept });
    // The Event path (enqueue, and the pollers delivering meanwhile) in a profile of its own.
    await server.request({ op: 'profile-start' });
    eventRequests = (await runner.measure(signedInvokeJob(server.ready, 'prof-hello', HELLO_PAYLOAD, { warmupMs: 0, durationMs: 0 }, 'Event'), 32, { totalRequests: opts.tiny ? 200 : 2000 })).ok;
    await server.request({ op: 'profile-stop', file: keptEvent });
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { ...summarizeProfile(kept, SRC_ROOT), requests, event: { ...summarizeProfile(keptEvent, SRC_ROOT), requests: eventRequests } };
}
