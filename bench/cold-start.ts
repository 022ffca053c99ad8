/**
 * Sandbox cold start, driver level: a new sandbox → the runtime's first Runtime API request
 * (`GET /next`) → its first response (`POST /response` of a hello-world handler), per sandbox
 * driver, beside the same runtime started as a bare `node` and beside bare `node -e 0`, all with a
 * clean environment and in the same run (samples interleaved, so load drift hits all rows alike).
 * A runc row (`node -e 0` in an OCI container of the host's /usr) is the reference the bwrap
 * design was chosen against.
 *
 *   node --import tsx bench/cold-start.ts [--samples=15]
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SandboxDriver } from '../src/ports/sandbox-driver.js';
import { ProcessSandboxDriver } from '../src/sandbox/process-driver.js';
import { BwrapSandboxDriver } from '../src/sandbox/bwrap-driver.js';

const samples = Number(/--samples=(\d+)/.exec(process.argv.join(' '))?.[1] ?? 21);

/** A minimal runtime: one /next, one /response "hello", keep-alive like real runtime clients. */
const RUNTIME = `
const http = require('http');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true });
http.get({ host, port, agent, path: '/2018-06-01/runtime/invocation/next' }, (res) => {
  const id = res.headers['lambda-runtime-aws-request-id'];
  res.resume();
  res.on('end', () => {
    const req = http.request({ host, port, agent, method: 'POST', path: '/2018-06-01/runtime/invocation/' + id + '/response' }, (r) => { r.resume(); r.on('end', () => process.exit(0)); });
    req.end(JSON.stringify('hello'));
  });
});
`;

let onNext: () => void = () => {};
let onResponse: () => void = () => {};
const api = createServer((req, res) => {
  if (req.url?.endsWith('/next')) {
    onNext();
    res.writeHead(200, { 'lambda-runtime-aws-request-id': 'r1', 'lambda-runtime-deadline-ms': String(Date.now() + 60_000) });
    res.end('{}');
  } else {
    req.resume();
    req.on('end', () => { onResponse(); res.writeHead(202); res.end(); });
  }
});
await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
const apiPort = (api.address() as { port: number }).port;

const root = mkdtempSync(join(tmpdir(), 'flint-bench-sandbox-'));
const taskRoot = join(root, 'task');
mkdirSync(taskRoot, { mode: 0o755 });
writeFileSync(join(taskRoot, 'runtime.js'), RUNTIME, { mode: 0o644 });

interface Sample { next: number; response: number }

/** Starts something, resolves with the ms to first /next and to first /response. */
async function measure(start: () => Promise<() => Promise<void>>): Promise<Sample> {
  let next = 0;
  let response = 0;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    onNext = () => { next = performance.now() - t0; };
    onResponse = () => { response = performance.now() - t0; resolve(); };
  });
  const stop = await start();
  const timer = setTimeout(() => void stop(), 30_000);
  await done;
  clearTimeout(timer);
  await stop();
  return { next, response };
}

function spawnToExit(argv: string[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { env: {}, stdio: 'ignore' });
    c.on('error', reject);
    c.on('exit', () => resolve(performance.now() - t0));
  });
}

