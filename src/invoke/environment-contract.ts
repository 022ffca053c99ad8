import type { Clock } from '../ports/clock.js';
import type { SandboxDriver } from '../ports/sandbox-driver.js';
import type { StartType } from '../ports/metrics.js';
import type { FunctionConfiguration } from '../domain/records.js';
import type { LogStreams } from '../ports/log-storage.js';
import type { RuntimeCatalog, RuntimeChoice } from './runtime-catalog.js';
import type { RoleCredentials } from '../ports/role-credentials.js';
import type { EnvironmentDebug } from './dev/environment-debug.js';

/*
 * The contract of an execution environment: what binds it to a version, what it is built from,
 * and what one invocation takes and gives back. Kept apart from the environment's state machine
 * (execution-environment.ts) so the pool and the invoke service depend on these shapes only.
 */

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
  clock: Clock;
  region: string;
  /** Lambda's init phase limit (10 s). */
  initTimeoutMs: number;
  /**
   * Lifetime of an environment's session; it is extended whenever less than half remains, so it
   * must be at least twice the longest invocation (Lambda's 900 s timeout).
   */
  credentialTtlMs: number;
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
}

export interface InvocationOutcome {
  payload: Buffer;
  /** Set when the function failed; the body then is the error document. */
  functionError?: 'Unhandled';
  errorType?: string;
  /** This invocation's log: START … REPORT. */
  log: string;
  durationMs: number;
  /** Platform time after the runtime's reply until the outcome was ready (the trace's Overhead subsegment). */
  overheadMs?: number;
  /** Set on the invocation that paid for the environment's initialization. */
  initDurationMs?: number;
  /** cold (a new runtime), pre-initialized (a runtime started ahead, bound now) or warm. */
  startType: StartType;
  billedDurationMs: number;
  maxMemoryUsedMb?: number;
}
