import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

/**
 * A sandbox launcher started by the spawner helper (spawn-helper.ts), seen from the server as
 * much like a ChildProcess as the bwrap sandbox needs: its pid, exit code or signal, 'exit' and
 * 'close' (once its output pipes have ended too, as a ChildProcess's 'close'), `kill`, the two
 * output pipes (handed over by the helper, unread), and the pid bwrap reported on its info fd.
 */
export class LaunchedProcess extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  stdout: Socket | null = null;
  stderr: Socket | null = null;
  /** Resolves once the launcher runs (its pipes are here by then: the helper sends them first). */
  readonly started: Promise<LaunchedProcess>;
  /** The sandbox's first process (bwrap's info fd); rejects when the launcher exits before it. */
  readonly initPid: Promise<number>;
  readonly #kill: (signal: NodeJS.Signals) => void;
  #start!: { resolve(p: LaunchedProcess): void; reject(err: Error): void };
  #info!: { resolve(pid: number): void; reject(err: Error): void };
  #openPipes = 0;
  #exited = false;
  #closed = false;

  constructor(kill: (signal: NodeJS.Signals) => void) {
    super();
    this.#kill = kill;
    this.started = new Promise((resolve, reject) => { this.#start = { resolve, reject }; });
    this.initPid = new Promise((resolve, reject) => { this.#info = { resolve, reject }; });
    // Nobody may be waiting for the info pid (a launcher that fails at once): not an unhandled rejection.
    this.initPid.catch(() => {});
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.#exited || this.pid === undefined) return false;
    this.#kill(signal);
    return true;
  }

  attach(stream: 'stdout' | 'stderr', socket: Socket): void {
    // A pipe's read end: the socket's attempt to shut down a write side it does not have, when
    // the pipe ends, is no error of the sandbox's.
    socket.on('error', () => {});
    this.#openPipes++;
    socket.once('close', () => {
      this.#openPipes--;
      this.#maybeClose();
    });
    this[stream] = socket;
  }

  spawned(pid: number): void {
    this.pid = pid;
    this.#start.resolve(this);
  }

  info(initPid: number): void {
    this.#info.resolve(initPid);
  }

  exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    // The helper's messages can arrive together (pipes, pid, info, exit of a launcher that failed
    // at once) and are emitted in one go: the exit waits a turn of the event loop, so whoever
    // awaited the start has attached its listeners by then, as with a ChildProcess.
    setImmediate(() => {
      this.exitCode = code;
      this.signalCode = signal;
      this.#info.reject(new Error(`bwrap exited (${code ?? signal}) before the sandbox started`));
      this.emit('exit', code, signal);
      this.#maybeClose();
    });
  }

  /** The helper could not start it, or died (taking the launcher with it: --die-with-parent). */
  failed(err: Error): void {
    this.#start.reject(err);
    if (this.pid !== undefined) this.exited(null, 'SIGKILL');
    else this.#info.reject(err);
  }

  #maybeClose(): void {
    if (this.exitCode === null && this.signalCode === null || this.#openPipes > 0 || this.#closed) return;
    this.#closed = true;
    this.emit('close', this.exitCode, this.signalCode);
  }
}
