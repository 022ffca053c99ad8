import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The helper's script: under src/ in both layouts (like the native init's C source). */
const HELPER = fileURLToPath(new URL('../../../src/sandbox/spawner/spawn-helper-main.mjs', import.meta.url));

interface Pending {
  resolve(pid: number): void;
  reject(err: Error): void;
}

/**
 * Starts helper processes of sandboxes (network-namespace holders, slirp4netns) through a small
 * long-lived spawner process instead of the server itself (spawn-helper-main.mjs says why). The
 * server still owns them by pid; they end with the spawner, which ends with the server.
 */
export class SpawnHelper {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #dead: Error | undefined;

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (msg: { id?: number; pid?: number; error?: string }) => {
      if (msg.id === undefined) return;
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
    });
    // Neither the process nor its channel keeps the server (or a test) running.
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
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

  /** Closes the child's `closeFds` (what tells it to exit) and SIGKILLs it. */
  stop(pid: number, closeFds: readonly number[] = []): void {
    if (!this.#dead && this.#child.connected) this.#child.send({ op: 'stop', pid, closeFds });
    else try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }

  close(): void {
    this.#child.kill('SIGTERM');
  }
}

let shared: Promise<SpawnHelper | undefined> | undefined;

/** One spawner per server process, started on first use; undefined where it cannot run (callers spawn themselves). */
export function sharedSpawnHelper(): Promise<SpawnHelper | undefined> {
  // FLINT_SPAWN_HELPER=off: the server forks them itself (the bench's before/after switch).
  shared ??= process.env['FLINT_SPAWN_HELPER'] === 'off' ? Promise.resolve(undefined) : SpawnHelper.start().catch(() => undefined);
  return shared;
}
