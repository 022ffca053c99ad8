import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExtensionsApi, type InvokeEventInput, type ShutdownReason } from '../../runtime-api/extensions-api.js';
import type { TimerClock } from '../../ports/clock.js';
import { TelemetryApi } from '../../runtime-api/telemetry-api.js';

/** Lambda's shutdown window: 2,000 ms with external extensions registered for SHUTDOWN, 500 ms without. */
export const SHUTDOWN_WINDOW_MS = 2_000;
/** Flint's own call, made by the launcher when an extension process exits (not part of Lambda's API). */
const EXITED_PATH = '/2020-01-01/extension/flint-exited';
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

export type ExtensionsInitState = { kind: 'waiting' } | { kind: 'ok' } | { kind: 'failed'; errorType: string; message: string };

/**
 * The external extensions of one environment, as Lambda runs them: every executable in
 * /opt/extensions (from the layers; a later layer's file of the same name wins) is started, in
 * alphabetical order, before the runtime, with the function's environment and credentials, in the
 * same sandbox. Init completes when each has registered and called next once (an extension that
 * exits first fails the init with `Extension.Crash`, one that reports init/error with
 * `Extension.InitError`); an invocation ends when every INVOKE subscriber is back in next.
 */
export class ExternalExtensions {
  readonly api: ExtensionsApi;
  readonly telemetry: TelemetryApi;
  readonly names: readonly string[];
  readonly #clock: TimerClock;
  readonly #exited = new Map<string, number>();
  readonly #waiters = new Set<() => void>();

  constructor(layerDirs: readonly string[], info: ConstructorParameters<typeof ExtensionsApi>[0], clock: TimerClock) {
    this.names = extensionNames(layerDirs);
    this.#clock = clock;
    this.api = new ExtensionsApi(info);
    this.api.listen({ changed: () => this.#notify() });
    this.telemetry = new TelemetryApi(clock, (req, res) => this.api.extensionOf(req, res));
  }

  /** Whether there is anything to run (no extensions: the runtime starts as before). */
  get present(): boolean {
    return this.names.length > 0;
  }

  /**
   * The runtime's argv behind a launcher that first starts each extension (double-forked, so the
   * sandbox's reaper, not the runtime, collects it) and reports its exit to the Extensions API.
   */
  wrap(argv: readonly string[], optDir: string): string[] {
    const script = [
      `ext() { "$1/extensions/$2"; c=$?; /usr/bin/curl -s -o /dev/null -X POST -H "Lambda-Extension-Name: $2" "http://$AWS_LAMBDA_RUNTIME_API${EXITED_PATH}?code=$c" || true; }`,
      ...this.names.map((n) => `( ext '${optDir}' '${n}' </dev/null & )`),
      'exec "$@"',
    ].join('\n');
    return ['/bin/sh', '-c', script, 'flint-extensions', ...argv];
  }

  /** Serves Flint's exit report; everything else goes to the Extensions API. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if ((req.url ?? '').startsWith(EXITED_PATH) && req.method === 'POST') {
      req.resume();
      const name = String(req.headers['lambda-extension-name'] ?? '');
      const code = Number(new URL(req.url!, 'http://x').searchParams.get('code') ?? 1);
      this.#exited.set(name, code);
      res.writeHead(202, { 'content-length': 0 });
      res.end();
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
      if (!this.#readyByName(name)) return { kind: 'failed', errorType: 'Extension.Crash', message: `Extension ${name} exited with code ${code} before completing its init` };
    }
    if (this.api.registered < this.names.length || this.api.readyCount < this.api.registered) return { kind: 'waiting' };
    return { kind: 'ok' };
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
   * SHUTDOWN to its subscribers with `reason`, then waits until each extension process exited or
   * the window passed; the caller then kills the sandbox (Lambda's SIGKILL).
   */
  async shutdown(reason: ShutdownReason): Promise<void> {
    if (this.api.registered === 0) return;
    const deadline = this.#clock.now() + SHUTDOWN_WINDOW_MS;
    if (!this.api.shutdown(reason, deadline)) return;
    let timer: ReturnType<TimerClock['setTimeout']> | undefined;
    const window = new Promise<void>((r) => { timer = this.#clock.setTimeout(r, SHUTDOWN_WINDOW_MS); });
    await Promise.race([window, this.until(() => this.#exited.size >= this.names.length)]);
    if (timer) this.#clock.clearTimer(timer);
  }

  #readyByName(name: string): boolean {
    return this.api.readyNames.has(name);
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
