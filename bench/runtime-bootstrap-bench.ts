/**
 * Flint's own bootstraps in isolation: one runtime process against one Runtime API listener
 * (the real RuntimeApiServer + RuntimeChannel, no front door, no sandbox), so the figures are the
 * bootstrap's own: CPU per warm invocation (runtime process and the listener's process), cold start
 * (spawn to first /next), pre-initialized start (bind to first /next) and idle memory.
 *
 *   node --import tsx bench/runtime-bootstrap-bench.ts [--runtime=node|python] [--dir=<runtimes dir>]
 *        [--invokes=N] [--starts=N] [--payload-bytes=N] [--cpu-prof=<dir>]
 *
 * `--dir` points at a directory holding `nodejs/index.mjs` and `python/bootstrap.py` (default:
 * src/runtimes), so two versions can be compared in alternating runs on a shared machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeApiServer } from '../src/runtime-api/runtime-api-server.js';
import { RuntimeChannel, type RuntimeReply } from '../src/runtime-api/runtime-channel.js';
import { cpuMs } from './lib/proc-stats.js';
import { PYTHON } from './lib/machine.js';
import { NODE_HELLO, PYTHON_HELLO } from './flint/hello-function.js';

const argv = process.argv.slice(2);
const value = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runtime = (value('runtime') ?? 'node') as 'node' | 'python';
const runtimesDir = resolve(value('dir') ?? fileURLToPath(new URL('../src/runtimes/', import.meta.url)));
const invokes = Number(value('invokes') ?? 3000);
const starts = Number(value('starts') ?? 15);
const payloadBytes = Number(value('payload-bytes') ?? 0);
const cpuProf = value('cpu-prof');

const taskRoot = mkdtempSync(join(tmpdir(), 'flint-rtb-'));
writeFileSync(join(taskRoot, runtime === 'node' ? 'index.mjs' : 'index.py'), runtime === 'node' ? NODE_HELLO : PYTHON_HELLO);

function command(stem: boolean): { argv: string[]; env: Record<string, string> } {
  const base: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LANG: 'en_US.UTF-8', TZ: ':UTC' };
  const fnEnv: Record<string, string> = {
    _HANDLER: 'index.handler',
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
  };
  if (runtime === 'node') {
    const dir = join(runtimesDir, 'nodejs');
    const flags = ['--expose-gc', '--max-semi-space-size=6', '--max-old-space-size=116', ...(cpuProf ? [`--cpu-prof`, `--cpu-prof-interval=50`, `--cpu-prof-dir=${cpuProf}`] : [])];
    return { argv: [process.execPath, ...flags, join(dir, 'index.mjs')], env: { ...base, LAMBDA_RUNTIME_DIR: dir, NODE_PATH: `${dir}:${taskRoot}`, ...(stem ? {} : fnEnv) } };
  }
  const dir = join(runtimesDir, 'python');
  return { argv: [PYTHON, '-u', join(dir, 'bootstrap.py'), '/opt'], env: { ...base, LAMBDA_RUNTIME_DIR: dir, PYTHONPATH: dir, LC_CTYPE: 'C.UTF-8', ...(stem ? {} : fnEnv) } };
}

interface Runtime {
  channel: RuntimeChannel;
  server: RuntimeApiServer;
  proc: ChildProcess;
  spawnedAt: number;
  initAt: Promise<number>;
  bindWaiting: Promise<void>;
  replies: Array<(r: RuntimeReply) => void>;
  readies: Array<() => void>;
  exited: Promise<void>;
}

async function startRuntime(stem: boolean): Promise<Runtime> {
  let initDone!: (t: number) => void;
  let bindWaiting!: () => void;
  const replies: Array<(r: RuntimeReply) => void> = [];
  const readies: Array<() => void> = [];
  const channel = new RuntimeChannel(
    {
      bindWaiting: () => bindWaiting(),
      initDone: () => initDone(performance.now()),
      initError: (f) => process.stderr.write(`init error: ${f.payload}\n`),
      reply: (_id, r) => replies.shift()?.(r),
      ready: () => readies.shift()?.(),
    },
    { unbound: stem },
  );
  const server = new RuntimeApiServer(channel);
  const { host, port } = await server.listen();
  const cmd = command(stem);
  const env = { ...cmd.env, AWS_LAMBDA_RUNTIME_API: `${host}:${port}`, ...(stem ? { FLINT_STEM_KEYS: [...Object.keys(cmd.env), 'AWS_LAMBDA_RUNTIME_API'].join(',') } : {}) };
  const spawnedAt = performance.now();
  const proc = spawn(cmd.argv[0]!, cmd.argv.slice(1), { env, stdio: ['ignore', 'ignore', 'inherit'], cwd: stem ? join(runtimesDir, runtime === 'node' ? 'nodejs' : 'python') : taskRoot });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    channel,
    server,
    proc,
    spawnedAt,
    initAt: new Promise((r) => (initDone = r)),
    bindWaiting: new Promise((r) => (bindWaiting = r)),
    replies,
    readies,
    exited,
  };
}

async function stop(rt: Runtime): Promise<void> {
  // Profiling: the runtime must exit on its own (it does when its Runtime API goes away) to write the profile.
  if (cpuProf) await rt.server.close();
  else rt.proc.kill('SIGTERM');
  await rt.exited;
  rt.channel.close();
  await rt.server.close();
}

let seq = 0;
async function invoke(rt: Runtime, payload: Buffer): Promise<RuntimeReply> {
  const reply = new Promise<RuntimeReply>((r) => rt.replies.push(r));
  const ready = new Promise<void>((r) => rt.readies.push(r));
  rt.channel.dispatch({
    requestId: `00000000-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
    payload,
    deadlineMs: Date.now() + 60_000,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
    traceId: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
  });
  const r = await reply;
  await ready;
  return r;
}

function memKiB(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (n: string) => Number(new RegExp(`^${n}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field('Rss'), pss: field('Pss') };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r2 = (x: number) => Math.round(x * 1000) / 1000;

// Warm loop.
const payload = Buffer.from(payloadBytes > 0 ? JSON.stringify({ bench: true, pad: 'x'.repeat(payloadBytes) }) : '{"bench":true}');
const rt = await startRuntime(false);
await rt.initAt;
for (let i = 0; i < 200; i++) await invoke(rt, payload);
const first = await invoke(rt, payload);
if (first.kind !== 'response') throw new Error(`unexpected reply ${JSON.stringify(first)}`);
const rtCpu0 = cpuMs(rt.proc.pid!);
const srv0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < invokes; i++) await invoke(rt, payload);
const wallMs = performance.now() - t0;
const rtCpu = cpuMs(rt.proc.pid!) - rtCpu0;
const srvUse = process.cpuUsage(srv0);
await new Promise((r) => setTimeout(r, 300));
const mem = memKiB(rt.proc.pid!);
await stop(rt);

// Cold and pre-initialized starts.
const cold: number[] = [];
const pre: number[] = [];
for (let i = 0; i < starts; i++) {
  const c = await startRuntime(false);
  cold.push((await c.initAt) - c.spawnedAt);
  await invoke(c, payload);
  await stop(c);
  const s = await startRuntime(true);
  await s.bindWaiting;
  await new Promise((r) => setTimeout(r, 50)); // let the runtime settle in its bind call
  const b0 = performance.now();
  s.channel.bind(Buffer.from(JSON.stringify({ env: command(false).env, taskRoot, opt: '/opt' })));
  // First invocation included: the stem cell's promise is that it is ready to serve.
  const bound = (await s.initAt) - b0;
  await invoke(s, payload);
  pre.push(bound);
  await stop(s);
}

rmSync(taskRoot, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({
    runtime,
    dir: runtimesDir,
    invokes,
    runtimeCpuMsPerInvoke: r2(rtCpu / invokes),
    serverCpuMsPerInvoke: r2((srvUse.user + srvUse.system) / 1000 / invokes),
    wallMsPerInvoke: r2(wallMs / invokes),
    idleRssKiB: mem.rss,
    idlePssKiB: mem.pss,
    coldP50Ms: r2(median(cold)),
    bindToNextP50Ms: r2(median(pre)),
  }) + '\n',
);
