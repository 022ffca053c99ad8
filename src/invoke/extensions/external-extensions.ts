import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExtensionsApi, type InvokeEventInput, type ShutdownReason } from '../../runtime-api/extensions-api.js';
import type { TimerClock } from '../../ports/clock.js';
import { TelemetryApi } from '../../runtime-api/telemetry-api.js';
import { shutdownWindows, type RuntimeProcess } from './shutdown-windows.js';
import { launcherScript } from './extension-launcher.js';

/** Flint's own call, made by the launcher when an extension process (or, at shutdown, the runtime) exits (not part of Lambda's API). */
const EXITED_PATH = '/2020-01-01/extension/flint-exited';
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

export type ExtensionsInitState = { kind: 'waiting' } | { kind: 'ok' } | { kind: 'failed'; errorType: string; message: string };

/**
 * The extensions of one environment, as Lambda runs them. External ones: every executable in
 * /opt/extensions (from the layers; a later layer's file of the same name wins) is started, in
 * alphabetical order, before the runtime, with the function's environment and credentials, in the
 * same sandbox; their output is tagged so it reaches the Telemetry API as `extension` records.
 * Internal ones: any other name the runtime process registers during Init.
 *
 * Init completes when each has registered and called next once (an extension that exits first
 * fails the init with `Extension.Crash`, one that reports init/error with `Extension.InitError`);
 * an invocation ends when every INVOKE subscriber is back in next. An external extension that
 * exits after Init crashes the environment (`crashed`), as Lambda resets it.
 */
export class ExternalExtensions {
  readonly api: ExtensionsApi;
  readonly telemetry: TelemetryApi;
  readonly names: readonly string[];
  /** Marks the extensions' output lines (random per environment; see extension-launcher.ts). */
  readonly outputTag = randomBytes(6).toString('hex');
  readonly #clock: TimerClock;
  readonly #exited = new Map<string, number>();
  readonly #waiters = new Set<() => void>();
  #initDone = false;
  #shuttingDown = false;
  #runtimeExitReported: (() => void) | undefined;
  /** Told when an extension completed its registration (Lambda's EXTENSION line in the log stream). */
  onReady: ((e: { name: string; state: string; events: readonly string[] }) => void) | undefined;
  /**
   * Told when an external extension exits after Init (Lambda then resets the environment), with
   * rapid's error type: `Extension.ExitError` after it posted exit/error, else `Extension.Crash`.
   */
  onCrash: ((name: string, code: number, errorType: 'Extension.Crash' | 'Extension.ExitError') => void) | undefined;

  constructor(layerDirs: readonly string[], info: ConstructorParameters<typeof ExtensionsApi>[0], clock: TimerClock) {
    this.names = extensionNames(layerDirs);
    this.#clock = clock;
    this.api = new ExtensionsApi(info, this.names);
    this.telemetry = new TelemetryApi(clock, (req, res) => this.api.extensionOf(req, res));
    this.api.listen({
      changed: () => this.#notify(),
      ready: (e) => {
        this.telemetry.emit('platform', 'platform.extension', { name: e.name, state: 'Ready', events: e.events });
        this.onReady?.({ name: e.name, state: 'Ready', events: e.events });
      },
    });
  }

  /** Whether there are external extensions to start (none: the runtime starts as before). */
  get present(): boolean {
    return this.names.length > 0;
  }

  /** Whether the environment has any extension, external or internal (known for good once Init ended). */
  get active(): boolean {
    return this.present || this.api.registered > 0;
  }

  /** The runtime's argv behind the launcher that first starts each external extension (extension-launcher.ts). */
  wrap(argv: readonly string[], optDir: string): string[] {
    return ['/bin/sh', '-c', launcherScript(this.names, optDir, this.outputTag, EXITED_PATH), 'flint-extensions', ...argv];
  }

