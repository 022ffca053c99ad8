import { TooManyRequestsException } from '../domain/errors.js';
import { randomFillSync } from 'node:crypto';
import type { Clock } from '../ports/clock.js';
import type { CodeStore } from '../ports/code-store.js';
import type { FunctionEvents } from '../ports/function-events.js';
import type { InvokeRequest, InvokeResult, SyncInvoker } from '../ports/invoker.js';
import type { FunctionReadModel } from '../ports/function-read-model.js';
import type { Metrics } from '../ports/metrics.js';
import type { InvocationTracing, TracedInvocation } from '../ports/invocation-tracing.js';
import type { FunctionVersionRecord } from '../domain/records.js';
import { AwsError, InvalidRequestContentException } from '../domain/errors.js';
import type { ConcurrencyLeases } from './concurrency-leases.js';
import type { EnvironmentPool } from './environment-pool.js';
import type { EnvironmentBinding, InvocationOutcome } from './environment-contract.js';
import type { RuntimeCatalog } from './runtime-catalog.js';
import type { DevSessions } from './dev/dev-sessions.js';

/** What an Invoke of `name[:qualifier]` runs: FunctionService.resolveInvocationTarget's answer. */
export interface InvocationTarget {
  record: FunctionVersionRecord;
  executedVersion: string;
  qualifier?: string;
  resolvedArn: string;
}

export interface InvocationTargets {
  /** Alias weighted routing, 404s and the Pending → 409 rule live here (FunctionService). */
  resolveInvocationTarget(functionName: string, qualifier: string | undefined, random: () => number, drawn?: string): InvocationTarget;
  /**
   * The record an environment starts from: the stored one's sealed environment variables decrypted
   * and its code binding opened under the function's KMS key; throws Lambda's KMS* errors (502)
   * when the key cannot be used. Absent: records are used as stored.
   */
  openForStart?(record: FunctionVersionRecord): FunctionVersionRecord;
}

export interface InvokeServiceDeps {
  targets: InvocationTargets;
  /** Function records and provisioned concurrency configs (the data plane's read model). */
  functions: FunctionReadModel;
  code: CodeStore;
  events: FunctionEvents;
  pool: EnvironmentPool;
  leases: ConcurrencyLeases;
  runtimes: RuntimeCatalog;
  clock: Clock;
  uuid(): string;
  random(): number;
  accountLimit: number;
  /** Executions the account's functions reserved or provisioned (ConcurrencyService.committed). */
  committed(): number;
  /** Receives one record per finished invocation (start type, durations, outcome). */
  metrics?: Pick<Metrics, 'invocation' | 'throttle'>;
  /** X-Ray: asked only when a trace header came or the function's TracingConfig is Active. */
  tracing?: InvocationTracing;
  /** Hot-reload folders and debug sessions (Flint's developer loop, src/invoke/dev). */
  dev?: DevSessions;
}


/** LogResult carries the last 4 KB of the invocation's log. */
const TAIL_BYTES = 4096;
/** How long the account's committed concurrency is reused before it is summed again. */
const COMMITTED_TTL_MS = 1000;

/**
 * The synchronous data plane (the `Invoker` port): resolve the version, take a concurrency lease,
 * get an environment from the pool, run the invocation, answer with its outcome. Async pollers call
 * the same `invoke`.
 */
export class InvokeService implements SyncInvoker {
  readonly #d: InvokeServiceDeps;
  #committed: { value: number; at: number } | undefined;

  constructor(deps: InvokeServiceDeps) {
    this.#d = deps;
    deps.events.subscribe((e) => {
      // An update or deletion ends the environments of what changed (Lambda never runs old code after an update settles).
      if (e.type === 'version-changed' || e.type === 'version-deleted') deps.pool.retire(e.functionName, e.version);
      else if (e.type === 'function-deleted') deps.pool.retire(e.functionName);
      if (e.type !== 'version-changed') this.#committed = undefined;
    });
  }

