import type { Sandbox, SandboxExit, SandboxPaths } from '../ports/sandbox-driver.js';
import { RuntimeChannel, type InitFailure, type RuntimeChannelListener, type RuntimeReply } from '../runtime-api/runtime-channel.js';
import { RuntimeApiServer } from '../runtime-api/runtime-api-server.js';
import { environmentVariables } from './environment-variables.js';
import { debugAwareTimer } from './dev/environment-debug.js';
import type { StemCell } from './prewarm-stem-cell.js';
import type { EnvironmentBinding, EnvironmentDeps } from './environment-contract.js';
import { EnvironmentSession } from './environment-session.js';
import type { InvocationLog } from './invocation-log.js';
import { ExternalExtensions } from './extensions/external-extensions.js';

export type InitResult = { ok: true } | { ok: false; failure: InitProblem };
export type InitProblem =
  | { kind: 'reported'; failure: InitFailure }
  | { kind: 'exit'; exit: SandboxExit }
  | { kind: 'timeout' }
  | { kind: 'entrypoint'; message: string }
  /** The execution role could not be assumed: the Invoke call fails (no function error). */
  | { kind: 'role'; error: Error };

/** How an environment stopped by Flint itself looks to an invocation still waiting on it. */
export const STOPPED: SandboxExit = { code: null, signal: 'SIGKILL', oomKilled: false };

/** What the environment hears from its runtime beyond the init: replies, /next, output, exit. */
export interface RuntimeEvents {
  reply(reply: RuntimeReply): void;
  /** The runtime is back in /next. */
  ready(): void;
  output(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
  exit(exit: SandboxExit): void;
  /** The environment was stopped meanwhile: starting gives up. */
  stopped(): boolean;
}

/**
 * Starting an environment's runtime, cold or pre-initialized: its Runtime API endpoint and
 * channel, its execution-role session, its sandbox, and the init phase up to the first /next
 * within Lambda's init limit. Holds these for the environment afterwards.
 *
 * Cold: a new endpoint and sandbox run the runtime with the function's environment. Pre-initialized:
 * an adopted stem cell's sandbox is shown the code and its waiting runtime gets the same
 * environment; when binding fails it falls back to a cold start.
 */
export class RuntimeStart {
  readonly #id: string;
  readonly #logStreamName: string;
  readonly #binding: EnvironmentBinding;
  readonly #deps: EnvironmentDeps;
  readonly #events: RuntimeEvents;
  readonly #log: InvocationLog;
  readonly #listener: RuntimeChannelListener;
  #stem: StemCell | undefined;
  #channel: RuntimeChannel;
  #server: RuntimeApiServer;
  #sandbox: Sandbox | undefined;
  #session: EnvironmentSession | undefined;
  #initStartedAt = 0;
  #initDurationMs: number | undefined;
  #initResolve: ((r: InitResult) => void) | undefined;
  /** The layers' external extensions (cold starts only; undefined when there are none). */
  #extensions: ExternalExtensions | undefined;

  constructor(ids: { id: string; logStreamName: string }, binding: EnvironmentBinding, deps: EnvironmentDeps, log: InvocationLog, events: RuntimeEvents, stem?: StemCell) {
    this.#id = ids.id;
    this.#logStreamName = ids.logStreamName;
    this.#binding = binding;
    this.#deps = deps;
    this.#log = log;
    this.#events = events;
    this.#stem = stem;
    this.#listener = {
      initDone: () => this.#initResolve?.({ ok: true }),
      initError: (failure) => this.#initResolve?.({ ok: false, failure: { kind: 'reported', failure } }),
      reply: (_id, reply) => events.reply(reply),
      ready: () => events.ready(),
    };
    if (stem) {
      this.#channel = stem.channel;
      this.#server = stem.server;
      this.#sandbox = stem.sandbox;
      stem.adopt(this.#listener, (chunk, s) => events.output(chunk, s));
    } else {
      this.#channel = new RuntimeChannel(this.#listener);
      this.#server = new RuntimeApiServer(this.#channel);
    }
  }

  /** Runs on an adopted pre-initialized runtime (false again after a failed bind fell back to a cold start). */
  get preInitialized(): boolean {
    return this.#stem !== undefined;
  }

  get channel(): RuntimeChannel {
    return this.#channel;
  }

  get sandbox(): Sandbox | undefined {
    return this.#sandbox;
  }

