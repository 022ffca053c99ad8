import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A Node child process speaking the bench's IPC protocol: `{ready: ...}` once, then `{id, ...}` replies. */
export interface BenchChild<Ready> {
  readonly pid: number;
  readonly ready: Ready;
  /** Sends `{id, ...msg}` and resolves with the child's reply carrying the same id. */
  request<R>(msg: Record<string, unknown>, timeoutMs?: number): Promise<R>;
  /** The last lines the child wrote to stderr (for skip reasons). */
  stderrTail(): string;
  /** Undefined while it runs; otherwise how it ended and the end of its stderr. */
  death(): string | undefined;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface ChildOptions {
  /** `taskset -c` CPU list; unpinned when undefined. */
  cpus?: string;
  args?: string[];
  /** Extra Node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}

const started = new Set<ChildProcess>();
// The bench never leaves its children behind, even when a section throws or it is killed: SIGTERM
// (not SIGKILL) so a Flint server stops its environments first. Children also stop by themselves
// when the IPC channel closes (serveRequests).
process.on('exit', () => {
  for (const c of started) if (c.exitCode === null && c.pid) try { process.kill(c.pid, 'SIGTERM'); } catch { /* gone */ }
});

/** Starts `bench/<relative>` (TypeScript, through tsx) as a pinned child and waits for its ready message. */
export async function startChild<Ready>(script: string, opts: ChildOptions = {}): Promise<BenchChild<Ready>> {
  const file = fileURLToPath(new URL(`../${script}`, import.meta.url));
  const nodeArgv = [process.execPath, ...(opts.nodeFlags ?? []), '--import', 'tsx', file, ...(opts.args ?? [])];
  const argv = opts.cpus !== undefined ? ['taskset', '-c', opts.cpus, ...nodeArgv] : nodeArgv;
  const proc = spawn(argv[0]!, argv.slice(1), {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: opts.env ?? process.env,
  });
  started.add(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => {
    started.delete(proc);
    for (const p of pending.values()) p.reject(new Error(`child ${script} exited: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    pending.clear();
    resolve();
  }));
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} not ready after ${opts.readyTimeoutMs ?? 30000} ms: ${stderr.slice(-500)}`)), opts.readyTimeoutMs ?? 30000);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited before ready (${code ?? signal}): ${stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
    proc.on('message', (m: { ready?: Ready; id?: number; error?: string }) => {
      if (m.ready !== undefined) {
        clearTimeout(timer);
        resolve(m.ready);
        return;
      }
      const p = m.id !== undefined ? pending.get(m.id) : undefined;
      if (!p) return;
      pending.delete(m.id!);
      if (m.error !== undefined) p.reject(new Error(m.error));
      else p.resolve(m);
    });
  }).catch(async (err: unknown) => {
    if (proc.exitCode === null && proc.pid) proc.kill('SIGKILL');
    await exited;
    throw err;
  });
  return {
    pid: proc.pid!,
    ready,
    request<R>(msg: Record<string, unknown>, timeoutMs = 600_000): Promise<R> {
      const id = nextId++;
      return new Promise<R>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${script}: no reply to ${JSON.stringify(msg).slice(0, 80)} in ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v as R); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        proc.send({ ...msg, id });
      });
    },
    stderrTail: () => stderr,
    death: () =>
      proc.exitCode === null && proc.signalCode === null
        ? undefined
        : `${script} ended (${proc.exitCode ?? proc.signalCode})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-4).join(' | ')}` : ' with nothing on stderr'}`,
    async stop(graceMs = 5000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** For child scripts: answer `{id, ...}` requests with a handler; errors travel back as `{id, error}`. */
export function serveRequests(handler: (msg: Record<string, unknown>) => Promise<Record<string, unknown>>): void {
  process.on('message', (msg: Record<string, unknown>) => {
    const id = msg['id'];
    handler(msg).then(
      (reply) => process.send!({ ...reply, id }),
      (err: unknown) => process.send!({ id, error: (err as Error)?.stack ?? String(err) }),
    );
  });
  // The parent's death (IPC closed) ends the child too: no orphans after a crashed bench.
  process.on('disconnect', () => process.exit(0));
}
