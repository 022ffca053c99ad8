import { randomBytes } from 'node:crypto';
import type { Sandbox, SandboxExit, SandboxPaths } from '../ports/sandbox-driver.js';
import { RuntimeChannel, type InitFailure, type RuntimeChannelListener, type RuntimeReply } from '../runtime-api/runtime-channel.js';
import { RuntimeApiServer } from '../runtime-api/runtime-api-server.js';
import type { LogStreamWriter } from '../ports/log-storage.js';
import { logStreamName } from '../observe/log-lines.js';
import { PlatformLogLines } from './platform-log-lines.js';
import { EnvironmentStateMachine, type EnvironmentState } from './environment-state.js';
import { environmentVariables } from './environment-variables.js';
import { errorTypeOf, exitReason, invalidEntrypoint, responseTooLarge, runtimeExited, timedOut, type PlatformError } from './function-errors.js';
import { OutputLines } from './output-lines.js';
import type { StemCell } from './prewarm-stem-cell.js';
import type { EnvironmentBinding, EnvironmentDeps, InvocationInput, InvocationOutcome } from './environment-contract.js';
import type { StartType } from '../ports/metrics.js';
import { EnvironmentSession } from './environment-session.js';
import { debugAwareTimer } from './dev/environment-debug.js';

type InitResult = { ok: true } | { ok: false; failure: InitProblem };
type InitProblem =
  | { kind: 'reported'; failure: InitFailure }
  | { kind: 'exit'; exit: SandboxExit }
  | { kind: 'timeout' }
  | { kind: 'entrypoint'; message: string }
  /** The execution role could not be assumed: the Invoke call fails (no function error). */
  | { kind: 'role'; error: Error };

/** The longest wait for output still in the pipe after a reply. */
const DRAIN_LIMIT_MS = 100;

/** Characters of an invocation's log kept for LogType Tail (its last 4 KB fit in this many). */
const TAIL_KEEP_CHARS = 4096;

/** How an environment stopped by Flint itself looks to an invocation still waiting on it. */
const STOPPED: SandboxExit = { code: null, signal: 'SIGKILL', oomKilled: false };

/** The environment crashed or was stopped between being picked and being used: the pool picks another. */
export class EnvironmentUnavailableError extends Error {}

type Ending = { kind: 'reply'; reply: RuntimeReply } | { kind: 'exit'; exit: SandboxExit } | { kind: 'timeout' };

/**
 * An execution environment: one sandboxed runtime process bound to one function version, its own
 * Runtime API endpoint and log stream, and the lifecycle state machine. It runs one invocation at a
 * time; memory and /tmp survive between its invocations. A timeout or crash ends it.
 *
 * Starting is two steps kept apart — bringing up the endpoint and sandbox (`start`) and waiting for
 * the runtime's first /next (its init) — so a later pool of pre-started runtimes can hand out
 * environments whose first step already ran.
 */
export class ExecutionEnvironment {
  readonly id: string;
  readonly binding: EnvironmentBinding;
  #preInitialized: boolean;
  #stem: StemCell | undefined;
  readonly createdAt: number;
  readonly logStreamName: string;
  #lastUsedAt: number;
  #invocations = 0;
  readonly #deps: EnvironmentDeps;
  readonly #machine: EnvironmentStateMachine;
  #channel: RuntimeChannel;
  #server: RuntimeApiServer;
  readonly #listener: RuntimeChannelListener;
  readonly #stream: LogStreamWriter;
  /** The platform's lines in the function's log format (Text or JSON) and its level filters. */
  readonly #platform: PlatformLogLines;
  readonly #stdout: OutputLines;
  readonly #stderr: OutputLines;
  #sandbox: Sandbox | undefined;
  #session: EnvironmentSession | undefined;
  #init: Promise<InitResult> | undefined;
  #initStartedAt = 0;
  #initDurationMs: number | undefined;
  #initResolve: ((r: InitResult) => void) | undefined;
  #replyResolve: ((e: Ending) => void) | undefined;
  /** The invocation in flight and the end of its log (enough for LogType Tail, never the whole log). */
  #current: { requestId: string; lines: string[]; chars: number } | undefined;
  #runtimeWaiting = false;
  /** Output chunks received so far (tells whether a loop turn brought more). */
  #outputChunks = 0;
  #invoking = false;
  #stopped: Promise<void> | undefined;
  /** Settles when the invocation in progress has written its last log line. */
  #busy: Promise<void> = Promise.resolve();
  readonly #listeners = new Set<(env: ExecutionEnvironment, from: EnvironmentState, to: EnvironmentState) => void>();

