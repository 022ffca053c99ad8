import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { LaunchedProcess } from './launched-process.js';

/** The helper's script: under src/ in both layouts (like the native init's C source). */
const HELPER = fileURLToPath(new URL('../../../src/sandbox/spawner/spawn-helper-main.mjs', import.meta.url));

interface Pending {
  resolve(pid: number): void;
  reject(err: Error): void;
}

/** What the helper reports about a launcher, in order: its pipes, its pid, its sandbox's pid, its exit. */
interface LaunchMessage {
  id: number;
  stream?: 'stdout' | 'stderr';
  pid?: number;
  initPid?: number;
  exit?: { code: number | null; signal: NodeJS.Signals | null };
  error?: string;
}

/**
 * Starts helper processes of sandboxes (network-namespace holders, slirp4netns) through a small
 * long-lived spawner process instead of the server itself (spawn-helper-main.mjs says why). The
 * server still owns them by pid; they end with the spawner, which ends with the server.
 */
export class SpawnHelper {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  /**
   * Launchers until they exit (`launch`): their messages go to their LaunchedProcess. While there
   * are any, the IPC channel is ref'd: like a child process, a launcher keeps this process alive.
   */
  readonly #launched = new Map<number, LaunchedProcess>();
  #next = 0;
  #dead: Error | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (msg: { id?: number; pid?: number; error?: string }, handle?: Socket) => {
      if (msg.id === undefined) return;
      const launched = this.#launched.get(msg.id);
      if (launched) return this.#onLaunchMessage(launched, msg as LaunchMessage, handle);
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.pid !== undefined) p.resolve(msg.pid);
      else p.reject(new Error(msg.error ?? 'spawn failed'));
    });
    child.once('exit', (code, signal) => {
      this.#dead = new Error(`the spawner helper exited (${code ?? signal})`);
      for (const p of this.#pending.values()) p.reject(this.#dead);
      this.#pending.clear();
      // Their launchers die with the helper (bwrap's --die-with-parent): said as a kill.
      for (const l of this.#launched.values()) l.failed(this.#dead);
      this.#launched.clear();
    });
    // Neither the process nor its channel keeps the server (or a test) running.
    child.unref();
    this.#channel()?.unref?.();
  }

  /** Starts the spawner and waits for its first message; rejects when it cannot run. */
  static start(timeoutMs = 10_000): Promise<SpawnHelper> {
    // No loader flags: the script is plain JavaScript, and the server's own flags (heap sizes,
    // inspector) are not the helper's.
    const child = fork(HELPER, [], { execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the spawner helper did not start in time')); }, timeoutMs);
      child.once('message', () => { clearTimeout(timer); resolve(new SpawnHelper(child)); });
      child.once('error', (err) => { clearTimeout(timer); reject(err); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the spawner helper exited (${code})`)); });
    });
  }

  /** Spawns `file` with an empty environment; resolves with its pid once it wrote to `readyFd`. */
  spawnReady(file: string, args: readonly string[], stdio: StdioOptions, readyFd: number): Promise<number> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#child.send({ id, op: 'spawn', file, args, stdio, readyFd });
    });
  }

  /**
   * Starts a sandbox launcher (the native init execing bwrap: fd 3 bwrap's info fd, fd 4 the seccomp
   * program) from the helper, so the fork does not copy the server's page tables on its event loop
   * (measured: a spawn from a process of ~380 MB resident takes ~11 ms there, ~0.9 ms from the
   * helper). Resolves once it runs, with its output pipes handed over unread.
   */
  launch(file: string, args: readonly string[], env: NodeJS.ProcessEnv, seccomp: Buffer): Promise<LaunchedProcess> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = ++this.#next;
    const launched = new LaunchedProcess((signal) => {
      if (!this.#dead && this.#child.connected && launched.pid !== undefined) this.#child.send({ op: 'kill', pid: launched.pid, signal });
    });
    this.#launched.set(id, launched);
    if (this.#launched.size === 1) this.#channel()?.ref?.();
    this.#child.send({ id, op: 'launch', file, args, env, seccomp: seccomp.toString('base64') });
    return launched.started;
  }

  #channel(): { ref?: () => void; unref?: () => void } | undefined {
    return this.#child.channel as { ref?: () => void; unref?: () => void } | undefined;
  }

  #forget(id: number): void {
    if (this.#launched.delete(id) && this.#launched.size === 0) this.#channel()?.unref?.();
  }

  #onLaunchMessage(l: LaunchedProcess, msg: LaunchMessage, handle: Socket | undefined): void {
    if (msg.stream !== undefined && handle) l.attach(msg.stream, handle);
    else if (msg.pid !== undefined) l.spawned(msg.pid);
    else if (msg.initPid !== undefined) l.info(msg.initPid);
    else if (msg.exit !== undefined) {
      this.#forget(msg.id);
      l.exited(msg.exit.code, msg.exit.signal);
    } else if (msg.error !== undefined) {
      this.#forget(msg.id);
      l.failed(new Error(msg.error));
    }
  }

  /** Closes the child's `closeFds` (what tells it to exit) and SIGKILLs it. */
  stop(pid: number, closeFds: readonly number[] = []): void {
    if (!this.#dead && this.#child.connected) this.#child.send({ op: 'stop', pid, closeFds });
    else try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }

  close(): void {
    this.#child.kill('SIGTERM');
  }

  /** False once the helper has exited: the next `sharedSpawnHelper()` starts another. */
  get alive(): boolean {
    return this.#dead === undefined;
  }
}

let shared: Promise<SpawnHelper | undefined> | undefined;

/**
 * One spawner per server process, started on first use (and again if it died); undefined where
 * it cannot run (callers spawn themselves).
 */
export async function sharedSpawnHelper(): Promise<SpawnHelper | undefined> {
  // FLINT_SPAWN_HELPER=off: the server forks them itself (the bench's before/after switch).
  if (process.env['FLINT_SPAWN_HELPER'] === 'off') return undefined;
  const asked = (shared ??= SpawnHelper.start().catch(() => undefined));
  const helper = await asked;
  if (helper === undefined || helper.alive) return helper;
  if (shared === asked) shared = SpawnHelper.start().catch(() => undefined);
  return shared;
}
