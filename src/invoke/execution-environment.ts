import { randomBytes } from 'node:crypto';
import type { SandboxExit } from '../ports/sandbox-driver.js';
import type { RuntimeReply } from '../runtime-api/runtime-channel.js';
import { logStreamName } from '../observe/log-lines.js';
import { EnvironmentStateMachine, type EnvironmentState } from './environment-state.js';
import { errorTypeOf, exitReason, extensionCrashed, responseTooLarge, runtimeExited, timedOut, type PlatformError } from './function-errors.js';
import type { StemCell } from './prewarm-stem-cell.js';
import { EnvironmentUnavailableError, type EnvironmentBinding, type EnvironmentDeps, type ExecutionEnvironment, type InvocationInput, type InvocationOutcome } from './environment-contract.js';
import type { StartType } from '../ports/metrics.js';
import { debugAwareTimer } from './dev/environment-debug.js';
import { InvocationLog } from './invocation-log.js';
import { initFailureError, reportInvocation } from './invocation-report.js';
import { StreamedResponse } from './streamed-response.js';
import { asStreamError } from './stream-errors.js';
import { MAX_RUNTIME_PAYLOAD_BYTES } from '../runtime-api/runtime-channel.js';
import type { TelemetryApi } from '../runtime-api/telemetry-api.js';
import { round3, RuntimeStart, STOPPED, type InitProblem, type InitResult } from './runtime-start.js';

/** The longest wait for output still in the pipe after a reply. */
const DRAIN_LIMIT_MS = 100;

type Ending = { kind: 'reply'; reply: RuntimeReply } | { kind: 'exit'; exit: SandboxExit } | { kind: 'timeout' } | { kind: 'crash'; name: string; code: number; errorType: 'Extension.Crash' | 'Extension.ExitError' };

/**
 * An execution environment on this machine: one sandboxed runtime process bound to one function
 * version, its own Runtime API endpoint and log stream, and the lifecycle state machine. It runs
 * one invocation at a time; memory and /tmp survive between its invocations. A timeout or crash
 * ends it.
 *
 * This file keeps the lifecycle and the dispatch of invocations; starting the runtime (cold or
 * pre-initialized) is runtime-start.ts, the log stream invocation-log.ts, and the REPORT and
 * billing record invocation-report.ts.
 */
export class LocalExecutionEnvironment implements ExecutionEnvironment {
  readonly id: string;
  readonly binding: EnvironmentBinding;
  readonly createdAt: number;
  readonly logStreamName: string;
  #lastUsedAt: number;
  #invocations = 0;
  readonly #deps: EnvironmentDeps;
  readonly #machine: EnvironmentStateMachine;
  readonly #log: InvocationLog;
  readonly #runtime: RuntimeStart;
  #init: Promise<InitResult> | undefined;
  #replyResolve: ((e: Ending) => void) | undefined;
  #runtimeWaiting = false;
  #invoking = false;
  #stopped: Promise<void> | undefined;
  /** Why the environment ends, for the extensions' SHUTDOWN event. */
  #shutdownReason: 'spindown' | 'timeout' | 'failure' = 'spindown';
  /** Settles when the invocation in progress has written its last log line. */
  #busy: Promise<void> = Promise.resolve();
  readonly #listeners = new Set<(env: ExecutionEnvironment, from: EnvironmentState, to: EnvironmentState) => void>();