  /** Lambda's Throttles metric: every 429 a lease refusal produces, by its Reason. */
  async #countThrottles<T>(functionName: string, qualifier: string | undefined, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof TooManyRequestsException) this.#d.metrics?.throttle(functionName, String(err.fields['Reason'] ?? 'unknown'), qualifier);
      throw err;
    }
  }

  /** Resolves the target only: DryRun's "the function exists and may be invoked". */
  dryRun(functionName: string, qualifier: string | undefined): void {
    this.#d.targets.resolveInvocationTarget(functionName, qualifier, this.#d.random);
  }

  async invoke(req: InvokeRequest): Promise<InvokeResult> {
    const d = this.#d;
    const target = d.targets.resolveInvocationTarget(req.functionName, req.qualifier, d.random, req.version);
    const config = target.record.config;
    const name = config.FunctionName;
    const version = target.executedVersion;
    const clientContext = req.clientContext !== undefined && req.clientContext !== '' ? decodeClientContext(req.clientContext) : undefined;
    const requestId = req.requestId ?? d.uuid();
    const fn = d.functions.function(name);
    const provisioned = target.qualifier !== undefined && target.qualifier !== '$LATEST' ? d.functions.provisionedConcurrency(name, target.qualifier) : undefined;
    let onProvisioned = false;
    const mode = config.TracingConfig?.Mode;
    // The untraced path (no header, PassThrough) asks nothing of tracing and allocates nothing.
    const traced = d.tracing !== undefined && (req.traceId !== undefined || mode === 'Active') ? this.#beginTrace(d.tracing, req, target, requestId, mode) : undefined;
    let outcome: InvocationOutcome;
    try {
      outcome = await this.#countThrottles(name, target.qualifier, () => d.leases.withLease(
        {
          functionName: name,
          ...(target.qualifier !== undefined ? { qualifier: target.qualifier } : {}),
          ...(fn?.reservedConcurrency !== undefined ? { reserved: fn.reservedConcurrency } : {}),
          provisionedAllocated: provisioned?.AllocatedProvisionedConcurrentExecutions ?? 0,
          accountLimit: d.accountLimit,
          committed: this.#committedNow(),
        },
        (lease) => {
          // CloudWatch's ProvisionedConcurrencyInvocations / …SpilloverInvocations tell the two apart.
          onProvisioned = lease.kind === 'provisioned';
          return d.pool.run(name, version, () => this.binding(target.record, 'on-demand'), { provisioned: lease.kind === 'provisioned', timeoutMs: config.Timeout * 1000 }, (env) =>
            env.invoke({
              requestId,
              payload: req.payload.length === 0 ? Buffer.from('{}') : req.payload,
              invokedFunctionArn: target.resolvedArn,
              traceId: traced?.header ?? req.traceId ?? newTraceId(d.clock.now()),
              ...(clientContext !== undefined ? { clientContext } : {}),
              ...(req.onStream ? { onStream: req.onStream } : {}),
            }),
          );
        },
      ));
    } catch (err) {
      if (traced?.sampled) traced.finish({ serviceError: serviceErrorOf(err) });
      throw err;
    }
    if (traced?.sampled) traced.finish(outcome);
    d.metrics?.invocation({
      functionName: name,
      version,
      startType: outcome.startType,
      durationMs: outcome.durationMs,
      billedDurationMs: outcome.billedDurationMs,
      ...(outcome.initDurationMs !== undefined ? { initDurationMs: outcome.initDurationMs } : {}),
      ...(outcome.postRuntimeExtensionsDurationMs !== undefined ? { postRuntimeExtensionsDurationMs: outcome.postRuntimeExtensionsDurationMs } : {}),
      memorySizeMb: config.MemorySize,
      ...(target.qualifier !== undefined ? { qualifier: target.qualifier } : {}),
      ...(provisioned?.AllocatedProvisionedConcurrentExecutions ? { provisionedAllocated: provisioned.AllocatedProvisionedConcurrentExecutions, onProvisioned } : {}),
      ...(outcome.maxMemoryUsedMb !== undefined ? { maxMemoryUsedMb: outcome.maxMemoryUsedMb } : {}),
      outcome: outcomeClass(outcome.functionError, outcome.errorType),
      async: req.async === true,
    });
    return {
      requestId,
      startType: outcome.startType,
      statusCode: 200,
      payload: outcome.payload,
      ...(outcome.functionError ? { functionError: outcome.functionError } : {}),
      ...(req.logType === 'Tail' ? { logResult: logTail(outcome.log) } : {}),
      executedVersion: version,
      functionArn: target.resolvedArn,
      ...(traced ? { traceId: traced.header } : {}),
    };
  }

  #beginTrace(tracing: InvocationTracing, req: InvokeRequest, target: InvocationTarget, requestId: string, mode: string | undefined): TracedInvocation {
    return tracing.begin({
      functionName: target.record.config.FunctionName,
      version: target.executedVersion,
      functionArn: target.resolvedArn,
      requestId,
      header: req.traceId,
      mode: mode ?? 'PassThrough',
      async: req.async === true,
      ...(req.enqueuedAt !== undefined ? { enqueuedAt: req.enqueuedAt } : {}),
    });
  }

  /**
   * Everything an environment of `record` needs: its secrets opened, extracted code and layers, and
   * its runtime. Only a cold start (or provisioning) asks for a binding: environments already
   * running keep their decrypted environment, as Lambda's do when their key is disabled later.
   */
  async binding(stored: FunctionVersionRecord, initializationType: EnvironmentBinding['initializationType']): Promise<EnvironmentBinding> {
    // Before the code is touched: a key that cannot be used stops the start here.
    const record = this.#d.targets.openForStart ? this.#d.targets.openForStart(stored) : stored;
    // Each binding holds its own extracted trees: they are removed when the last environment
    // holding them stops, so plaintext code lies on disk only while something runs it.
    // A hot-reload folder replaces the uploaded code of $LATEST (src/invoke/dev): nothing is extracted for it.
    const folder = this.#d.dev?.codeFolder(record.config.FunctionName, record.config.Version);
    const trees = await Promise.all([...(folder ? [] : [record.codeSha256Hex]), ...record.layerSha256Hex].map((h) => this.#d.code.acquireExtracted(h)));
    const [codeDir, ...layerDirs] = (folder ? [folder, ...trees.map((t) => t.dir)] : trees.map((t) => t.dir)) as [string, ...string[]];
    const debug = await this.#d.dev?.debugFor(record.config.FunctionName);
    let released: Promise<void> | undefined;
    return {
      functionName: record.config.FunctionName,
      version: record.config.Version,
      config: record.config,
      runtime: this.#d.runtimes.resolve(record.config, codeDir, layerDirs),
      codeDir,
      layerDirs,
      initializationType,
      // Lambda writes to the function's LoggingConfig.LogGroup, `/aws/lambda/<function>` by default.
      logGroupName: record.config.LoggingConfig?.LogGroup ?? `/aws/lambda/${record.config.FunctionName}`,
      release: () => (released ??= Promise.all(trees.map((t) => t.release())).then(() => undefined)),
      ...(debug ? { debug } : {}),
    };
  }

  #committedNow(): number {
    const now = this.#d.clock.now();
    if (!this.#committed || now - this.#committed.at > COMMITTED_TTL_MS) {
      try {
        this.#committed = { value: this.#d.committed(), at: now };
      } catch (err) {
        // The sum cannot be read now (cluster mode: the database unreachable). The last one read
        // stands rather than failing invocations that need no database (static stability).
        if (!this.#committed) throw err;
      }
    }
    return this.#committed.value;
  }
}

/** A service error for the trace's service segment (throttles, 5xx, ...). */
function serviceErrorOf(err: unknown): { type: string; status: number; message: string } {
  if (err instanceof AwsError) return { type: err.type, status: err.status ?? (err.type === 'TooManyRequestsException' ? 429 : 500), message: err.message };
  return { type: 'ServiceException', status: 500, message: err instanceof Error ? err.message : String(err) };
}

/** LogResult: the last 4 KB of the invocation's log, base64 (built only when the caller asked for it). */
function logTail(log: string): string {
  const bytes = Buffer.from(log);
  return bytes.subarray(Math.max(0, bytes.length - TAIL_BYTES)).toString('base64');
}

/** The metrics' outcome label, from the platform's error types (function-errors.ts). */
function outcomeClass(functionError: string | undefined, errorType: string | undefined): string {
  if (!functionError) return 'success';
  if (errorType === 'Sandbox.Timedout') return 'timeout';
  if (errorType === 'Runtime.OutOfMemory') return 'out-of-memory';
  if (errorType === 'Runtime.ExitError') return 'runtime-exit';
  return 'function-error';
}

/** X-Amz-Client-Context is base64 JSON; the runtime gets the JSON text. */
function decodeClientContext(b64: string): string {
  const text = Buffer.from(b64, 'base64').toString('utf8');
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return text;
  } catch {
    // Reported below.
  }
  throw new InvalidRequestContentException('Client context must be a valid Base64-encoded JSON object.');
}

/** Random bytes for trace ids, drawn from the system in blocks rather than per invocation. */
const TRACE_RANDOM = Buffer.alloc(20 * 200);
let traceRandomAt = TRACE_RANDOM.length;

/** An X-Ray trace header for an invocation that arrived without one (Lambda starts a trace per request). */
function newTraceId(now: number): string {
  const secs = Math.floor(now / 1000).toString(16).padStart(8, '0');
  if (traceRandomAt >= TRACE_RANDOM.length) {
    randomFillSync(TRACE_RANDOM);
    traceRandomAt = 0;
  }
  const r = TRACE_RANDOM.toString('hex', traceRandomAt, (traceRandomAt += 20));
  return `Root=1-${secs}-${r.slice(0, 24)};Parent=${r.slice(24)};Sampled=0`;
}
