import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, lstatSync } from 'node:fs';
import { mkdir, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { directEndpoint, withFlintCa, type FlintCaFiles } from './flint-api-access.js';
import { RunQueueWait } from './run-queue-wait.js';
import type { Sandbox, SandboxCapability, SandboxDriver, SandboxExit, SandboxPaths, SandboxSpec, UnboundSandbox, UnboundSandboxSpec } from '../ports/sandbox-driver.js';

/**
 * The `process` sandbox: a plain child process on the host, for development and for hosts where no
 * isolating driver works. Nothing is isolated — the code sees the host file system and network.
 *
 * Host paths (per environment, under `scratchDir/<id>/`):
 *   task root → the code store's extracted directory itself (shared, not copied)
 *   /opt      → `<id>/opt`, the layers merged by symlinks (later layers win, as Lambda extracts them in order)
 *   /tmp      → `<id>/tmp` (TMPDIR points there)
 *   runtime   → Flint's bootstrap directory itself
 *
 * Memory: a watchdog reads the tree's resident size from /proc every `memoryPollMs` and kills the
 * process group when it passes the function's MemorySize — the stand-in for a cgroup limit, so
 * `oomKilled` is the watchdog's own evidence.
 */
export class ProcessSandboxDriver implements SandboxDriver {
  readonly name = 'process';
  readonly #scratch: string;
  readonly #memoryPollMs: number;
  readonly #flintCa: FlintCaFiles | undefined;

  /** `flintCa`: Flint's CA when its API is HTTPS; the code reads it at its host path. */
  constructor(opts: { scratchDir: string; memoryPollMs?: number; flintCa?: FlintCaFiles }) {
    this.#scratch = opts.scratchDir;
    this.#memoryPollMs = opts.memoryPollMs ?? 100;
    this.#flintCa = opts.flintCa;
  }

  async probe(): Promise<SandboxCapability> {
    // Plain host processes: the host's network as it is, no cgroups; runtimes start ahead in the runtime directory.
    return { available: true, isolated: false, features: { preInitialized: true, networkModes: ['default'], outbound: true } };
  }

  paths(spec: Pick<SandboxSpec, 'id' | 'taskRoot' | 'runtimeDir' | 'layers'>): SandboxPaths {
    const dir = this.#dir(spec.id);
    return { taskRoot: spec.taskRoot, opt: join(dir, 'opt'), runtimeDir: spec.runtimeDir, tmp: join(dir, 'tmp') };
  }

  /** Nothing isolates the process: it calls Flint's address on the host as it is. */
  connectFlintApi(endpoint: string): string {
    return directEndpoint(endpoint);
  }

  runtimeApiAddress(spec: Pick<SandboxSpec, 'id' | 'runtimeApi' | 'network'>): string {
    return `${spec.runtimeApi.host}:${spec.runtimeApi.port}`;
  }

  async start(spec: SandboxSpec): Promise<Sandbox> {
    return this.#spawn(spec, spec.taskRoot);
  }

  /**
   * A runtime started before its function is known: it runs in the runtime directory until `bind`
   * merges the layers into its /opt and names the code directory (the runtime changes into it).
   */
  async startUnbound(spec: UnboundSandboxSpec): Promise<UnboundSandbox> {
    const sandbox = await this.#spawn({ ...spec, taskRoot: spec.runtimeDir, layers: [] }, spec.runtimeDir);
    let bound = false;
    return Object.assign(sandbox, {
      bind: async (code: Pick<SandboxSpec, 'taskRoot' | 'layers'>): Promise<SandboxPaths> => {
        if (bound) throw new Error(`sandbox ${spec.id} is already bound`);
        bound = true;
        const paths = this.paths({ ...spec, ...code });
        await mergeLayers(paths.opt, code.layers);
        return paths;
      },
    });
  }

  async #spawn(spec: SandboxSpec, cwd: string): Promise<ProcessSandbox> {
    const paths = this.paths(spec);
    const dir = this.#dir(spec.id);
    await mkdir(paths.tmp, { recursive: true, mode: 0o700 });
    await mkdir(paths.opt, { recursive: true });
    await mergeLayers(paths.opt, spec.layers);
    const [file, ...args] = spec.argv;
    if (!file) throw new Error('sandbox: empty argv');
    const child = spawn(file, args, {
      cwd,
      // A clean environment: nothing of Flint's own leaks in (NODE_OPTIONS, NODE_EXTRA_CA_CERTS, ...).
      env: { ...withFlintCa(spec.env, this.#flintCa), TMPDIR: paths.tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so destroy() reaches every process the function started.
      detached: true,
    });
    // Watched from the moment it exists: a runtime that fails its init can exit (and its pipes
    // close) during the awaits below, and a 'close' listened for afterwards would never come.
    const watched = watchChild(child, spec.onOutput);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    }).catch(async (err: NodeJS.ErrnoException) => {
      await rm(dir, { recursive: true, force: true });
      throw err;
    });
    await writeFile(join(dir, 'pid'), `${child.pid} ${processStartTime(child.pid!) ?? ''}\n`);
    return new ProcessSandbox(spec, child.pid!, watched, dir, this.#memoryPollMs);
  }

  /** Kills process groups a crashed server left running (checked by start time, so a reused pid is safe) and removes their scratch dirs. */
  async reapOrphans(): Promise<void> {
    const entries = await readdir(this.#scratch).catch(() => [] as string[]);
    for (const id of entries) {
      const dir = join(this.#scratch, id);
      try {
        const [pid, started] = readFileSync(join(dir, 'pid'), 'utf8').trim().split(' ');
        if (pid && started && processStartTime(Number(pid)) === started) process.kill(-Number(pid), 'SIGKILL');
      } catch {
        // No pid file or the process is gone.
      }
      await rm(dir, { recursive: true, force: true });
    }
  }

  #dir(id: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`sandbox: bad id ${id}`);
    return join(this.#scratch, id);
  }
}

class ProcessSandbox implements Sandbox {
  readonly id: string;
  readonly pid: number;
  readonly runtimeApiAddress: string;
  readonly exited: Promise<SandboxExit>;
  readonly #dir: string;
  readonly #limitBytes: number;
  #peak = 0;
  #oomKilled = false;
  #alive = true;
  #watchdog: NodeJS.Timeout;
  #wait: RunQueueWait | undefined;

  constructor(spec: SandboxSpec, pid: number, closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>, dir: string, pollMs: number) {
    this.id = spec.id;
    this.pid = pid;
    this.runtimeApiAddress = `${spec.runtimeApi.host}:${spec.runtimeApi.port}`;
    this.#dir = dir;
    this.#limitBytes = spec.memoryMb * 1024 * 1024;
    this.exited = closed.then(({ code, signal }) => {
      this.#alive = false;
      clearInterval(this.#watchdog);
      this.#wait?.close();
      return { code, signal, oomKilled: this.#oomKilled };
    });
    this.#watchdog = setInterval(() => this.#checkMemory(), pollMs);
    this.#watchdog.unref();
  }

  /**
   * Read at the end of every invocation, so it is cheap: the watchdog's peak for the tree plus the
   * runtime process's resident size now (one small /proc read, no walk of the tree, no parsing of
   * /proc/<pid>/status).
   */
  maxMemoryBytes(): number | undefined {
    if (this.#alive) this.#peak = Math.max(this.#peak, statmRssBytes(this.pid));
    return this.#peak || undefined;
  }

  runQueueWaitMs(): number | undefined {
    if (!this.#alive) return undefined;
    this.#wait ??= new RunQueueWait(this.pid);
    return this.#wait.ms();
  }

  /** The spawned process is the main one (the runtime, or the launcher in front of it). */
  signalMain(signal: 'SIGTERM' | 'SIGUSR1'): void {
    if (!this.#alive) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  async destroy(): Promise<void> {
    if (this.#alive) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      await this.exited;
    }
    clearInterval(this.#watchdog);
    await rm(this.#dir, { recursive: true, force: true });
  }

  /** The process shares the host's network: its loopback is the host's. */
  connect(port: number): Socket {
    return connect(port, '127.0.0.1');
  }

  #ticks = 0;

  #checkMemory(): void {
    // The runtime's own resident size on every tick (one small /proc read); the whole tree's every
    // 10th tick or when the runtime alone is past half the limit. Walking every environment's tree
    // at 10 Hz was a third of the server's CPU with 32 idle environments (bench profile).
    const own = statmRssBytes(this.pid);
    const rss = ++this.#ticks % 10 === 0 || own > this.#limitBytes / 2 ? treeRssBytes(this.pid) : own;
    this.#peak = Math.max(this.#peak, rss);
    if (rss > this.#limitBytes && this.#alive && !this.#oomKilled) {
      this.#oomKilled = true;
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // Exited meanwhile.
      }
    }
  }
}

/**
 * Forwards the child's output and resolves once it has closed. Lambda ends the whole environment
 * when the runtime exits, so its leftover children are killed with it (they would otherwise hold
 * the output pipes open and 'close' would never come).
 */
function watchChild(child: ChildProcess, onOutput: SandboxSpec['onOutput']): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  child.stdout!.on('data', (c: Buffer) => onOutput(c, 'stdout'));
  child.stderr!.on('data', (c: Buffer) => onOutput(c, 'stderr'));
  child.once('exit', () => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // The group is already empty.
    }
  });
  // 'close' (not 'exit'): every byte of output has been delivered by then.
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
}

const PAGE_SIZE = 4096;

/** Resident bytes of one process from /proc/<pid>/statm (pages; no text parsing of status). */
function statmRssBytes(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'latin1').split(' ')[1]) * PAGE_SIZE;
  } catch {
    return 0;
  }
}

/** Resident bytes of a process and its descendants (via /proc/<pid>/task/<tid>/children). */
function treeRssBytes(pid: number): number {
  let total = 0;
  const stack = [pid];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (seen.has(p)) continue;
    seen.add(p);
    total += statusKb(p, 'VmRSS') * 1024;
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        for (const c of readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').split(' ')) if (c.trim()) stack.push(Number(c));
      }
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

function statusKb(pid: number, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot (tells a reused pid apart). */
function processStartTime(pid: number): string | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Merges layer directories into `target` with symlinks. A name only one layer provides (or whose
 * last provider is a file) is linked whole; a directory several layers provide is created and
 * merged one level down, so a layer with a big node_modules costs one symlink, not thousands.
 */
async function mergeLayers(target: string, layers: readonly string[]): Promise<void> {
  const names = new Map<string, string[]>();
  for (const layer of layers) {
    if (!existsSync(layer)) continue;
    for (const name of await readdir(layer)) {
      const list = names.get(name) ?? [];
      list.push(join(layer, name));
      names.set(name, list);
    }
  }
  for (const [name, providers] of names) {
    const last = providers[providers.length - 1]!;
    const lastIsDir = (await stat(last).catch(() => undefined))?.isDirectory() ?? false;
    if (!lastIsDir || providers.length === 1) {
      await symlink(last, join(target, name));
      continue;
    }
    // Only the directories after the last plain file (a file hides what came before it).
    const dirs: string[] = [];
    for (const p of providers) {
      if (lstatSync(p).isDirectory() || (await stat(p).catch(() => undefined))?.isDirectory()) dirs.push(p);
      else dirs.length = 0;
    }
    await mkdir(join(target, name));
    await mergeLayers(join(target, name), dirs);
  }
}