  /** With `stem`, the environment adopts that pre-started runtime instead of starting a sandbox (its id becomes the environment's). */
  constructor(binding: EnvironmentBinding, deps: EnvironmentDeps, stem?: StemCell) {
    this.id = stem?.id ?? `env-${randomBytes(8).toString('hex')}`;
    this.binding = binding;
    this.#stem = stem;
    this.#preInitialized = stem !== undefined;
    this.#deps = deps;
    this.createdAt = deps.clock.now();
    this.#lastUsedAt = this.createdAt;
    this.logStreamName = logStreamName(this.createdAt, binding.version, randomBytes(16).toString('hex'));
    this.#machine = new EnvironmentStateMachine(this.id, (from, to) => {
      for (const l of this.#listeners) l(this, from, to);
    });
    const listener: RuntimeChannelListener = {
      initDone: () => this.#initResolve?.({ ok: true }),
      initError: (failure) => this.#initResolve?.({ ok: false, failure: { kind: 'reported', failure } }),
      reply: (_id, reply) => this.#replyResolve?.({ kind: 'reply', reply }),
      ready: () => {
        this.#runtimeWaiting = true;
        this.#maybeReady();
      },
    };
    this.#listener = listener;
    this.#platform = new PlatformLogLines(binding.config.LoggingConfig);
    this.#stream = deps.logs.openStream(logGroupOf(binding), this.logStreamName);
    this.#stdout = new OutputLines((l) => this.#appLine(l));
    this.#stderr = new OutputLines((l) => this.#appLine(l));
    if (stem) {
      this.#channel = stem.channel;
      this.#server = stem.server;
      this.#sandbox = stem.sandbox;
      stem.adopt(listener, (chunk, stream) => this.#output(chunk, stream));
    } else {
      this.#channel = new RuntimeChannel(listener);
      this.#server = new RuntimeApiServer(this.#channel);
    }
  }

  /** Adopted a pre-initialized runtime rather than starting one (false again if binding it failed and it cold-started). */
  get preInitialized(): boolean {
    return this.#preInitialized;
  }

  get state(): EnvironmentState {
    return this.#machine.state;
  }

  get lastUsedAt(): number {
    return this.#lastUsedAt;
  }