  /** The environment's extensions, when it has any (external, or internal ones registered during Init). */
  get extensions(): ExternalExtensions | undefined {
    return this.#extensions?.active ? this.#extensions : undefined;
  }

  get session(): EnvironmentSession | undefined {
    return this.#session;
  }

  /** How long the init phase lasted, once it ended. */
  get initDurationMs(): number | undefined {
    return this.#initDurationMs;
  }

  /** Ends an init still waiting with the runtime's exit; false when no init was waiting. */
  exitDuringInit(exit: SandboxExit): boolean {
    if (!this.#initResolve) return false;
    this.#initResolve({ ok: false, failure: { kind: 'exit', exit } });
    return true;
  }

  run(): Promise<InitResult> {
    return this.#stem ? this.#startFromStem(this.#stem) : this.#startCold();
  }

  /** Releases the runtime: its channel, session and sandbox (the endpoint closes with `closeEndpoint`). */
  async close(): Promise<void> {
    this.#channel.close();
    this.#session?.close();
    this.#binding.debug?.stopped();
    await this.#sandbox?.destroy().catch(() => {});
  }

  closeEndpoint(): Promise<void> {
    return this.#server.close();
  }

  /**
   * Binds the adopted pre-started runtime: code and layers become visible in its sandbox, then it
   * gets the environment a cold start would have had (same builder, its own Runtime API address)
   * and loads the handler. Init Duration runs from the bind to its first /next.
   */
  async #startFromStem(stem: StemCell): Promise<InitResult> {
    const d = this.#deps;
    const b = this.#binding;
    const sandbox = stem.sandbox;
    this.#initStartedAt = d.clock.monotonic();
    const role = this.#assumeRole();
    if (role) {
      await stem.destroy();
      return role;
    }
    let paths: SandboxPaths;
    try {
      paths = await sandbox.bind({ taskRoot: b.codeDir, layers: b.layerDirs });
    } catch {
      // The driver could not show this function's code in it (and destroyed it): a plain cold
      // start instead, with an endpoint and channel of its own, as if no runtime had been waiting.
      await stem.destroy();
      if (this.#events.stopped()) return { ok: false, failure: { kind: 'exit', exit: STOPPED } };
      this.#stem = undefined;
      this.#sandbox = undefined;
      this.#channel = new RuntimeChannel(this.#listener);
      this.#server = new RuntimeApiServer(this.#channel);
      return this.#startCold();
    }
    this.#initStartLine();
    const result = new Promise<InitResult>((resolve) => (this.#initResolve = resolve));
    void sandbox.exited.then((exit) => this.#events.exit(exit));
    const launch = b.runtime.launch(paths);
    if ('entrypointError' in launch) return { ok: false, failure: { kind: 'entrypoint', message: launch.entrypointError } };
    const env = this.#environment(paths, stem.runtimeApiAddress, launch.env);
    if (this.#events.stopped()) return { ok: false, failure: { kind: 'exit', exit: STOPPED } };
    // No external extensions here (the pool never hands a stem cell to a function with some), but
    // the runtime may register internal ones.
    this.#serveExtensions(this.#newExtensions());
    this.#extensions?.telemetry.deliverWith((port, path, body) => deliverInto(sandbox, port, path, body));
    this.#channel.bind(Buffer.from(JSON.stringify({ env, taskRoot: paths.taskRoot, opt: paths.opt })));
    return this.#awaitInit(result);
  }

  async #startCold(): Promise<InitResult> {
    const d = this.#deps;
    const b = this.#binding;
    const role = this.#assumeRole();
    if (role) return role;
    const api = await this.#server.listen('127.0.0.1');
    const specBase = { id: this.#id, taskRoot: b.codeDir, runtimeDir: b.runtime.runtimeDir, layers: b.layerDirs };
    const paths: SandboxPaths = d.driver.paths(specBase);
    const runtimeApi = d.driver.runtimeApiAddress({ id: this.#id, runtimeApi: api, network: 'default' });
    this.#initStartLine();
    const launch = b.runtime.launch(paths);
    if ('entrypointError' in launch) return { ok: false, failure: { kind: 'entrypoint', message: launch.entrypointError } };
    const env = this.#environment(paths, runtimeApi, launch.env);
    const extensions = this.#newExtensions();
    const argv = extensions.present ? extensions.wrap(launch.argv, paths.opt) : launch.argv;
    this.#serveExtensions(extensions);
    const result = new Promise<InitResult>((resolve) => (this.#initResolve = resolve));
    this.#initStartedAt = d.clock.monotonic();
    try {
      this.#sandbox = await d.driver.start({
        ...specBase,
        argv,
        env,
        memoryMb: b.config.MemorySize,
        ephemeralStorageMb: b.config.EphemeralStorage?.Size ?? 512,
        runtimeApi: api,
        network: 'default',
        onOutput: (chunk, stream) => this.#events.output(chunk, stream),
      });
    } catch (err) {
      return { ok: false, failure: this.#spawnFailure(err as NodeJS.ErrnoException, launch.argv[0]!) };
    }
    const sandbox = this.#sandbox;
    this.#extensions?.telemetry.deliverWith((port, path, body) => deliverInto(sandbox, port, path, body));
    b.debug?.started(sandbox);
    void sandbox.exited.then((exit) => this.#events.exit(exit));
    if (this.#events.stopped()) {
      await sandbox.destroy();
      return { ok: false, failure: { kind: 'exit', exit: STOPPED } };
    }
    return this.#awaitInit(result);
  }

  #newExtensions(): ExternalExtensions {
    const b = this.#binding;
    return new ExternalExtensions(b.layerDirs, {
      functionName: b.functionName, functionVersion: b.version, handler: b.config.Handler ?? '', accountId: (b.config.FunctionArn ?? '').split(':')[4] ?? '',
    }, this.#deps.clock);
  }

  /**
   * The Extensions, Telemetry and Logs APIs on the environment's Runtime API address. External
   * extensions' output is told apart from the function's by its tag (the `extension` stream).
   */
  #serveExtensions(extensions: ExternalExtensions): void {
    const b = this.#binding;
    this.#extensions = extensions;
    this.#server.extensions = extensions;
    const t = extensions.telemetry;
    extensions.onReady = (e) => this.#log.sys(this.#log.platform.extension(this.#deps.clock.now(), e));
    this.#log.onFunctionLine = (text) => t.emit('function', 'function', text);
    if (extensions.present) {
      this.#log.extensionTag = extensions.outputTag;
      this.#log.onExtensionLine = (text) => t.emit('extension', 'extension', text);
    }
    t.emit('platform', 'platform.initStart', { initializationType: b.initializationType, phase: 'init', runtimeVersion: b.runtime.runtime, functionName: b.functionName, functionVersion: b.version });
  }

  /** Waits for the runtime's init to end (first /next, init error, exit) within Lambda's init limit. */
  async #awaitInit(result: Promise<InitResult>): Promise<InitResult> {
    const d = this.#deps;
    const cancel = debugAwareTimer(d.clock, this.#binding.debug, d.initTimeoutMs, () => this.#initResolve?.({ ok: false, failure: { kind: 'timeout' } }));
    let r = await result;
    const ext = this.#extensions;
    // Lambda's Init ends when the runtime and every extension have called next once.
    if (ext && r.ok && ext.active) {
      r = await Promise.race([
        ext.until(() => ext.initState().kind !== 'waiting').then((): InitResult => {
          const s = ext.initState();
          return s.kind === 'failed' ? { ok: false, failure: { kind: 'reported', failure: { errorType: s.errorType, payload: Buffer.from(JSON.stringify({ errorMessage: s.message, errorType: s.errorType })) } } } : { ok: true };
        }),
        new Promise<InitResult>((resolve) => (this.#initResolve = resolve)),
      ]);
    }
    ext?.endInit();
    cancel();
    this.#initResolve = undefined;
    const measured = d.clock.monotonic() - this.#initStartedAt;
    // A timed-out init lasted the whole limit (Lambda reports the limit), even when the timer's
    // millisecond clock fired a fraction early against the monotonic one.
    this.#initDurationMs = !r.ok && r.failure.kind === 'timeout' ? Math.max(measured, d.initTimeoutMs) : measured;
    if (ext?.active) {
      const status = r.ok ? 'success' : r.failure.kind === 'timeout' ? 'timeout' : 'error';
      const initializationType = this.#binding.initializationType;
      ext.telemetry.emit('platform', 'platform.initRuntimeDone', { initializationType, phase: 'init', status });
      ext.telemetry.emit('platform', 'platform.initReport', { initializationType, phase: 'init', status, metrics: { durationMs: round3(this.#initDurationMs) } });
    } else if (ext) {
      // No extension at all: nothing listens, so the function's lines need no tap.
      this.#log.onFunctionLine = undefined;
      ext.telemetry.close();
    }
    return r;
  }

  /** What the runtime's process sees, the same for a cold start and a pre-initialized one. */
  #environment(paths: SandboxPaths, runtimeApi: string, runtimeVariables: Record<string, string>): Record<string, string> {
    const d = this.#deps;
    const b = this.#binding;
    const cred = this.#session!.credential;
    const vars = environmentVariables({
      config: b.config,
      functionName: b.functionName,
      version: b.version,
      region: d.region,
      paths,
      runtimeApi,
      logStreamName: this.#logStreamName,
      initializationType: b.initializationType,
      credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken: cred.sessionToken ?? '' },
      runtimeVariables,
      path: d.runtimes.pathVariable(paths),
      ...(d.apiEndpoint ? { apiEndpoint: d.apiEndpoint } : {}),
    });
    // A debugged function's runtime starts with its debugger (src/invoke/dev).
    return b.debug ? { ...vars, ...b.debug.variables(b.runtime.family, vars) } : vars;
  }

  /**
   * Assumes the execution role for this environment, once (a stem cell that cold-starts after a
   * failed bind keeps its session). Returns the failure when the role cannot be assumed.
   */
  #assumeRole(): InitResult | undefined {
    if (this.#session) return undefined;
    const d = this.#deps;
    try {
      this.#session = EnvironmentSession.issue({ credentials: d.credentials, clock: d.clock, ttlMs: d.credentialTtlMs }, this.#binding.config.Role, this.#binding.functionName);
      return undefined;
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      this.#log.note(`flint: cannot assume the execution role ${this.#binding.config.Role}: ${(cause as Error)?.message ?? String(cause)}`);
      return { ok: false, failure: { kind: 'role', error: err as Error } };
    }
  }

  /** Exec failures, as Lambda reports them: a missing wrapper script exits 127 from Lambda's shell; a bootstrap that cannot be executed is an invalid entry point. */
  #spawnFailure(err: NodeJS.ErrnoException, file: string): InitProblem {
    if (this.#binding.runtime.family === 'provided') {
      const why = err.code === 'EACCES' ? 'permission denied' : err.code === 'ENOENT' ? 'no such file or directory' : err.message;
      return { kind: 'entrypoint', message: `fork/exec ${file}: ${why}` };
    }
    return { kind: 'exit', exit: { code: err.code === 'EACCES' ? 126 : 127, signal: null, oomKilled: false } };
  }

  /** The stream's first line, the runtime the environment starts with. */
  #initStartLine(): void {
    const b = this.#binding;
    this.#log.sys(
      this.#log.platform.initStart(this.#deps.clock.now(), {
        runtime: b.runtime.runtime,
        ...(b.config.RuntimeVersionConfig?.RuntimeVersionArn ? { runtimeVersionArn: b.config.RuntimeVersionConfig.RuntimeVersionArn } : {}),
        initializationType: b.initializationType,
        functionName: b.functionName,
        version: b.version,
      }),
    );
  }
}

/** Lambda's telemetry durations: milliseconds with three decimals. */
export function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * One Telemetry API batch POSTed to a listener inside the sandbox (for bwrap, a connection into its
 * own network namespace). Plain HTTP/1.1 written by hand: the connection is a pipe, not a socket,
 * which Node's HTTP client does not take; one request per connection, its status line is the answer.
 */
function deliverInto(sandbox: Sandbox, port: number, path: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const conn = sandbox.connect?.(port);
    if (!conn) return reject(new Error('no way into the sandbox'));
    let head = '';
    const timer = setTimeout(() => conn.destroy(new Error('telemetry listener timed out')), 5_000);
    conn.on('data', (c: Buffer) => {
      if (head.length < 64) head += c.toString('latin1');
      if (/^HTTP\/1\.[01] \d{3}/.test(head)) {
        clearTimeout(timer);
        conn.destroy();
        resolve();
      }
    });
    conn.on('error', (err) => { clearTimeout(timer); reject(err); });
    conn.on('close', () => { clearTimeout(timer); reject(new Error('telemetry listener closed the connection')); });
    conn.write(`POST ${path} HTTP/1.1\r\nHost: sandbox.localdomain:${port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    conn.write(body);
  });
}
