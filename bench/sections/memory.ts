import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChild } from '../lib/child.js';
import { PYTHON, type CpuPlan } from '../lib/machine.js';
import type { BenchOptions } from '../lib/options.js';
import { childrenOf, cmdline, descendants, isRuntimeProcess, privateKiB, pssKiB } from '../lib/proc-stats.js';
import { round } from '../lib/stats.js';
import { clientFor, createHello, type FlintReady, type HelloRuntime } from '../flint/flint-functions.js';
import { HELLO_PAYLOAD, NODE_HELLO, PYTHON_HELLO, holdPayload } from '../flint/hello-function.js';
import { timedInvoke } from '../flint/raw-invoke.js';
import type { Skipped } from './warm-invoke.js';

export interface MemoryFigure {
  envs: number;
  /** Mean PSS of one idle warm environment's whole process tree. */
  envPssKiB: number;
  /** Mean PSS of a bare interpreter that imported and ran the same handler, as many running at once. */
  barePssKiB: number;
  /** envPssKiB − barePssKiB: what Flint adds inside each environment. */
  overheadKiB: number;
  /** Processes per environment (runtime, wrappers, helpers beside it). */
  processesPerEnv: number;
  /**
   * Mean PSS per environment by process kind (program name; `runtime` for the interpreter;
   * helpers beside the tree shared out over the environments): where the overhead sits.
   */
  perProcessKiB: Record<string, number>;
}

export interface MemoryResults {
  node: MemoryFigure | Skipped;
  python: MemoryFigure | Skipped;
  /** Server PSS growth per idle warm environment (after a GC), KiB. */
  serverGrowthPerEnvKiB: number | null;
  /**
   * The same in private memory: PSS alone understates it, because every new runtime process
   * shares the Node binary's pages with the server and so lowers the server's PSS.
   */
  serverPrivateGrowthPerEnvKiB: number | null;
  sandbox: string;
}

/**
 * PSS per idle warm environment beyond its runtime's own: N environments are made to exist at
 * once (N concurrent invocations that each hold 300 ms), left idle, then measured against N bare
 * interpreters that loaded the same handler — equal counts, read at the same moment, so shared
 * pages divide alike.
 */
