import { accessSync, constants, existsSync, mkdirSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { LAMBDA_STREAM_LIMITS } from '../invoke/streamed-response.js';
import { delimiter, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import type { CodeStore } from '../ports/code-store.js';
import type { FunctionEvents } from '../ports/function-events.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { SandboxDriver, SandboxFeatures } from '../ports/sandbox-driver.js';
import { ProcessSandboxDriver } from '../sandbox/process-driver.js';
import { runtimeFilesDir } from '../runtimes/runtime-files.js';
import { FileLogStorage } from '../store/file-log-storage.js';
import { importLegacyLogs } from '../store/legacy-log-import.js';
import type { LogStorage } from '../ports/log-storage.js';
import { RuntimeCatalog } from '../invoke/runtime-catalog.js';
import { EnvironmentPool } from '../invoke/environment-pool.js';
import { LocalExecutionEnvironment } from '../invoke/execution-environment.js';
import { withTimers } from './system-clock.js';
import type { EnvironmentDeps } from '../invoke/environment-contract.js';
import { ConcurrencyLeases } from '../invoke/concurrency-leases.js';
import type { ConcurrencyUsage } from '../invoke/concurrency-policy.js';
import { InvokeService, type InvocationTargets } from '../invoke/invoke-service.js';
import { Provisioner, type ProvisionedConfig } from '../invoke/provisioner.js';
import { PrewarmPool } from '../invoke/prewarm-pool.js';
import { StemCell } from '../invoke/prewarm-stem-cell.js';
import type { Metrics } from '../ports/metrics.js';
import type { InvocationTracing } from '../ports/invocation-tracing.js';
import type { RoleCredentials } from '../ports/role-credentials.js';
import { prepareNodeRuntime } from '../runtimes/node-runtime-dir.js';
import { DevSessions } from '../invoke/dev/dev-sessions.js';
import type { FunctionReadModel } from '../ports/function-read-model.js';
import { StoredFunctionReadModel } from '../control/stored-function-read-model.js';
import { ProcCpuSignals } from '../sandbox/proc-cpu-signals.js';
import type { CpuSignals } from '../ports/cpu-signals.js';
import { DEFAULT_HOST_AWARE } from '../invoke/host-aware-placement.js';

export interface DataPlane {
  readonly invoke: InvokeService;
  /** How the data plane reads functions, versions, aliases and their configs. */
  readonly functions: FunctionReadModel;
  /** Invocations running now, by pool (CloudWatch's ConcurrentExecutions and UnreservedConcurrentExecutions). */
  concurrency(): ConcurrencyUsage;
  readonly pool: EnvironmentPool;
  /** CloudWatch Logs' storage: function environments write their streams here; the logs API reads it. */
  readonly logs: LogStorage;
  readonly driver: SandboxDriver;
  /** What the driver's sandboxes can do here (its probe's answer). */
  readonly features: SandboxFeatures;
  /** Pre-initialized runtimes (stem cells); disabled when FLINT_PREWARM_PER_RUNTIME is 0 or the driver cannot start them. */
  readonly prewarm: PrewarmPool;
  /** Hot-reload folders and debug sessions (the `/flint/dev` routes). */
  readonly dev: DevSessions;
  /** The host's CPU signal, where host-aware placement or adaptive async deliveries use it. */
  readonly cpu: CpuSignals | undefined;
  /**
   * Tells the sandboxes where Flint's API is, once it listens: code inside reaches it at the
   * address the driver gives (AWS_ENDPOINT_URL and the per-service variables).
   */
  setEndpoint(endpoint: string): void;
  /** Removes what a crashed server left in the sandboxes, then starts provisioned environments for stored configs. */
  start(): Promise<void>;
  /** Brings one config's provisioned environments to what `provisionedConfigs` says now (cluster placement changed). */
  resyncProvisioned(functionName: string, qualifier: string): void;
  stop(): Promise<void>;
}

/**
 * Wires the synchronous data plane: sandbox driver, runtimes, environment pool, concurrency
 * leases, invoke service and provisioner. Environments' credentials and logs live here too.
 */
export function createDataPlane(deps: {
  config: FlintConfig;
  clock: Clock;
  store: MetadataStore;
  code: CodeStore;
  events: FunctionEvents;
  targets: InvocationTargets;
  committed(): number;
  provisionedConfigs(functionName?: string): ProvisionedConfig[];
  markProvisionedAllocated(functionName: string, qualifier: string, allocated: number, status: 'READY' | 'IN_PROGRESS' | 'FAILED', reason?: string): void;
  /** Another sandbox driver (an isolating one); the process driver otherwise. */
  driver?: SandboxDriver;
  /** The probed features of `driver` (those of the process driver otherwise). */
  driverFeatures?: SandboxFeatures;
  /** Issues each execution environment's assumed-role session (the STS service). */
  roleCredentials: RoleCredentials;
  /** Receives one record per finished invocation (with its start type). */
  metrics?: Pick<Metrics, 'invocation' | 'throttle'>;
  /** X-Ray segments of traced invocations. */
  tracing?: InvocationTracing;
  /** CloudWatch Logs' storage the stores own (a cluster's, in PostgreSQL); the data dir's otherwise. */
  logs?: LogStorage;
  log(line: string): void;
}): DataPlane {
  const { config } = deps;
  const clock = withTimers(deps.clock);
  // Node.js decides whether a .js file is CommonJS or ESM from the nearest package.json, looking
  // past the function's code into the directories above it. On Lambda nothing lies above
  // /var/task; here the data directory may sit inside a project with "type": "module", so a
  // package.json at its top ends the search where Lambda's would.
  mkdirSync(config.dataDir, { recursive: true });
  const boundary = join(config.dataDir, 'package.json');
  if (!existsSync(boundary)) writeFileSync(boundary, JSON.stringify({ private: true, type: 'commonjs', description: "Ends Node.js's package scope lookup for function code kept below this directory." }, null, 2) + '\n');
  const driver = deps.driver ?? new ProcessSandboxDriver({ scratchDir: join(config.dataDir, 'sandboxes', 'process') });
  const features: SandboxFeatures = deps.driverFeatures ?? PROCESS_FEATURES;
  const logs = deps.logs ?? new FileLogStorage(join(config.dataDir, 'log-groups'), () => clock.now());
  // Logs of a Flint from before the logs API (files under <data>/logs) join their groups once.
  if (!deps.logs && existsSync(join(config.dataDir, 'logs'))) {
    try {
      const imported = importLegacyLogs(join(config.dataDir, 'logs'), logs);
      deps.log(`flint: imported ${imported.events} log event(s) in ${imported.streams} stream(s) from ${join(config.dataDir, 'logs')} into /aws/lambda/* log groups (the old directory is now logs.imported)`);
    } catch (err) {
      deps.log(`flint: warning: the logs in ${join(config.dataDir, 'logs')} could not be imported (${String(err)}); they stay there`);
    }
  }
  const pythonPath = config.pythonPath || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : which('python3') ?? 'python3');
  // The Node.js runtime directory with the AWS SDK v3 in node_modules, as Lambda's /var/runtime.
  const nodeRuntimeDir = prepareNodeRuntime({ dataDir: config.dataDir, log: deps.log });
  linkRuntimeNodeModules(config.dataDir, nodeRuntimeDir);
  const runtimes = new RuntimeCatalog({
    runtimeFilesDir: runtimeFilesDir(),
    nodeRuntimeDir,
    nodePath: process.execPath,
    nodeVersion: process.versions.node,
    pythonPath,
  });
  let endpoint: string | undefined;
  const envDeps: EnvironmentDeps = {
    driver,
    runtimes,
    logs,
    credentials: deps.roleCredentials,
    clock,
    region: config.region,
    initTimeoutMs: config.initTimeoutMs,
    ...(config.streamLimits ? { streamLimits: { ...LAMBDA_STREAM_LIMITS, ...config.streamLimits } } : {}),
    // Lambda's execution-role sessions last hours; extended while the environment lives.
    credentialTtlMs: CREDENTIAL_TTL_MS,
    get apiEndpoint() {
      return endpoint;
    },
  };
  const nodeMajor = process.versions.node.split('.')[0];
  const prewarm = new PrewarmPool({
    clock,
    perRuntime: features.preInitialized ? config.prewarmPerRuntime : 0,
    startCell: (key) => StemCell.start({ driver, runtimes, clock, runtimeId: key.family === 'nodejs' ? `nodejs${nodeMajor}.x` : 'python3.12' }, key),
    log: deps.log,
  });
  let provisioner: Provisioner | undefined;
  const signals = config.placement === 'host-aware' || config.asyncDeliveries === 'adaptive' ? new ProcCpuSignals() : undefined;
  if (signals?.degraded) deps.log(`flint: CPU signal (host-aware placement, adaptive async deliveries): ${signals.degraded}`);
  const pool = new EnvironmentPool({
    clock,
    // A debugged runtime starts with its inspector: never a pre-started one.
    create: (binding) => new LocalExecutionEnvironment(binding, envDeps, binding.debug ? undefined : prewarm.take(binding)),
    idleTimeoutMs: config.idleTimeoutMs,
    maxLifetimeMs: config.maxLifetimeMs,
    onStopped: (env, provisionedFor) => provisioner?.environmentStopped(env, provisionedFor),
    ...(signals && config.placement === 'host-aware' ? { hostAware: { signals, settings: DEFAULT_HOST_AWARE } } : {}),
  });
  const leases = new ConcurrencyLeases();
  const dev = new DevSessions({ retire: (fn, version) => pool.retire(fn, version) });
  // A deleted function's folder and debug session go with it (a new function of the same name starts clean).
  deps.events.subscribe((e) => { if (e.type === 'function-deleted') void dev.forget(e.functionName); });
  const functions = new StoredFunctionReadModel(deps.store);
  const invoke = new InvokeService({
    dev,
    targets: deps.targets,
    functions,
    code: deps.code,
    events: deps.events,
    pool,
    leases,
    runtimes,
    clock,
    uuid: randomUUID,
    random: Math.random,
    accountLimit: config.concurrencyLimit,
    committed: deps.committed,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.tracing ? { tracing: deps.tracing } : {}),
  });
  provisioner = new Provisioner({
    pool,
    invoke,
    targets: deps.targets,
    events: deps.events,
    configs: deps.provisionedConfigs,
    markAllocated: deps.markProvisionedAllocated,
    log: deps.log,
  });
  return {
    invoke,
    functions,
    cpu: signals,
    concurrency: () => leases.usage(),
    pool,
    logs,
    driver,
    features,
    prewarm,
    dev,
    setEndpoint(e) {
      endpoint = driver.connectFlintApi(e);
    },
    async start() {
      await driver.reapOrphans().catch((err: unknown) => deps.log(`flint: cleaning up old sandboxes failed: ${String(err)}`));
      // Sandboxes see the runtime directory read-only, so Python could not cache the bootstrap's
      // bytecode there and would compile it on every start (~10 ms, ~1.4 MiB): compile it once here.
      await execFileAsync(pythonPath, ['-m', 'compileall', '-q', join(runtimeFilesDir(), 'python')], { timeout: 30_000 })
        .catch((err: unknown) => deps.log(`flint: warning: could not precompile the Python bootstrap (${String((err as Error).message).split('\n')[0]}); Python starts compile it each time`));
      provisioner!.startAll();
    },
    resyncProvisioned(functionName, qualifier) {
      void provisioner!.sync(functionName, qualifier);
    },
    async stop() {
      provisioner!.close();
      await prewarm.close();
      await dev.close();
      await pool.close();
      if (!deps.logs) await logs.close();
    },
  };
}