function bareRuntime(): Promise<() => Promise<void>> {
  const c = spawn(process.execPath, [join(taskRoot, 'runtime.js')], { env: { AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${apiPort}` }, stdio: 'ignore' });
  return Promise.resolve(async () => { if (c.exitCode === null) c.kill('SIGKILL'); });
}

function inDriver(driver: SandboxDriver, network: 'isolated' | 'default', argv?: string[]): () => Promise<() => Promise<void>> {
  let n = 0;
  return async () => {
    const base = { id: `bench-${++n}`, taskRoot, runtimeDir: taskRoot, layers: [] };
    const paths = driver.paths(base);
    const runtimeApi = { host: '127.0.0.1', port: apiPort };
    const sandbox = await driver.start({
      ...base,
      argv: argv ?? [process.execPath, join(paths.taskRoot, 'runtime.js')],
      env: { AWS_LAMBDA_RUNTIME_API: driver.runtimeApiAddress({ ...base, runtimeApi, network }) },
      memoryMb: 1769, ephemeralStorageMb: 512, runtimeApi, network, onOutput: () => {},
    });
    return () => sandbox.destroy();
  };
}

async function driverToExit(driver: SandboxDriver): Promise<number> {
  const t0 = performance.now();
  const sb = await driver.start({
    id: 'bench-exit', taskRoot, runtimeDir: taskRoot, layers: [], argv: [process.execPath, '-e', '0'], env: {},
    memoryMb: 1769, ephemeralStorageMb: 512, runtimeApi: { host: '127.0.0.1', port: apiPort }, network: 'isolated', onOutput: () => {},
  });
  await sb.exited;
  const ms = performance.now() - t0;
  await sb.destroy();
  return ms;
}

/**
 * An OCI bundle (runc's default spec: its namespaces, capabilities, masked paths) whose read-only
 * root holds only the host's /usr, like the bwrap sandbox: `runc run` of `node -e 0`.
 */
function runcBundle(): string | undefined {
  if (spawnSync('runc', ['--version']).status !== 0) return undefined;
  const bundle = join(root, 'runc');
  const rootfs = join(bundle, 'rootfs');
  for (const d of ['usr', 'proc', 'dev', 'sys', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  for (const l of ['bin', 'lib', 'lib64']) symlinkSync(`usr/${l}`, join(rootfs, l));
  if (spawnSync('runc', ['spec'], { cwd: bundle }).status !== 0) return undefined;
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.root = { path: 'rootfs', readonly: true };
  spec.process.terminal = false;
  spec.process.args = [process.execPath, '-e', '0'];
  spec.process.env = ['PATH=/usr/bin:/bin'];
  spec.mounts = spec.mounts.filter((m: { destination: string }) => m.destination !== '/sys/fs/cgroup');
  spec.mounts.push({ destination: '/usr', type: 'bind', source: '/usr', options: ['rbind', 'ro'] });
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  return spawnSync('runc', ['run', '--bundle', bundle, `flint-bench-${process.pid}-probe`], { stdio: 'ignore', env: {} }).status === 0 ? bundle : undefined;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

const processDriver = new ProcessSandboxDriver({ scratchDir: join(root, 'process') });
const bwrap = new BwrapSandboxDriver();
const bwrapCap = await bwrap.probe();
const bundle = runcBundle();
const rows = {
  'node -e 0 (bare)': [] as number[],
  'node -e 0 in bwrap driver': [] as number[],
  'node -e 0 in runc': [] as number[],
};
const runtimes: Record<string, Sample[]> = { 'bare node': [], process: [] };
if (bwrapCap.available) { runtimes['bwrap isolated'] = []; runtimes['bwrap default (slirp4netns)'] = []; }
let runcN = 0;
// Each sample runs every row once, in a fresh random order, so background work (the namespace
// pool refilling, other processes on the host) does not always land on the same row.
const tasks: (() => Promise<void>)[] = [
  async () => { rows['node -e 0 (bare)'].push(await spawnToExit([process.execPath, '-e', '0'])); },
  async () => { runtimes['bare node']!.push(await measure(bareRuntime)); },
  async () => { runtimes['process']!.push(await measure(inDriver(processDriver, 'default'))); },
];
if (bwrapCap.available) {
  tasks.push(async () => { rows['node -e 0 in bwrap driver'].push(await driverToExit(bwrap)); });
  tasks.push(async () => { runtimes['bwrap isolated']!.push(await measure(inDriver(bwrap, 'isolated'))); });
  tasks.push(async () => { runtimes['bwrap default (slirp4netns)']!.push(await measure(inDriver(bwrap, 'default'))); });
}
if (bundle) {
  tasks.push(async () => {
    const t0 = performance.now();
    spawnSync('runc', ['run', '--bundle', bundle, `flint-bench-${process.pid}-${++runcN}`], { stdio: 'ignore', env: {} });
    rows['node -e 0 in runc'].push(performance.now() - t0);
  });
}
for (let i = 0; i < samples; i++) {
  const order = tasks.map((t) => ({ t, k: Math.random() })).sort((a, b) => a.k - b.k);
  for (const { t } of order) {
    await t();
    await new Promise((r) => setTimeout(r, 200)); // let the previous row's cleanup and refills settle
  }
}

const floor = median(rows['node -e 0 (bare)']);
const bareNext = median(runtimes['bare node']!.map((s) => s.next));
const bareResp = median(runtimes['bare node']!.map((s) => s.response));
const f = (x: number) => x.toFixed(1).padStart(7);
const r = (x: number, base: number) => `${(x / base).toFixed(2)}×`.padStart(7);
const lines: string[] = [];
lines.push(`samples per row: ${samples}; machine load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
lines.push('');
lines.push('| start → exit                 | median ms | × bare |');
lines.push('|------------------------------|----------:|-------:|');
for (const [name, xs] of Object.entries(rows)) {
  if (xs.length === 0) { lines.push(`| ${name.padEnd(28)} | skipped   |        |`); continue; }
  lines.push(`| ${name.padEnd(28)} | ${f(median(xs))}   | ${r(median(xs), floor)} |`);
}
lines.push('');
lines.push('| runtime start → first /next, → first /response | /next ms | × bare | /response ms | × bare |');
lines.push('|------------------------------------------------|---------:|-------:|-------------:|-------:|');
for (const [name, xs] of Object.entries(runtimes)) {
  const n = median(xs.map((s) => s.next));
  const resp = median(xs.map((s) => s.response));
  lines.push(`| ${name.padEnd(46)} | ${f(n)}  | ${r(n, bareNext)} | ${f(resp)}      | ${r(resp, bareResp)} |`);
}
if (!bwrapCap.available) lines.push(`\nbwrap skipped: ${bwrapCap.reason}`);
if (!bundle) lines.push('runc skipped: not installed or not usable here');
process.stdout.write(lines.join('\n') + '\n');

api.close();
rmSync(root, { recursive: true, force: true });
