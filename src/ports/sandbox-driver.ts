import type { Duplex } from 'node:stream';

/**
 * A sandbox runs one execution environment's process tree. Drivers (process, bwrap+cgroups, ...)
 * implement this port; the invoke layer never knows which one it has.
 */
/** Where a sandbox's runtime reaches its Runtime API. */
export interface RuntimeApiEndpoint {
  host: string;
  port: number;
  /**
   * When the Runtime API is served in this process: takes a connection the driver already holds
   * (a relay's unix socket) straight into the HTTP server, so the driver need not copy bytes
   * between it and a new TCP connection to host:port. `onFirstNext` is called at the first
   * `GET .../invocation/next` on it (the end of the init phase).
   */
  accept?(socket: Duplex, onFirstNext?: () => void): void;
}

export interface SandboxSpec {
  /** Unique id of the execution environment (used for cgroup / scratch names). */
  id: string;
  /** Host directory of the extracted function code (seen inside as /var/task). */
  taskRoot: string;
  /** Host directories of the extracted layers, in order (merged inside as /opt). */
  layers: string[];
  /** Host directory of Flint's runtime bootstrap files (seen inside as /var/runtime). */
  runtimeDir: string;
  /**
   * The command to start, with paths expressed through the sandbox view (see SandboxPaths);
   * built by the caller from `driver.paths(spec)`.
   */
  argv: string[];
  env: Record<string, string>;
  memoryMb: number;
  /** Size of the writable /tmp in MB (Lambda's EphemeralStorage). */
  ephemeralStorageMb: number;
  /** The Runtime API this environment must reach, as listened on by the host. */
  runtimeApi: RuntimeApiEndpoint;
  /** `default`: outbound allowed, nothing inbound. `isolated`: only the Runtime API. */
  network: 'default' | 'isolated';
  /** Receives everything the process tree writes to stdout/stderr. */
  onOutput(chunk: Buffer, stream: 'stdout' | 'stderr'): void;
}

/** Paths as the code inside the sandbox sees them. */
export interface SandboxPaths {
  taskRoot: string;
  opt: string;
  runtimeDir: string;
  tmp: string;
}

export interface SandboxExit {
  code: number | null;
  signal: string | null;
  /** True when the memory limit killed it (from the kernel's own evidence where available). */
  oomKilled: boolean;
}

export interface Sandbox {
  readonly id: string;
  readonly pid: number;
  /** What AWS_LAMBDA_RUNTIME_API must be set to inside (host:port). */
  readonly runtimeApiAddress: string;
  readonly exited: Promise<SandboxExit>;
  /** Peak memory use of the tree in bytes, where measurable. */
  maxMemoryBytes(): number | undefined;
  /**
   * Optional: cumulative milliseconds the main process (the runtime) has waited runnable for a
   * CPU, where the host tells it; undefined once it is gone. Host-aware placement subtracts the
   * part that fell inside an invocation from its wall time (contention is not the handler's).
   */
  runQueueWaitMs?(): number | undefined;
  /** Kill the whole tree and release every resource (idempotent). */
  destroy(): Promise<void>;
  /**
   * Optional: a signal to the sandbox's main process alone (the runtime, or the launcher Flint put
   * in front of it), not to the rest of the tree — Lambda's SIGTERM at shutdown.
   */
  signalMain?(signal: 'SIGTERM' | 'SIGUSR1'): void;
  /**
   * Optional: a connection from the host to a TCP port a process inside listens on (its own
   * loopback), e.g. a debugger's to the runtime's inspector. Drivers without it cannot debug.
   */
  connect?(port: number): Duplex | undefined;
}

/** A sandbox started without code: everything of a spec but the task root and layers. */
export type UnboundSandboxSpec = Omit<SandboxSpec, 'taskRoot' | 'layers'>;

export interface UnboundSandbox extends Sandbox {
  /**
   * Makes the function's code (task root) and layers visible inside, once; resolves with the
   * paths the code sees, which equal `driver.paths` for a spec with the same id, code and layers.
   */
  bind(code: Pick<SandboxSpec, 'taskRoot' | 'layers'>): Promise<SandboxPaths>;
}

/** What a driver's sandboxes can do on this host, as its probe found it. */
export interface SandboxFeatures {
  /** `startUnbound` works: runtimes can start before their function is known (pre-initialized). */
  preInitialized: boolean;
  /** The network modes sandboxes start in (`SandboxSpec.network`). */
  networkModes: ReadonlyArray<SandboxSpec['network']>;
  /** Mode `default` reaches beyond the host (false: it gets no outbound access either). */
  outbound: boolean;
  /** The cgroup version limits are applied with; absent when the driver uses no cgroups. */
  cgroupVersion?: 1 | 2;
}

export interface SandboxCapability {
  available: boolean;
  /** Why not, when unavailable. */
  reason?: string;
  isolated: boolean;
  /** What the sandboxes can do (decided by the probe; callers never test for methods). */
  features: SandboxFeatures;
  /** What an operator should know when it is available (e.g. cgroup version, a degraded feature). */
  notes?: string[];
}

export interface SandboxDriver {
  readonly name: string;
  probe(): Promise<SandboxCapability>;
  /** Where code, layers, runtime and /tmp appear to the process for this spec. */
  paths(spec: Pick<SandboxSpec, 'id' | 'taskRoot' | 'runtimeDir' | 'layers'>): SandboxPaths;
  /** The value of AWS_LAMBDA_RUNTIME_API inside, for this spec. */
  runtimeApiAddress(spec: Pick<SandboxSpec, 'id' | 'runtimeApi' | 'network'>): string;
  /**
   * Gives code in this driver's sandboxes a way to Flint's own API (its AWS front door), so SDKs
   * inside reach Flint with no code change. `endpoint` is Flint's API as listened on the host;
   * returns the URL the code uses inside (AWS_ENDPOINT_URL and the per-service variables).
   */
  connectFlintApi(endpoint: string): string;
  start(spec: SandboxSpec): Promise<Sandbox>;
  /**
   * Starts a sandbox before its function is known (a pre-initialized runtime, a "stem cell"). Code
   * and layers are made visible later by `bind`. Usable only where the probe's
   * `features.preInitialized` says so; drivers without it only cold-start.
   */
  startUnbound?(spec: UnboundSandboxSpec): Promise<UnboundSandbox>;
  /** Remove what a previous (crashed) server left behind: cgroups, mounts, scratch dirs, processes. */
  reapOrphans(): Promise<void>;
}