  /** With `stem`, the environment adopts that pre-started runtime instead of starting a sandbox (its id becomes the environment's). */
  constructor(binding: EnvironmentBinding, deps: EnvironmentDeps, stem?: StemCell) {
    this.id = stem?.id ?? `env-${randomBytes(8).toString('hex')}`;
    this.binding = binding;
    this.#deps = deps;
    this.createdAt = deps.clock.now();
    this.#lastUsedAt = this.createdAt;
    this.logStreamName = logStreamName(this.createdAt, binding.version, randomBytes(16).toString('hex'));
    this.#machine = new EnvironmentStateMachine(this.id, (from, to) => {
      for (const l of this.#listeners) l(this, from, to);
    });
    this.#log = new InvocationLog(deps.logs.openStream(logGroupOf(binding), this.logStreamName), binding.config.LoggingConfig, deps.clock);
    this.#runtime = new RuntimeStart({ id: this.id, logStreamName: this.logStreamName }, binding, deps, this.#log, {
      reply: (reply) => this.#replyResolve?.({ kind: 'reply', reply }),
      ready: () => {
        this.#runtimeWaiting = true;
        this.#maybeReady();
      },
      output: (chunk, stream) => this.#log.output(chunk, stream),
      exit: (exit) => this.#onExit(exit),
      stopped: () => this.#stopped !== undefined,
    }, stem);
  }

  /** Adopted a pre-initialized runtime rather than starting one (false again if binding it failed and it cold-started). */
  get preInitialized(): boolean {
    return this.#runtime.preInitialized;
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

  runQueueWaitMs(): number | undefined {
    return this.#runtime.sandbox?.runQueueWaitMs?.();
  }

  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (env: ExecutionEnvironment, from: EnvironmentState, to: EnvironmentState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the sandbox and the runtime's init; resolves when init ends (either way). Never rejects. */
  start(): Promise<InitResult> {
    this.#init ??= this.#runtime.run().catch((err: unknown) => {
      this.#log.note(`flint: the environment could not start: ${(err as Error)?.message ?? String(err)}`);
      return { ok: false as const, failure: { kind: 'exit' as const, exit: { code: 1, signal: null, oomKilled: false } } };
    }).then((r) => {
      if (this.#machine.state !== 'Starting') return r.ok ? { ok: false as const, failure: { kind: 'exit' as const, exit: STOPPED } } : r;
      if (r.ok) {
        this.#runtimeWaiting = true;
        this.#machine.to('Ready');
        const ext = this.#runtime.extensions;
        if (ext) ext.onCrash = (name, code, errorType) => this.#extensionCrashed(name, code, errorType);
      } else {
        this.#machine.to('Failed');
      }
      return r;
    });
    return this.#init;
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
    this.#log.begin();
    if (!init.ok && init.failure.kind === 'role') {
      this.#invocations--;
      this.#log.end();
      void this.stop();
      throw init.failure.error;
    }
    if (!init.ok) return this.#initFailed(input, init.failure, startType);
    // A session that can no longer be kept fresh (revoked, its role gone) retires the environment;
    // the pool starts another, whose assumption of the role then succeeds or fails the call.
    const session = this.#runtime.session;
    if (this.#machine.state === 'Ready' && session && !session.refresh()) {
      void this.stop();
    }
    const channel = this.#runtime.channel;
    if (this.#machine.state !== 'Ready' || !channel.waiting) {
      this.#invocations--;
      this.#log.end();
      throw new EnvironmentUnavailableError(`execution environment ${this.id} is ${this.#machine.state}`);
    }
    let done!: () => void;
    this.#busy = new Promise<void>((r) => (done = r));
    this.#machine.to('Invoking');
    this.#invoking = true;
    this.#runtimeWaiting = false;
    const timeoutSeconds = this.binding.config.Timeout;
    const log = this.#log;
    log.sys(log.platform.start(clock.now(), input.requestId, this.binding.version));
    const started = clock.monotonic();
    const ending = new Promise<Ending>((resolve) => (this.#replyResolve = resolve));
    // A debugger attached to the runtime holds the timeout (src/invoke/dev).
    const cancelTimer = debugAwareTimer(clock, this.binding.debug, timeoutSeconds * 1000, () => this.#replyResolve?.({ kind: 'timeout' }));
    const deadlineMs = clock.now() + timeoutSeconds * 1000;
    channel.dispatch({
      requestId: input.requestId,
      payload: input.payload,
      deadlineMs,
      invokedFunctionArn: input.invokedFunctionArn,
      traceId: input.traceId,
      ...(input.clientContext !== undefined ? { clientContext: input.clientContext } : {}),
    });
    const extensions = this.#runtime.extensions;
    extensions?.invoke({ requestId: input.requestId, deadlineMs, invokedFunctionArn: input.invokedFunctionArn, traceId: input.traceId });
    extensions?.telemetry.emit('platform', 'platform.start', { requestId: input.requestId, version: this.binding.version, tracing: { type: 'X-Amzn-Trace-Id', value: input.traceId } });
    let end = await ending;
    // A streamed reply: the invocation lasts until the stream ends (or times out, or the runtime dies).
    let streamed: { response: StreamedResponse; buffered?: Promise<{ payload: Buffer; tooLarge: boolean }> } | undefined;
    if (end.kind === 'reply' && end.reply.kind === 'stream') {
      const response = new StreamedResponse(end.reply.upload.contentType, clock, this.#deps.streamLimits);
      end.reply.upload.pipeTo(response);
      // A plain Invoke of a streaming function gets the stream buffered, within Invoke's 6 MB (as on Lambda).
      streamed = input.onStream ? { response } : { response, buffered: response.collect(MAX_RUNTIME_PAYLOAD_BYTES) };
      input.onStream?.(response, { executedVersion: this.binding.version });
      const first = end;
      const rest = new Promise<Ending>((resolve) => (this.#replyResolve = resolve));
      end = await Promise.race([response.done.then(() => first), rest]);
      if (end.kind === 'timeout') response.fail(asStreamError(timedOut(input.requestId, timeoutSeconds)));
      else if (end.kind === 'exit') response.fail(asStreamError(runtimeExited(input.requestId, end.exit)));
      else if (end.kind === 'crash') response.fail(asStreamError(extensionCrashed(input.requestId, end.name, end.code, end.errorType)));
    }
    // Lambda ends the invocation only once every INVOKE subscriber is back in next; an extension
    // that never comes back runs the invocation into its timeout.
    let postRuntimeMs = 0;
    if (extensions) runtimeDone(extensions.telemetry, input.requestId, end, clock.monotonic() - started, clock.now());
    if (extensions && end.kind === 'reply') {
      const replied = clock.monotonic();
      const first = end;
      const rest = new Promise<Ending>((resolve) => (this.#replyResolve = resolve));
      end = await Promise.race([extensions.afterInvoke().then(() => first), rest]);
      postRuntimeMs = clock.monotonic() - replied;
    }
    cancelTimer();
    this.#replyResolve = undefined;
    const durationMs = clock.monotonic() - started;
    let result: { payload: Buffer; error?: PlatformError | { errorType?: string }; status?: 'timeout' | 'error' };
    if (end.kind === 'reply') {
      const r = end.reply;
      if (r.kind === 'response') result = { payload: r.payload };
      else if (r.kind === 'stream') result = await streamResult(streamed!);
      else if (r.kind === 'too-large') result = { payload: responseTooLarge().payload, error: responseTooLarge() };
      else result = { payload: r.payload, error: { errorType: errorTypeOf(r.payload, r.errorType) } };
    } else if (end.kind === 'timeout') {
      log.sys(log.platform.timeout(clock.now(), input.requestId, timeoutSeconds));
      const e = timedOut(input.requestId, timeoutSeconds);
      result = { payload: e.payload, error: e, status: 'timeout' };
      // Lambda ends the environment on a timeout; the next invocation starts a new one.
      this.#shutdownReason = 'timeout';
      void this.stop();
    } else if (end.kind === 'crash') {
      // An extension crashed mid-invocation: Lambda fails the invocation and resets the environment.
      const e = extensionCrashed(input.requestId, end.name, end.code, end.errorType);
      result = { payload: e.payload, error: e, status: 'error' };
    } else {
      const e = runtimeExited(input.requestId, end.exit);
      // The Logs API's record of it (Logs API reference: platform.fault).
      extensions?.telemetry.emit('platform', 'platform.fault', `RequestId: ${input.requestId} Process exited before completing request`);
      // Lambda's platform lines for a runtime that died mid-invocation.
      for (const l of log.platform.runtimeExited(input.requestId, exitReason(end.exit), e.errorType)) log.line(l);
      result = { payload: e.payload, error: e, status: 'error' };
    }
    await this.#drainOutput();
    const initDurationMs = cold ? this.#runtime.initDurationMs : undefined;
    const outcome = reportInvocation(log, clock.now(), {
      requestId: input.requestId,
      durationMs,
      ...(initDurationMs !== undefined ? { initDurationMs } : {}),
      startType,
      memorySizeMb: this.binding.config.MemorySize,
      usedBytes: this.#runtime.sandbox?.maxMemoryBytes(),
      ...(result.error?.errorType ? { errorType: result.error.errorType } : {}),
      ...(result.status ? { status: result.status } : {}),
    });
    // The Logs API's end-of-invocation record (its subscribers only; the Telemetry API has none).
    extensions?.telemetry.emit('platform', 'platform.end', { requestId: input.requestId });
    extensions?.telemetry.emit('platform', 'platform.report', {
      requestId: input.requestId,
      status: result.status ?? (result.error ? 'error' : 'success'),
      metrics: { durationMs: round3(durationMs), billedDurationMs: outcome.billedDurationMs, memorySizeMB: this.binding.config.MemorySize, maxMemoryUsedMB: outcome.maxMemoryUsedMb ?? 0, ...(outcome.initDurationMs !== undefined ? { initDurationMs: round3(outcome.initDurationMs) } : {}) },
    });
    // Idle time counts from the end of the last invocation, not its start.
    this.#lastUsedAt = clock.now();
    this.#invoking = false;
    done();
    this.#maybeReady();
    return { ...outcome, ...(postRuntimeMs > 0 ? { postRuntimeExtensionsDurationMs: postRuntimeMs } : {}), ...(streamed ? { streamedBytes: streamed.response.bytes } : {}), overheadMs: clock.monotonic() - started - durationMs, payload: result.payload, ...(result.error ? { functionError: 'Unhandled' as const } : {}), ...(result.error?.errorType ? { errorType: result.error.errorType } : {}) };
  }

  /**
   * Output the function wrote before replying may still sit unread in the pipe (the reply and the
   * output travel separately). Read until a loop turn brings nothing more, so it lands before END,
   * as the function wrote it; a function still writing after its reply is not waited for long.
   */
  async #drainOutput(): Promise<void> {
    const until = this.#deps.clock.monotonic() + DRAIN_LIMIT_MS;
    let seen = -1;
    for (let turn = 0; turn < 2 || (seen !== this.#log.chunks && this.#deps.clock.monotonic() < until); turn++) {
      seen = this.#log.chunks;
      await new Promise((r) => setImmediate(r));
    }
  }

  #initFailed(input: InvocationInput, problem: InitProblem, startType: StartType): InvocationOutcome {
    const initMs = this.#runtime.initDurationMs ?? 0;
    const error = initFailureError(problem, input.requestId, this.#deps.initTimeoutMs);
    const now = this.#deps.clock.now();
    const initializationType = this.binding.initializationType;
    const log = this.#log;
    log.sys(log.platform.initReport(now, problem.kind === 'timeout' ? { initializationType, durationMs: initMs, status: 'timeout' } : { initializationType, durationMs: initMs, status: 'error', ...(error.errorType !== undefined ? { errorType: error.errorType } : {}) }));
    log.sys(log.platform.start(now, input.requestId, this.binding.version));
    const outcome = reportInvocation(log, now, {
      requestId: input.requestId,
      durationMs: 0,
      startType,
      memorySizeMb: this.binding.config.MemorySize,
      usedBytes: this.#runtime.sandbox?.maxMemoryBytes(),
      ...(error.errorType ? { errorType: error.errorType } : {}),
      status: problem.kind === 'timeout' ? 'timeout' : 'error',
    });
    void this.stop();
    return { ...outcome, payload: error.payload, functionError: 'Unhandled', ...(error.errorType ? { errorType: error.errorType } : {}) };
  }

  /**
   * An external extension exited after Init. Lambda resets the environment: an invocation in
   * progress fails with Extension.Crash (Extension.ExitError after an exit/error), and the next one starts a new environment.
   */
  #extensionCrashed(name: string, code: number, errorType: 'Extension.Crash' | 'Extension.ExitError'): void {
    this.#log.note(`flint: extension ${name} exited with code ${code} after init: the environment is reset`);
    this.#shutdownReason = 'failure';
    this.#replyResolve?.({ kind: 'crash', name, code, errorType });
    void this.stop();
  }

  /** Ready again only when both the invocation's bookkeeping is done and the runtime is back in /next. */
  #maybeReady(): void {
    if (!this.#invoking && this.#runtimeWaiting && this.#machine.state === 'Invoking') this.#machine.to('Ready');
  }

  #onExit(exit: SandboxExit): void {
    this.#log.flush();
    if (!this.#runtime.exitDuringInit(exit)) this.#replyResolve?.({ kind: 'exit', exit });
    if (this.#machine.can('Failed') && !this.#machine.ending) this.#machine.to('Failed');
  }

  /** Stops the environment and releases everything it holds (idempotent). */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      if (this.#machine.can('Stopping')) this.#machine.to('Stopping');
      // Lambda's Shutdown phase (SIGTERM to the runtime, SHUTDOWN to the extensions, their windows) before the sandbox is killed.
      const ext = this.#runtime.extensions;
      const sandbox = this.#runtime.sandbox;
      if (this.#machine.state !== 'Failed' && ext && sandbox) {
        await ext.shutdown(this.#shutdownReason, {
          terminate: () => sandbox.signalMain?.('SIGTERM'),
          // With external extensions a launcher stands in front of the runtime: its SIGUSR1 is SIGKILL to the runtime alone.
          kill: () => { if (ext.present) sandbox.signalMain?.('SIGUSR1'); },
          exited: sandbox.exited,
        }).catch(() => {});
      }
      await this.#runtime.extensions?.telemetry.flush().catch(() => {});
      this.#runtime.extensions?.telemetry.close();
      await this.#runtime.close();
      await this.binding.release?.().catch(() => {});
      await this.#runtime.closeEndpoint();
      await this.#busy;
      await this.#log.close();
      this.#machine.to('Stopped');
    })();
    return this.#stopped;
  }
}

/** A streamed reply's result: the buffered payload for a plain Invoke, the stream's error if it ended with one. */
async function streamResult(s: { response: StreamedResponse; buffered?: Promise<{ payload: Buffer; tooLarge: boolean }> }): Promise<{ payload: Buffer; error?: { errorType?: string } }> {
  const b = s.buffered ? await s.buffered : undefined;
  const error = s.response.error;
  if (error) return { payload: Buffer.from(JSON.stringify(error)), error: { errorType: error.errorType } };
  if (b?.tooLarge) return { payload: responseTooLarge().payload, error: responseTooLarge() };
  return { payload: b?.payload ?? Buffer.alloc(0) };
}

/** The Telemetry API's platform.runtimeDone: how the runtime ended the invocation, before extensions finish. */
function runtimeDone(t: TelemetryApi, requestId: string, end: Ending, durationMs: number, now: number): void {
  const status = end.kind === 'timeout' ? 'timeout' : end.kind === 'exit' || end.kind === 'crash' ? 'failure' : end.reply.kind === 'error' || end.reply.kind === 'too-large' ? 'error' : 'success';
  const producedBytes = end.kind === 'reply' && end.reply.kind === 'response' ? end.reply.payload.length : 0;
  t.emit('platform', 'platform.runtimeDone', {
    requestId,
    status,
    metrics: { durationMs: round3(durationMs), producedBytes },
    spans: [{ name: 'responseLatency', start: new Date(now - durationMs).toISOString(), durationMs: round3(durationMs) }],
  });
}

/** The log group an environment writes to: the function's LoggingConfig.LogGroup, else `/aws/lambda/<function>`. */
function logGroupOf(b: EnvironmentBinding): string {
  return b.logGroupName ?? b.config.LoggingConfig?.LogGroup ?? `/aws/lambda/${b.functionName}`;
}
