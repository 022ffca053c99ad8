import type { TimerClock } from '../ports/clock.js';
import type { EnvironmentState } from './environment-state.js';
import type { SandboxDriver } from '../ports/sandbox-driver.js';
import type { StartType } from '../ports/metrics.js';
import type { FunctionConfiguration } from '../domain/records.js';
import type { LogStreams } from '../ports/log-storage.js';
import type { RuntimeCatalog, RuntimeChoice } from './runtime-catalog.js';
import type { RoleCredentials } from '../ports/role-credentials.js';
import type { EnvironmentDebug } from './dev/environment-debug.js';
import type { StreamedResponse, StreamLimits } from './streamed-response.js';

/*
 * The contract of an execution environment: what binds it to a version, what it is built from,
 * what one invocation takes and gives back, and the environment itself as an interface. The pool
 * and the invoke service depend on these shapes only, never on the local implementation
 * (execution-environment.ts), so an environment may as well run on another machine.
 */

/**
 * One execution environment as the pool and the invoke service see it: bound to one function
 * version, one invocation at a time, with the lifecycle of environment-state.ts.
 */
export interface ExecutionEnvironment {
  readonly id: string;
  readonly binding: EnvironmentBinding;
  /** Clock milliseconds when it was created. */
  readonly createdAt: number;
  readonly logStreamName: string;
  readonly state: EnvironmentState;
  /** Clock milliseconds when its last invocation ended (or it was created). */
  readonly lastUsedAt: number;
  readonly invocations: number;
  /** Adopted a runtime started ahead of its function. */
  readonly preInitialized: boolean;
  /**
   * Optional: cumulative milliseconds its runtime has waited runnable for a CPU (where the sandbox
   * can tell). Read around a warm invocation by host-aware placement only.
   */
  runQueueWaitMs?(): number | undefined;
  /** Subscribes to state changes; returns the unsubscribe function. */
  onStateChange(listener: (env: ExecutionEnvironment, from: EnvironmentState, to: EnvironmentState) => void): () => void;
  /** Starts the runtime and its init (once); resolves when init ends, either way. Never rejects. */
  start(): Promise<{ ok: boolean }>;
  /**
   * Runs one invocation (waiting for init first). Throws `EnvironmentUnavailableError` when the
   * environment ended before it could take it: the pool then picks another.
   */
  invoke(input: InvocationInput): Promise<InvocationOutcome>;
  /** Stops it and releases everything it holds (idempotent). */
  stop(): Promise<void>;
}

/** The environment crashed or was stopped between being picked and being used: the pool picks another. */
export class EnvironmentUnavailableError extends Error {}

/** What binds an environment to one function version (it never runs anything else). */
export interface EnvironmentBinding {
  functionName: string;
  /** The executed version: `$LATEST` or a number. */
  version: string;
  config: FunctionConfiguration;
  runtime: RuntimeChoice;
  /** Host directories of the extracted code and layers. */
  codeDir: string;
  layerDirs: string[];
  initializationType: 'on-demand' | 'provisioned-concurrency';
  /** The log group its stream belongs to; `config.LoggingConfig.LogGroup` (else `/aws/lambda/<function>`) when unset. */
  logGroupName?: string;
  /** Gives back what the binding holds (extracted code); called once its environment has stopped. */
  release?(): Promise<void>;
  /** Set when the function is being debugged (src/invoke/dev): the runtime starts with its inspector. */
  debug?: EnvironmentDebug;
}

export interface EnvironmentDeps {
  driver: SandboxDriver;
  runtimes: RuntimeCatalog;
  logs: LogStreams;
  /** Issues each environment's execution-role session (Lambda assumes the role per environment). */
  credentials: RoleCredentials;
  clock: TimerClock;
  region: string;
  /** Lambda's init phase limit (10 s). */
  initTimeoutMs: number;
  /**
   * Lifetime of an environment's session; it is extended whenever less than half remains, so it
   * must be at least twice the longest invocation (Lambda's 900 s timeout).
   */
  credentialTtlMs: number;
  /** Lambda's streamed-response limits (streamed-response.ts); tests make them small. */
  streamLimits?: StreamLimits;
  /** Flint's API as code inside the sandboxes reaches it (AWS_ENDPOINT_URL); unset until it listens. */
  apiEndpoint?: string;
}

export interface InvocationInput {
  requestId: string;
  payload: Buffer;
  invokedFunctionArn: string;
  traceId: string;
  /** JSON text. */
  clientContext?: string;
  /**
   * Takes a streamed response as it starts (InvokeWithResponseStream, RESPONSE_STREAM URLs).
   * Absent: a streamed response is buffered into the outcome's payload, as a plain Invoke gets it.
   */
  onStream?: (stream: StreamedResponse, meta: { executedVersion: string }) => void;
}

export interface InvocationOutcome {
  payload: Buffer;
  /** Set when the function failed; the body then is the error document. */
  functionError?: 'Unhandled';
  errorType?: string;
  /** This invocation's log: START … REPORT. */
  log: string;
  durationMs: number;
  /** Time extensions took after the runtime's reply (Lambda's PostRuntimeExtensionsDuration metric), when any. */
  postRuntimeExtensionsDurationMs?: number;
  /** Platform time after the runtime's reply until the outcome was ready (the trace's Overhead subsegment). */
  overheadMs?: number;
  /** Set on the invocation that paid for the environment's initialization. */
  initDurationMs?: number;
  /** cold (a new runtime), pre-initialized (a runtime started ahead, bound now) or warm. */
  startType: StartType;
  billedDurationMs: number;
  maxMemoryUsedMb?: number;
  /** Bytes the function streamed, when it streamed its response. */
  streamedBytes?: number;
}