  get invocations(): number {
    return this.#invocations;
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (env: ExecutionEnvironment, from: EnvironmentState, to: EnvironmentState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the sandbox and the runtime's init; resolves when init ends (either way). Never rejects. */
  start(): Promise<InitResult> {
    this.#init ??= this.#start().catch((err: unknown) => {
      this.#stream.append(this.#deps.clock.now(), `flint: the environment could not start: ${(err as Error)?.message ?? String(err)}`);
      return { ok: false as const, failure: { kind: 'exit' as const, exit: { code: 1, signal: null, oomKilled: false } } };
    }).then((r) => {
      if (this.#machine.state !== 'Starting') return r.ok ? { ok: false as const, failure: { kind: 'exit' as const, exit: STOPPED } } : r;
      if (r.ok) {
        this.#runtimeWaiting = true;
        this.#machine.to('Ready');
      } else {
        this.#machine.to('Failed');
      }
      return r;
    });
    return this.#init;
  }

  #output(chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    this.#outputChunks++;
    (stream === 'stdout' ? this.#stdout : this.#stderr).push(chunk);
  }

  /**
   * Binds the adopted pre-started runtime: code and layers become visible in its sandbox, then it
   * gets the environment a cold start would have had (same builder, its own Runtime API address)
   * and loads the handler. Init Duration runs from the bind to its first /next.
   */
  async #startFromStem(stem: StemCell): Promise<InitResult> {
    const d = this.#deps;
    const b = this.binding;
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
      if (this.#stopped) return { ok: false, failure: { kind: 'exit', exit: STOPPED } };
      this.#stem = undefined;
      this.#preInitialized = false;
      this.#sandbox = undefined;
      this.#channel = new RuntimeChannel(this.#listener);
      this.#server = new RuntimeApiServer(this.#channel);
      return this.#start();
    }
    this.#initStartLine();
    const result = new Promise<InitResult>((resolve) => (this.#initResolve = resolve));
    void sandbox.exited.then((exit) => this.#onExit(exit));
    const launch = b.runtime.launch(paths);
    if ('entrypointError' in launch) return { ok: false, failure: { kind: 'entrypoint', message: launch.entrypointError } };
    const env = this.#environment(paths, stem.runtimeApiAddress, launch.env);
    if (this.#stopped) return { ok: false, failure: { kind: 'exit', exit: STOPPED } };
    this.#channel.bind(Buffer.from(JSON.stringify({ env, taskRoot: paths.taskRoot, opt: paths.opt })));
    return this.#awaitInit(result);
  }

  /** Waits for the runtime's init to end (first /next, init error, exit) within Lambda's init limit. */
  async #awaitInit(result: Promise<InitResult>): Promise<InitResult> {
    const d = this.#deps;
    const cancel = debugAwareTimer(this.binding.debug, d.initTimeoutMs, () => this.#initResolve?.({ ok: false, failure: { kind: 'timeout' } }));
    const r = await result;
    cancel();
    this.#initResolve = undefined;
    const measured = d.clock.monotonic() - this.#initStartedAt;
    // A timed-out init lasted the whole limit (Lambda reports the limit), even when the timer's
    // millisecond clock fired a fraction early against the monotonic one.
    this.#initDurationMs = !r.ok && r.failure.kind === 'timeout' ? Math.max(measured, d.initTimeoutMs) : measured;
    return r;
  }

  /** What the runtime's process sees, the same for a cold start and a pre-initialized one. */
  #environment(paths: SandboxPaths, runtimeApi: string, runtimeVariables: Record<string, string>): Record<string, string> {
    const d = this.#deps;
    const b = this.binding;
    const cred = this.#session!.credential;
    const vars = environmentVariables({
      config: b.config,
      functionName: b.functionName,
      version: b.version,
      region: d.region,
      paths,
      runtimeApi,
      logStreamName: this.logStreamName,
      initializationType: b.initializationType,
      credentials: { accessKeyId: cred.accessKeyId, secretAccessKey: cred.secretAccessKey, sessionToken: cred.sessionToken ?? '' },
      runtimeVariables,
      path: d.runtimes.pathVariable(paths),
      ...(d.apiEndpoint ? { apiEndpoint: d.apiEndpoint } : {}),
    });
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
      this.#session = EnvironmentSession.issue({ credentials: d.credentials, clock: d.clock, ttlMs: d.credentialTtlMs }, this.binding.config.Role, this.binding.functionName);
      return undefined;
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause;
      this.#stream.append(d.clock.now(), `flint: cannot assume the execution role ${this.binding.config.Role}: ${(cause as Error)?.message ?? String(cause)}`);
      return { ok: false, failure: { kind: 'role', error: err as Error } };
    }
  }

  async #start(): Promise<InitResult> {
    if (this.#stem) return this.#startFromStem(this.#stem);
    const d = this.#deps;
    const b = this.binding;
    const role = this.#assumeRole();
    if (role) return role;
    const api = await this.#server.listen('127.0.0.1');
    const specBase = { id: this.id, taskRoot: b.codeDir, runtimeDir: b.runtime.runtimeDir, layers: b.layerDirs };
    const paths: SandboxPaths = d.driver.paths(specBase);
    const runtimeApi = d.driver.runtimeApiAddress({ id: this.id, runtimeApi: api, network: 'default' });
    this.#initStartLine();
    const launch = b.runtime.launch(paths);
    if ('entrypointError' in launch) return { ok: false, failure: { kind: 'entrypoint', message: launch.entrypointError } };
    const env = this.#environment(paths, runtimeApi, launch.env);
    const result = new Promise<InitResult>((resolve) => (this.#initResolve = resolve));
    this.#initStartedAt = d.clock.monotonic();
    try {
      this.#sandbox = await d.driver.start({
        ...specBase,
        argv: launch.argv,
        env,
        memoryMb: b.config.MemorySize,
        ephemeralStorageMb: b.config.EphemeralStorage?.Size ?? 512,
        runtimeApi: api,
        network: 'default',
        onOutput: (chunk, stream) => this.#output(chunk, stream),
      });
    } catch (err) {
      return { ok: false, failure: this.#spawnFailure(err as NodeJS.ErrnoException, launch.argv[0]!) };
    }
    const sandbox = this.#sandbox;
    b.debug?.started(sandbox);
    void sandbox.exited.then((exit) => this.#onExit(exit));
    if (this.#stopped) {
      await sandbox.destroy();
      return { ok: false, failure: { kind: 'exit', exit: STOPPED } };
    }
    return this.#awaitInit(result);
  }

  /** Exec failures, as Lambda reports them: a missing wrapper script exits 127 from Lambda's shell; a bootstrap that cannot be executed is an invalid entry point. */
  #spawnFailure(err: NodeJS.ErrnoException, file: string): InitProblem {
    if (this.binding.runtime.family === 'provided') {
      const why = err.code === 'EACCES' ? 'permission denied' : err.code === 'ENOENT' ? 'no such file or directory' : err.message;
      return { kind: 'entrypoint', message: `fork/exec ${file}: ${why}` };
    }
    return { kind: 'exit', exit: { code: err.code === 'EACCES' ? 126 : 127, signal: null, oomKilled: false } };
  }

  /** Runs one invocation: waits for init if needed, then hands the event to the runtime. */
  async invoke(input: InvocationInput): Promise<InvocationOutcome> {
    const clock = this.#deps.clock;
    const init = await this.start();
    const cold = this.#invocations === 0 && this.binding.initializationType === 'on-demand';
    // A provisioned environment's first invocation is warm: its init ran before anyone called (Lambda reports no Init Duration).
    const startType: StartType = !cold ? 'warm' : this.preInitialized ? 'pre-initialized' : 'cold';
    this.#invocations++;
    this.#lastUsedAt = clock.now();
    this.#current = { requestId: input.requestId, lines: [], chars: 0 };
    if (!init.ok && init.failure.kind === 'role') {
      this.#invocations--;
      this.#current = undefined;
      void this.stop();
      throw init.failure.error;
    }
    if (!init.ok) return this.#initFailed(input, init.failure, startType);
    // A session that can no longer be kept fresh (revoked, its role gone) retires the environment;
    // the pool starts another, whose assumption of the role then succeeds or fails the call.
    if (this.#machine.state === 'Ready' && this.#session && !this.#session.refresh()) {
      void this.stop();
    }
    if (this.#machine.state !== 'Ready' || !this.#channel.waiting) {
      this.#invocations--;
      this.#current = undefined;
      throw new EnvironmentUnavailableError(`execution environment ${this.id} is ${this.#machine.state}`);
    }
    let done!: () => void;
    this.#busy = new Promise<void>((r) => (done = r));
    this.#machine.to('Invoking');
    this.#invoking = true;
    this.#runtimeWaiting = false;
    const timeoutSeconds = this.binding.config.Timeout;
    this.#sys(this.#platform.start(clock.now(), input.requestId, this.binding.version));
    const started = clock.monotonic();
    const ending = new Promise<Ending>((resolve) => (this.#replyResolve = resolve));
    const cancelTimer = debugAwareTimer(this.binding.debug, timeoutSeconds * 1000, () => this.#replyResolve?.({ kind: 'timeout' }));
    this.#channel.dispatch({
      requestId: input.requestId,
      payload: input.payload,
      deadlineMs: clock.now() + timeoutSeconds * 1000,
      invokedFunctionArn: input.invokedFunctionArn,
      traceId: input.traceId,
      ...(input.clientContext !== undefined ? { clientContext: input.clientContext } : {}),
    });
    const end = await ending;
    cancelTimer();
    this.#replyResolve = undefined;
    const durationMs = clock.monotonic() - started;
    let result: { payload: Buffer; error?: PlatformError | { errorType?: string }; status?: 'timeout' | 'error' };
    if (end.kind === 'reply') {
      const r = end.reply;
      if (r.kind === 'response') result = { payload: r.payload };
      else if (r.kind === 'too-large') result = { payload: responseTooLarge().payload, error: responseTooLarge() };
      else result = { payload: r.payload, error: { errorType: errorTypeOf(r.payload, r.errorType) } };
    } else if (end.kind === 'timeout') {
      this.#sys(this.#platform.timeout(clock.now(), input.requestId, timeoutSeconds));
      const e = timedOut(input.requestId, timeoutSeconds);
      result = { payload: e.payload, error: e, status: 'timeout' };
      // Lambda ends the environment on a timeout; the next invocation starts a new one.
      void this.stop();
    } else {
      const e = runtimeExited(input.requestId, end.exit);
      // Lambda's platform lines for a runtime that died mid-invocation.
      for (const l of this.#platform.runtimeExited(input.requestId, exitReason(end.exit), e.errorType)) this.#line(l);
      result = { payload: e.payload, error: e, status: 'error' };
    }
    await this.#drainOutput();
    const outcome = this.#finishInvocation(input.requestId, durationMs, cold, startType, result.error?.errorType, result.status);
    // Idle time counts from the end of the last invocation, not its start.
    this.#lastUsedAt = clock.now();
    this.#invoking = false;
    done();
    this.#maybeReady();
    return { ...outcome, overheadMs: clock.monotonic() - started - durationMs, payload: result.payload, ...(result.error ? { functionError: 'Unhandled' as const } : {}), ...(result.error?.errorType ? { errorType: result.error.errorType } : {}) };
  }

  /**
   * Output the function wrote before replying may still sit unread in the pipe (the reply and the
   * output travel separately). Read until a loop turn brings nothing more, so it lands before END,
   * as the function wrote it; a function still writing after its reply is not waited for long.
   */
  async #drainOutput(): Promise<void> {
    const until = this.#deps.clock.monotonic() + DRAIN_LIMIT_MS;
    let seen = -1;
    for (let turn = 0; turn < 2 || (seen !== this.#outputChunks && this.#deps.clock.monotonic() < until); turn++) {
      seen = this.#outputChunks;
      await new Promise((r) => setImmediate(r));
    }
  }

  #initFailed(input: InvocationInput, problem: InitProblem, startType: StartType): InvocationOutcome {
    const initMs = this.#initDurationMs ?? 0;
    let error: PlatformError | { errorType?: string; payload: Buffer };
    if (problem.kind === 'reported') error = { payload: problem.failure.payload, errorType: errorTypeOf(problem.failure.payload, problem.failure.errorType) };
    else if (problem.kind === 'exit') error = runtimeExited(input.requestId, problem.exit);
    else if (problem.kind === 'entrypoint') error = invalidEntrypoint(input.requestId, problem.message);
    else error = timedOut(input.requestId, this.#deps.initTimeoutMs / 1000);
    const now = this.#deps.clock.now();
    const initializationType = this.binding.initializationType;
    this.#sys(this.#platform.initReport(now, problem.kind === 'timeout' ? { initializationType, durationMs: initMs, status: 'timeout' } : { initializationType, durationMs: initMs, status: 'error', errorType: error.errorType }));
    this.#sys(this.#platform.start(now, input.requestId, this.binding.version));
    const outcome = this.#finishInvocation(input.requestId, 0, false, startType, error.errorType, problem.kind === 'timeout' ? 'timeout' : 'error');
    void this.stop();
    return { ...outcome, payload: error.payload, functionError: 'Unhandled', ...(error.errorType ? { errorType: error.errorType } : {}) };
  }

  #finishInvocation(requestId: string, durationMs: number, cold: boolean, startType: StartType, errorType: string | undefined, status: 'timeout' | 'error' | undefined): Omit<InvocationOutcome, 'payload'> {
    this.#stdout.flush();
    this.#stderr.flush();
    const memory = this.binding.config.MemorySize;
    const usedBytes = this.#sandbox?.maxMemoryBytes() ?? 0;
    const initDurationMs = cold ? this.#initDurationMs : undefined;
    // Since August 2025 Lambda bills the init phase of on-demand cold starts with the invocation.
    const billedDurationMs = Math.ceil(durationMs + (initDurationMs ?? 0));
    const maxMemoryUsedMb = Math.min(memory, Math.ceil(usedBytes / (1024 * 1024)));
    const now = this.#deps.clock.now();
    this.#sys(this.#platform.end(now, { requestId, durationMs, status: status ?? (errorType ? 'error' : 'success'), ...(errorType ? { errorType } : {}) }));
    this.#sys(
      this.#platform.report(now, {
        requestId,
        durationMs,
        billedDurationMs,
        memorySizeMb: memory,
        maxMemoryUsedMb,
        ...(initDurationMs !== undefined ? { initDurationMs } : {}),
        ...(status ? { status } : {}),
        ...(errorType ? { errorType } : {}),
      }),
    );
    const lines = this.#current?.lines ?? [];
    this.#current = undefined;
    // One write of the invocation's lines before its response is sent: they survive a kill -9 of
    // the server from here on (LogType Tail is served from `lines`).
    this.#stream.commit();
    return {
      log: lines.map((l) => l + '\n').join(''),
      durationMs,
      billedDurationMs,
      startType,
      ...(usedBytes > 0 ? { maxMemoryUsedMb } : {}),
      ...(initDurationMs !== undefined ? { initDurationMs } : {}),
      ...(errorType ? { errorType } : {}),
    };
  }

  /** Ready again only when both the invocation's bookkeeping is done and the runtime is back in /next. */
  #maybeReady(): void {
    if (!this.#invoking && this.#runtimeWaiting && this.#machine.state === 'Invoking') this.#machine.to('Ready');
  }

  #onExit(exit: SandboxExit): void {
    this.#stdout.flush();
    this.#stderr.flush();
    if (this.#initResolve) this.#initResolve({ ok: false, failure: { kind: 'exit', exit } });
    else if (this.#replyResolve) this.#replyResolve({ kind: 'exit', exit });
    if (this.#machine.can('Failed') && !this.#machine.ending) this.#machine.to('Failed');
  }

  /** The stream's first line, the runtime the environment starts with. */
  #initStartLine(): void {
    const b = this.binding;
    this.#sys(
      this.#platform.initStart(this.#deps.clock.now(), {
        runtime: b.runtime.runtime,
        ...(b.config.RuntimeVersionConfig?.RuntimeVersionArn ? { runtimeVersionArn: b.config.RuntimeVersionConfig.RuntimeVersionArn } : {}),
        initializationType: b.initializationType,
        functionName: b.functionName,
        version: b.version,
      }),
    );
  }

  /** A platform line, unless the function's SystemLogLevel leaves it out. */
  #sys(text: string | undefined): void {
    if (text !== undefined) this.#line(text);
  }

  /** A line of the function's own output, unless its ApplicationLogLevel leaves it out (JSON format). */
  #appLine(text: string): void {
    if (this.#platform.keeps(text)) this.#line(text);
  }

  #line(text: string): void {
    this.#stream.append(this.#deps.clock.now(), text);
    const cur = this.#current;
    if (cur) {
      cur.lines.push(text);
      cur.chars += text.length + 1;
      // Tail returns 4 KB; keep a little more than that (in characters, which bound the bytes from below).
      while (cur.chars - (cur.lines[0]!.length + 1) > TAIL_KEEP_CHARS) cur.chars -= cur.lines.shift()!.length + 1;
    }
  }

  /** Stops the environment and releases everything it holds (idempotent). */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      if (this.#machine.can('Stopping')) this.#machine.to('Stopping');
      this.#channel.close();
      this.#session?.close();
      this.binding.debug?.stopped();
      await this.#sandbox?.destroy().catch(() => {});
      await this.binding.release?.().catch(() => {});
      await this.#server.close();
      await this.#busy;
      this.#stdout.flush();
      this.#stderr.flush();
      await this.#stream.close();
      this.#machine.to('Stopped');
    })();
    return this.#stopped;
  }
}

/** The log group an environment writes to: the function's LoggingConfig.LogGroup, else `/aws/lambda/<function>`. */
function logGroupOf(b: EnvironmentBinding): string {
  return b.logGroupName ?? b.config.LoggingConfig?.LogGroup ?? `/aws/lambda/${b.functionName}`;
}
