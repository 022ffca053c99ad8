import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild } from '../lib/child.js';
import type { CpuPlan } from '../lib/machine.js';
import type { BenchOptions } from '../lib/options.js';
import type { LoadRunner } from '../load/load-runner.js';
import { clientFor, createHello, type FlintReady } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD } from '../flint/hello-function.js';
import { signedInvokeJob } from '../flint/invoke-request.js';
import { summarizeProfile, type ProfileSummary } from './profile-summary.js';

const SRC_ROOT = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * Profiles a Flint server (`node --cpu-prof`) under warm raw Invoke load at c=32 then c=1, and
 * ranks self time — Flint's own code apart from Node's and the dependencies'.
 */
export async function profileWarmPath(deps: { opts: BenchOptions; plan: CpuPlan; runner: LoadRunner; outDir: string; stamp: string }): Promise<ProfileSummary> {
  const { opts, plan, runner } = deps;
  const profDir = join(deps.outDir, 'profiles');
  mkdirSync(profDir, { recursive: true });
  const runDir = mkdtempSync(join(tmpdir(), 'flint-bench-prof-'));
  const dataDir = join(runDir, 'data');
  const server = await startChild<FlintReady>('flint/flint-server-child.ts', {
    cpus: plan.server,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${runDir}`],
    args: [JSON.stringify({ dataDir })],
  });
  let requests = 0;
  try {
    const client = clientFor(server.ready);
    await createHello(client, 'prof-hello', 'node');
    client.destroy();
    const seconds = opts.tiny ? 1000 : 6000;
    const job = () => signedInvokeJob(server.ready, 'prof-hello', HELLO_PAYLOAD, { warmupMs: 200, durationMs: seconds });
    await runner.measure(job(), 32, { totalRequests: 640 });
    requests += (await runner.measure(job(), 32, {})).ok;
    requests += (await runner.measure({ ...job(), durationMs: seconds / 2 }, 1, {})).ok;
  } finally {
    await server.stop(15_000);
  }
  // Each thread writes its own profile (tsx's module loader runs in a worker): the main thread's
  // is the largest.
  const file = readdirSync(runDir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(join(runDir, b)).size - statSync(join(runDir, a)).size)[0];
  if (!file) throw new Error('the server wrote no .cpuprofile');
  const kept = join(profDir, `flint-server-${deps.stamp}.cpuprofile`);
  rmSync(kept, { force: true });
  // Keep the raw profile beside the results (loadable in Chrome DevTools), drop the data dir.
  try { renameSync(join(runDir, file), kept); } catch { copyFileSync(join(runDir, file), kept); }
  rmSync(runDir, { recursive: true, force: true });
  return { ...summarizeProfile(kept, SRC_ROOT), requests };
}
