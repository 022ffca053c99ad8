import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ensureNativeHelper } from './native-init.js';

/** The C source, reached through src/ from both src/sandbox and dist/sandbox (like flint-sandbox-init). */
export const MOUNT_INTO_SOURCE = fileURLToPath(new URL('../../src/sandbox/init/flint-mount-into.c', import.meta.url));

/** Longest a bind may take before it counts as failed (it normally takes a few ms). */
const RUN_TIMEOUT_MS = 10_000;

export type MountIntoHelper = { ok: true; helper: MountInto } | { ok: false; reason: string };

interface Pending { line: string; retried: boolean; resolve(): void; reject(err: Error): void; timer: NodeJS.Timeout }

/**
 * The host side of binding a pre-initialized bwrap sandbox: flint-mount-into clones a host
 * directory's mount tree (open_tree) or builds an overlay of several (fsopen/fsmount), makes it
 * read-only, nosuid and nodev (mount_setattr), joins the sandbox's mount namespace and attaches it
 * at a path inside (move_mount). Nothing is ever mounted in the host's namespace, and a mount
 * that was not attached vanishes with the helper's process.
 *
 * One helper process (`--serve`) runs per driver and forks a child per bind: spawning a process
 * from the Flint server measured ~15-20 ms on a busy host, a request to the running helper well
 * under one. If it dies, a new one starts and takes over the requests it left unanswered (once
 * each: a bind it did complete then fails as "already mounted"); it dies with the server.
 */
export class MountInto {
  readonly path: string;
  #server: ChildProcessByStdio<Writable, Readable, null> | undefined;
  readonly #pending = new Map<number, Pending>();
  #next = 0;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Builds the helper into `binDir` (once per source version) unless `prebuilt` names one, and
   * checks the kernel lets it work (the same syscalls in a private mount namespace of its own);
   * says why not otherwise (no C compiler, a kernel without the new mount API, no privilege).
   */
  static async prepare(binDir: string, prebuilt?: string): Promise<MountIntoHelper> {
    let path = prebuilt;
    if (path === undefined) {
      const built = ensureNativeHelper(MOUNT_INTO_SOURCE, 'flint-mount-into', binDir);
      if (!built.ok) return built;
      path = built.path;
    }
    try {
      await probe(path, binDir);
      const helper = new MountInto(path);
      // Started now, so the first bind does not wait for it.
      helper.#ensureServer();
      return { ok: true, helper };
    } catch (err) {
      return { ok: false, reason: `flint-mount-into does not work here: ${(err as Error).message}` };
    }
  }

  /**
   * Mounts each host `source` (or `overlay=<lower>:<lower>...`) read-only at `target` (a path
   * inside the sandbox) in the mount namespace of the sandbox process `pid`. Rejects with the
   * helper's reason; a sandbox it failed for may hold some of the mounts and must be destroyed.
   */
  run(pid: number, mounts: ReadonlyArray<readonly [source: string, target: string]>): Promise<void> {
    const fields = [String(pid), ...mounts.flat()];
    const bad = fields.find((f) => /[\t\n]/.test(f));
    if (bad !== undefined) return Promise.reject(new Error(`path not usable for a bind: ${JSON.stringify(bad)}`));
    const server = this.#ensureServer();
    const id = ++this.#next;
    const line = `${id}\t${fields.join('\t')}\n`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer within ${RUN_TIMEOUT_MS} ms`));
        // Stuck: a fresh helper takes over the other requests.
        if (this.#server) this.#gone(this.#server, new Error('flint-mount-into stopped answering'));
      }, RUN_TIMEOUT_MS);
      this.#pending.set(id, { line, retried: false, resolve, reject, timer });
      server.stdin.write(line);
    });
  }

  #ensureServer(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.#server) return this.#server;
    const server = spawn(this.path, ['--serve'], { stdio: ['pipe', 'pipe', 'ignore'], env: {} });
    this.#server = server;
    // Answers still arriving from a helper that died meanwhile are as good as any.
    let partial = '';
    server.stdout.setEncoding('utf8').on('data', (chunk: string) => { partial = this.#answers(partial + chunk); });
    server.stdin.on('error', () => {});
    server.once('error', (err) => this.#gone(server, err));
    server.once('exit', (code, signal) => this.#gone(server, new Error(`flint-mount-into exited (${code ?? signal})`)));
    // It must not keep the server process alive on its own.
    server.unref();
    (server.stdin as unknown as { unref?(): void }).unref?.();
    (server.stdout as unknown as { unref?(): void }).unref?.();
    return server;
  }

  /** Settles the requests answered in `text`; returns its unfinished last line. */
  #answers(text: string): string {
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      const line = text.slice(0, nl);
      text = text.slice(nl + 1);
      const m = /^(\d+) (ok|error)(?: (.*))?$/.exec(line);
      const p = m ? this.#pending.get(Number(m[1])) : undefined;
      if (!m || !p) continue;
      this.#pending.delete(Number(m[1]));
      clearTimeout(p.timer);
      if (m[2] === 'ok') p.resolve();
      else p.reject(new Error(m[3] ?? 'failed'));
    }
    return text;
  }

  /**
   * The helper died or hangs: a new one takes over what is still unanswered (a request sent to a
   * dead helper was never read); a request that already had its second chance fails.
   */
  #gone(server: ChildProcessByStdio<Writable, Readable, null>, why: Error): void {
    if (this.#server !== server) return;
    this.#server = undefined;
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    for (const [id, p] of this.#pending) {
      if (!p.retried) { p.retried = true; continue; }
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(why);
    }
    if (this.#pending.size === 0) return;
    const next = this.#ensureServer();
    for (const p of this.#pending.values()) next.stdin.write(p.line);
  }
}

/** The start-up check: `--probe DIR` exits 0 when every syscall a bind needs works here. */
function probe(path: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(path, ['--probe', dir], { timeout: RUN_TIMEOUT_MS, env: {} }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const why = stderr.trim().split('\n').pop() || (err.killed ? 'timed out' : err.message);
      reject(new Error(why.replace(/^flint-mount-into: /, '')));
    });
  });
}