export async function runMemory(deps: { opts: BenchOptions; plan: CpuPlan; log(line: string): void }): Promise<MemoryResults> {
  const { opts, plan, log } = deps;
  const n = Math.max(2, opts.memoryEnvs);
  const dataDir = mkdtempSync(join(tmpdir(), 'flint-bench-mem-'));
  const server = await startChild<FlintReady>('flint/flint-server-child.ts', { cpus: plan.server, nodeFlags: ['--expose-gc'], args: [JSON.stringify({ dataDir, ...(opts.sandbox ? { sandbox: opts.sandbox } : {}) })] });
  const client = clientFor(server.ready);
  const out: MemoryResults = { node: { skipped: 'not run' }, python: { skipped: 'not run' }, serverGrowthPerEnvKiB: null, serverPrivateGrowthPerEnvKiB: null, sandbox: server.ready.sandbox };
  try {
    let serverBefore = Number.NaN;
    let serverPrivateBefore = Number.NaN;
    let envsBefore = 0;
    for (const rt of ['node', 'python'] as HelloRuntime[]) {
      try {
        const name = `mem-${rt}`;
        await createHello(client, name, rt);
        const known = new Set(descendants(server.pid));
        // One environment first, so the server's baseline has loaded the whole invoke path.
        await timedInvoke(server.ready, name, HELLO_PAYLOAD);
        if (Number.isNaN(serverBefore)) {
          await settle(server);
          serverBefore = pssKiB(server.pid);
          serverPrivateBefore = privateKiB(server.pid);
          envsBefore = descendants(server.pid).filter(isRuntimeProcess).length;
        }
        await Promise.all(Array.from({ length: n }, () => timedInvoke(server.ready, name, holdPayload(300))));
        await new Promise((r) => setTimeout(r, 300));
        const fresh = newTrees(server.pid, known);
        // An environment is a tree holding a runtime; other new trees are per-environment helpers
        // a driver may start beside it (e.g. a network relay): their PSS is shared out over the envs.
        const trees = fresh.filter((t) => t.some(isRuntimeProcess));
        const helpers = fresh.filter((t) => !t.some(isRuntimeProcess));
        const figure = await measureAgainstBare(rt, trees, helpers, n);
        out[rt] = figure;
        log(`  memory ${rt}: env ${figure.envPssKiB} KiB vs bare ${figure.barePssKiB} KiB over ${figure.envs} envs; per process ${JSON.stringify(figure.perProcessKiB)}`);
      } catch (err) {
        out[rt] = { skipped: `failed: ${(err as Error).message.slice(0, 300)}` };
      }
    }
    await settle(server);
    const grown = descendants(server.pid).filter(isRuntimeProcess).length - envsBefore;
    if (grown > 0 && Number.isFinite(serverBefore)) {
      out.serverGrowthPerEnvKiB = round((pssKiB(server.pid) - serverBefore) / grown, 1);
      out.serverPrivateGrowthPerEnvKiB = round((privateKiB(server.pid) - serverPrivateBefore) / grown, 1);
    }
    return out;
  } finally {
    client.destroy();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The process trees started under `root` since `known` was taken: an environment hangs off the
 * server or off a long-lived helper of it (the bwrap driver's spawner forks sandboxes).
 */
function newTrees(root: number, known: Set<number>): number[][] {
  const trees: number[][] = [];
  const walk = (pid: number): void => {
    for (const kid of childrenOf(pid)) {
      if (known.has(kid)) walk(kid);
      else trees.push([kid, ...descendants(kid)]);
    }
  };
  walk(root);
  return trees;
}

async function settle(server: { request<R>(m: Record<string, unknown>): Promise<R> }): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
  await server.request({ op: 'gc' });
  await new Promise((r) => setTimeout(r, 100));
}

async function measureAgainstBare(rt: HelloRuntime, trees: number[][], helpers: number[][], n: number): Promise<MemoryFigure> {
  if (trees.length < n) throw new Error(`expected ${n} new environments, found ${trees.length}`);
  // The bare runtime gets the same interpreter flags the environment's runtime process got.
  const runtimePid = trees[0]!.find(isRuntimeProcess)!;
  const argv = cmdline(runtimePid);
  const dir = mkdtempSync(join(tmpdir(), 'flint-bench-bare-'));
  const procs: ChildProcess[] = [];
  try {
    let command: string[];
    if (rt === 'node') {
      writeFileSync(join(dir, 'index.mjs'), NODE_HELLO);
      const flags = argv.slice(1).filter((a) => a.startsWith('--'));
      const script = `const m = await import(${JSON.stringify(join(dir, 'index.mjs'))}); await m.handler(${HELLO_PAYLOAD}); process.stdout.write('ready\\n'); setInterval(() => {}, 1e9);`;
      command = [process.execPath, ...flags, '--input-type=module', '-e', script];
    } else {
      writeFileSync(join(dir, 'index.py'), PYTHON_HELLO);
      const script = `import sys, time; sys.path.insert(0, ${JSON.stringify(dir)}); import index; index.handler(${HELLO_PAYLOAD.replace('true', 'True')}, None); print('ready', flush=True); time.sleep(1e9)`;
      command = [PYTHON, '-c', script];
    }
    await Promise.all(Array.from({ length: trees.length }, () => new Promise<void>((resolve, reject) => {
      const p = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
      procs.push(p);
      p.stdout!.once('data', () => resolve());
      p.once('exit', (code) => reject(new Error(`bare ${rt} exited ${code}`)));
    })));
    await new Promise((r) => setTimeout(r, 300));
    // Both sets are read while both are alive: the interpreter binary's pages (tens of MB for
    // Node) then divide over the same processes for each. Reading the environments before the
    // bare ones started charged them ~0.5 MiB each that the bare ones did not pay.
    const helperPss = helpers.flat().reduce((a, p) => a + pssKiB(p), 0) / trees.length;
    const envPss = trees.map((t) => t.reduce((a, p) => a + pssKiB(p), 0) + helperPss);
    const perProcess: Record<string, number> = {};
    const charge = (pid: number, share: number) => {
      const name = isRuntimeProcess(pid) ? 'runtime' : (cmdline(pid)[0] ?? '?').split('/').pop()!.replace(/-[0-9a-f]{16}$/, '');
      perProcess[name] = (perProcess[name] ?? 0) + pssKiB(pid) * share;
    };
    for (const t of trees) for (const p of t) charge(p, 1 / trees.length);
    for (const p of helpers.flat()) charge(p, 1 / trees.length);
    const barePss = procs.map((p) => pssKiB(p.pid!));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const env = mean(envPss);
    const bare = mean(barePss);
    return {
      envs: trees.length,
      envPssKiB: Math.round(env),
      barePssKiB: Math.round(bare),
      overheadKiB: Math.round(env - bare),
      processesPerEnv: round(mean(trees.map((t) => t.length)) + helpers.flat().length / trees.length, 1),
      perProcessKiB: Object.fromEntries(Object.entries(perProcess).map(([k, v]) => [k, Math.round(v)])),
    };
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