const execFileAsync = promisify(execFile);

/** The process driver's features (it needs no probe to know them). */
const PROCESS_FEATURES: SandboxFeatures = { preInitialized: true, networkModes: ['default'], outbound: true };

/**
 * ES modules ignore NODE_PATH, so an `import '@aws-sdk/client-lambda'` finds the runtime's SDK by
 * the node_modules lookup through parent directories. Inside a bwrap sandbox `/node_modules`
 * links to `/var/runtime/node_modules`; with the process driver code and layers live below the
 * data directory, so `<dataDir>/node_modules` does the same (and ends the lookup there, before any
 * node_modules of a project the data directory sits in).
 */
function linkRuntimeNodeModules(dataDir: string, nodeRuntimeDir: string): void {
  const link = join(dataDir, 'node_modules');
  const target = join(nodeRuntimeDir, 'node_modules');
  if (!existsSync(target)) return;
  try {
    if (readlinkSync(link) === target) return;
    unlinkSync(link);
  } catch {
    // absent, or not a link: leave what is not ours alone
    if (existsSync(link)) return;
  }
  symlinkSync(target, link);
}

/** An execution environment's session lifetime: twice Lambda's longest invocation at least (see EnvironmentSession). */
const CREDENTIAL_TTL_MS = 3_600_000;

function which(cmd: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}