  /** Serves Flint's exit reports; everything else goes to the Telemetry/Logs and Extensions APIs. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if ((req.url ?? '').startsWith(EXITED_PATH) && req.method === 'POST') {
      req.resume();
      const q = new URL(req.url!, 'http://x').searchParams;
      const code = Number(q.get('code') ?? 1);
      res.writeHead(202, { 'content-length': 0 });
      res.end();
      if (q.get('runtime') === '1') {
        this.#runtimeExitReported?.();
        return true;
      }
      const name = String(req.headers['lambda-extension-name'] ?? '');
      this.#exited.set(name, code);
      if (this.#initDone && !this.#shuttingDown) this.onCrash?.(name, code, this.api.errorOf(name)?.kind === 'exit' ? 'Extension.ExitError' : 'Extension.Crash');
      this.#notify();
      return true;
    }
    return this.telemetry.handle(req, res) || this.api.handle(req, res);
  }

  /** Where the extensions' init stands. */
  initState(): ExtensionsInitState {
    const reported = this.api.reportedError;
    if (reported) return { kind: 'failed', errorType: 'Extension.InitError', message: `Extension ${reported.name} reported an init error: ${reported.errorType}` };
    for (const [name, code] of this.#exited) {
      if (this.api.readyNames.has(name)) continue;
      // The shell's 126/127 before any registration: the file could not be executed (a missing
      // interpreter, a binary for another architecture) — rapid's Extension.LaunchError.
      if ((code === 126 || code === 127) && !this.api.isRegistered(name)) return { kind: 'failed', errorType: 'Extension.LaunchError', message: `Extension ${name} could not be launched (exit code ${code})` };
      return { kind: 'failed', errorType: 'Extension.Crash', message: `Extension ${name} exited with code ${code} before completing its init` };
    }
    if (this.names.some((n) => !this.api.isRegistered(n)) || this.api.readyCount < this.api.registered) return { kind: 'waiting' };
    return { kind: 'ok' };
  }

  /** Init ended: registrations and subscriptions close; a later exit is a crash. */
  endInit(): void {
    this.#initDone = true;
    this.api.closeRegistration();
    this.telemetry.endInit();
  }

  /** Resolves when `check` holds, re-checked at each change of the extensions. */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => {
      const w = () => {
        if (!check()) return;
        this.#waiters.delete(w);
        resolve();
      };
      this.#waiters.add(w);
    });
  }

  invoke(ev: InvokeEventInput): void {
    this.api.invoke(ev);
  }

  /** Resolves once every INVOKE subscriber is back in next (or exited). */
  afterInvoke(): Promise<void> {
    return this.until(() => this.api.idle('INVOKE'));
  }

  /**
   * Lambda's Shutdown phase (shutdown-windows.ts): with no extension registered nothing happens
   * (the caller kills the sandbox at once). Otherwise the runtime gets SIGTERM and its share of the
   * window, then SIGKILL; external SHUTDOWN subscribers get the event with the reason and the
   * window's deadline, and the window ends early once every external extension exited. The caller
   * then kills the sandbox (Lambda's SIGKILL to whatever is left).
   */
  async shutdown(reason: ShutdownReason, runtime: RuntimeProcess): Promise<void> {
    if (this.api.registered === 0) return;
    this.#shuttingDown = true;
    const w = shutdownWindows(this.api.externalCount, this.api.internalCount);
    const start = this.#clock.now();
    const runtimeGone = new Promise<void>((resolve) => {
      this.#runtimeExitReported = resolve;
      void runtime.exited.then(() => resolve());
    });
    runtime.terminate();
    if (this.api.externalCount > 0) this.api.shutdown(reason, start + w.totalMs);
    const timers: ReturnType<TimerClock['setTimeout']>[] = [];
    const after = (ms: number) => new Promise<void>((r) => { timers.push(this.#clock.setTimeout(r, Math.max(0, ms))); });
    await Promise.race([runtimeGone, after(w.runtimeMs)]);
    runtime.kill();
    if (this.api.externalCount > 0) {
      await Promise.race([after(start + w.totalMs - this.#clock.now()), this.until(() => this.names.every((n) => this.#exited.has(n) || !this.api.isRegistered(n)))]);
    }
    for (const t of timers) this.#clock.clearTimer(t);
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }
}

/** Executables under each layer's extensions/, merged by name (later layers win), sorted. */
export function extensionNames(layerDirs: readonly string[]): string[] {
  const names = new Set<string>();
  for (const dir of layerDirs) {
    let entries: string[];
    try {
      entries = readdirSync(join(dir, 'extensions'));
    } catch {
      continue;
    }
    for (const n of entries) {
      if (!SAFE_NAME.test(n)) continue;
      try {
        const st = statSync(join(dir, 'extensions', n));
        if (st.isFile() && (st.mode & 0o111) !== 0) names.add(n);
      } catch {
        // A dangling link is not an extension.
      }
    }
  }
  return [...names].sort();
}
