import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Sandbox, SandboxCapability, SandboxDriver, SandboxPaths, SandboxSpec, UnboundSandbox, UnboundSandboxSpec } from '../ports/sandbox-driver.js';
import { bwrapArgs, FLINT_CA_IN_SANDBOX, SANDBOX_PATHS } from './bwrap-args.js';
import { BwrapSandbox, type SandboxParts } from './bwrap-sandbox.js';
import { UnboundBwrapSandbox } from './bwrap-unbound-sandbox.js';
import { detectCgroupLayout } from './cgroups/cgroup-layout.js';
import { CgroupTree } from './cgroups/cgroup-tree.js';
import type { CgroupLimits } from './cgroups/sandbox-cgroup.js';
import { LayerViews } from './layer-view.js';
import { OwnerTag } from './owner-tag.js';
import { RuntimeApiBridge } from './runtime-api-bridge.js';
import { FLINT_API_PORT, RELAY_PORT } from './sandbox-init-script.js';
import { loopbackTarget, withFlintCa, type FlintCaFiles } from './flint-api-access.js';
import { ScratchSpace } from './scratch-space.js';
import { scratchRootFor } from './scratch-root.js';
import { SlirpEgress } from './slirp-egress.js';
import { probeBwrap, type BwrapSetup } from './bwrap-probe.js';
import { sharedSpawnHelper } from './spawner/spawn-helper.js';
import { extraHostDirs, preflightCommand, readInfo, type StartSpec } from './bwrap-preflight.js';

export interface BwrapDriverOptions {
  /**
   * Host directory for per-instance scratch files (default /run/flint, or /dev/shm/flint when /run
   * is not in memory: see scratch-root.ts) and for tools built on first use (always here).
   */
  scratchRoot?: string;
  /** Host uids handed to sandboxes: [uidBase, uidBase + uidCount), one per live sandbox. */
  uidBase?: number;
  uidCount?: number;
  cpuPeriodUs?: number;
  /** Lambda's per-environment limit on processes and threads. */
  pidsMax?: number;
  /** Give the init phase the whole machine's CPU, applying the memory-proportional share at the first /next. */
  initCpuBoost?: boolean;
  /** Longest init before the CPU share applies anyway (Lambda's init limit is 10 s). */
  initBoostMaxMs?: number;
  /** `native` (flint-sandbox-init, built on first use), `shell` (setpriv + sh + socat), `auto` (native when it builds). */
  init?: 'auto' | 'native' | 'shell';
  /** Network namespaces kept ready per network mode (native init only; 0: make each on demand). */
  netnsPool?: number;
  /** Pre-initialized runtimes (`startUnbound`): offered when flint-mount-into builds and works (default true). */
  preInitialized?: boolean;
  /**
   * Where to find tools (tests point these elsewhere to simulate missing ones). `mountInto`: a
   * prebuilt flint-mount-into instead of building it from source.
   */
  tools?: { bwrap?: string; socat?: string; slirp4netns?: string; mountInto?: string };
  /** Flint's CA on the host when its API is HTTPS: bound into every sandbox, trusted by the SDKs inside. */
  flintCa?: FlintCaFiles;
}

/** The trial sandbox of probe(): it must not start a pool of namespaces nobody may use. */
const PROBE_ID = 'flint-probe';

/** Lambda: 1,769 MB of memory is one vCPU's worth of CPU time; CPU scales with memory. */
export const MB_PER_VCPU = 1769;

/**
 * The isolating driver: bubblewrap for namespaces (user, pid, mount, ipc, uts, net, cgroup),
 * a read-only root holding only /usr, a few /etc files, the code, layers and runtime, a tmpfs
 * /tmp of the function's ephemeral storage size, and a seccomp filter compiled once per server;
 * cgroups (v1 or v2) that Flint manages itself for memory, CPU and process limits; slirp4netns
 * for outbound-only networking; a unix-socket relay for the Runtime API.
 */
export class BwrapSandboxDriver implements SandboxDriver {
  readonly name = 'bwrap';
  readonly #opts: Required<Omit<BwrapDriverOptions, 'tools' | 'flintCa'>>;
  readonly #flintCa: FlintCaFiles | undefined;
  readonly #mountIntoPath: string | undefined;
  readonly #tools: { bwrap: string; socat: string; slirp4netns: string };
  readonly #tag = OwnerTag.forThisProcess();
  readonly #scratch: ScratchSpace;
  readonly #layers: LayerViews;
  #probe: Promise<SandboxCapability> | undefined;
  /** What the probe prepared (absent until it ran, or when bwrap is unavailable). */
  #setup: BwrapSetup | undefined;
  #counter = Math.floor(Math.random() * 0x10000);
  readonly #uidsInUse = new Set<number>();
  /** Flint's front door on the host: every sandbox's API relay connects there and nowhere else. */
  #flintApi: { host: string; port: number } | undefined;

  constructor(opts: BwrapDriverOptions = {}) {
    this.#opts = {
      scratchRoot: opts.scratchRoot ?? '/run/flint',
      uidBase: opts.uidBase ?? 1_879_048_192,
      uidCount: opts.uidCount ?? 65_536,
      cpuPeriodUs: opts.cpuPeriodUs ?? 100_000,
      pidsMax: opts.pidsMax ?? 1024,
      initCpuBoost: opts.initCpuBoost ?? true,
      initBoostMaxMs: opts.initBoostMaxMs ?? 10_000,
      init: opts.init ?? 'auto',
      netnsPool: opts.netnsPool ?? 2,
      preInitialized: opts.preInitialized ?? true,
    };
    this.#flintCa = opts.flintCa;
    this.#mountIntoPath = opts.tools?.mountInto;
    this.#tools = {
      bwrap: opts.tools?.bwrap ?? '/usr/bin/bwrap',
      socat: opts.tools?.socat ?? '/usr/bin/socat',
      slirp4netns: opts.tools?.slirp4netns ?? '/usr/bin/slirp4netns',
    };
    // Tools built on first use stay under scratchRoot (/dev/shm may be mounted noexec); the
    // sandboxes' own directories go where creating them costs no disk metadata.
    this.#scratch = new ScratchSpace(opts.scratchRoot ?? scratchRootFor(this.#opts.scratchRoot), this.#tag);
    this.#layers = new LayerViews(() => this.#scratch.instanceDir);
  }

  probe(): Promise<SandboxCapability> {
    this.#probe ??= this.#runProbe();
    return this.#probe;
  }

  async #runProbe(): Promise<SandboxCapability> {
    const found = await probeBwrap({
      scratchRoot: this.#opts.scratchRoot,
      init: this.#opts.init,
      netnsPool: this.#opts.netnsPool,
      preInitialized: this.#opts.preInitialized,
      tools: this.#tools,
      mountIntoPath: this.#mountIntoPath,
      tag: this.#tag,
      trial: (setup, network) => {
        this.#setup = setup;
        return this.#trial(network);
      },
    });
    this.#setup = found.setup;
    return found.capability;
  }

  /** Runs `/bin/sh -c 'exit 0'` in a sandbox; returns what went wrong, if anything. */
  async #trial(network: 'default' | 'isolated'): Promise<string | undefined> {
    try {
      const sandbox = await this.#start({
        id: PROBE_ID, taskRoot: '/usr/share', runtimeDir: '/usr/share', layers: [], argv: ['/bin/sh', '-c', 'exit 0'], env: {},
        memoryMb: 128, ephemeralStorageMb: 16, runtimeApi: { host: '127.0.0.1', port: 9 }, network, onOutput: () => {},
      });
      const exit = await sandbox.exited;
      await sandbox.destroy();
      return exit.code === 0 ? undefined : `a trial sandbox exited with ${exit.code ?? exit.signal}`;
    } catch (err) {
      return `a trial sandbox failed: ${(err as Error).message}`;
    }
  }

  paths(): SandboxPaths {
    return { ...SANDBOX_PATHS };
  }

  runtimeApiAddress(): string {
    return `127.0.0.1:${RELAY_PORT}`;
  }

  /**
   * Every sandbox (those already running and pre-initialized ones included: the target is read per
   * connection) reaches `endpoint` at its own 127.0.0.1:9002, relayed like the Runtime API.
   */
  connectFlintApi(endpoint: string): string {
    this.#flintApi = loopbackTarget(endpoint);
    // The relay carries bytes: over HTTPS the TLS session runs end to end, from the SDK inside to
    // Flint's listener, and the server certificate names 127.0.0.1 (the local CA's always does).
    return `${new URL(endpoint).protocol}//127.0.0.1:${FLINT_API_PORT}`;
  }

  async start(spec: SandboxSpec): Promise<Sandbox> {
    const cap = await this.probe();
    if (!cap.available) throw new Error(`bwrap sandbox unavailable: ${cap.reason}`);
    return this.#start(spec);
  }

  /**
   * A sandbox with empty /var/task and /opt (directories on its read-only root) whose runtime
   * waits for its function; `bind` attaches the code and layers inside its mount namespace. Only
   * where the probe found flint-mount-into working (`features.preInitialized`).
   */
  async startUnbound(spec: UnboundSandboxSpec): Promise<UnboundSandbox> {
    const cap = await this.probe();
    if (!cap.available) throw new Error(`bwrap sandbox unavailable: ${cap.reason}`);
    if (!cap.features.preInitialized) throw new Error(`bwrap: no pre-initialized runtimes here (${cap.notes?.find((n) => n.startsWith('no pre-initialized')) ?? 'disabled'})`);
    return this.#start({ ...spec, taskRoot: undefined, layers: [] }) as Promise<UnboundBwrapSandbox>;
  }

  async #start(spec: StartSpec): Promise<Sandbox> {
    preflightCommand(spec);
    const setup = this.#setup!;
    const tree = setup.tree;
    const uid = this.#allocateUid();
    const parts: SandboxParts = { tree, scratch: this.#scratch, layers: this.#layers, layerList: spec.layers, releaseUid: () => this.#uidsInUse.delete(uid) };
    try {
      const memoryBytes = spec.memoryMb * 1024 * 1024;
      const share = this.#cpuQuota(spec.memoryMb);
      const limits: CgroupLimits = { memoryBytes, cpuPeriodUs: this.#opts.cpuPeriodUs, cpuQuotaUs: this.#opts.initCpuBoost ? undefined : share, pidsMax: this.#opts.pidsMax };
      parts.cgroup = tree.create(`${spec.id}-${uid - this.#opts.uidBase}`, limits);
      const dir = this.#scratch.createSandboxDir(`s${uid - this.#opts.uidBase}`, uid);
      parts.dir = dir;
      const applyShare = () => { try { parts.cgroup?.setCpuQuota(share, this.#opts.cpuPeriodUs); } catch { /* gone */ } };
      const [runtimeBridge, apiBridge] = await Promise.allSettled([
        RuntimeApiBridge.listen(join(dir, 'api', 'runtime-api.sock'), spec.runtimeApi, uid, uid, this.#opts.initCpuBoost ? applyShare : undefined),
        RuntimeApiBridge.listen(join(dir, 'api', 'flint-api.sock'), () => this.#flintApi, uid, uid),
      ]);
      if (runtimeBridge.status === 'fulfilled') parts.bridge = runtimeBridge.value;
      if (apiBridge.status === 'fulfilled') parts.apiBridge = apiBridge.value;
      if (runtimeBridge.status === 'rejected') throw runtimeBridge.reason;
      if (apiBridge.status === 'rejected') throw apiBridge.reason;
      // A pre-initialized sandbox waits for its function for minutes, idle: its boost (and the
      // longest-init timer) starts at bind, so the function's init gets the same boost as a cold one.
      if (this.#opts.initCpuBoost) parts.startInitBoost = () => { parts.boostTimer ??= setTimeout(applyShare, this.#opts.initBoostMaxMs).unref(); };
      if (spec.taskRoot !== undefined) parts.startInitBoost?.();
      const opt = await this.#layers.acquire(spec.layers);
      parts.layersAcquired = true;

      const native = setup.init.kind === 'native';
      // A prepared network namespace (egress already attached) when the native launcher can enter it.
      if (native) parts.netns = await setup.netns!.take(spec.network, { refill: spec.id !== PROBE_ID });
      // stdio of the bwrap process: 0-2 std, 3 info (bwrap writes), 4 seccomp program (we write),
      // 5 block (shell init only: we write once the namespace's first process is in the cgroup).
      const args = bwrapArgs({
        rootEntries: setup.rootEntries,
        ...(setup.localtime !== undefined ? { localtime: setup.localtime } : {}),
        etcDir: this.#scratch.etcDir,
        sandboxDir: dir,
        uid,
        network: spec.network,
        netns: native ? 'inherit' : 'unshare',
        tmpBytes: spec.ephemeralStorageMb * 1024 * 1024,
        taskRoot: spec.taskRoot,
        runtimeDir: spec.runtimeDir,
        runtimeNodeModules: existsSync(join(spec.runtimeDir, 'node_modules')),
        opt,
        extra: extraHostDirs(spec.argv[0]),
        ...(this.#flintCa ? { flintCa: this.#flintCa } : {}),
        fds: { info: 3, seccomp: 4, ...(native ? {} : { block: 5 }) },
        init: setup.init,
        command: spec.argv,
      });
      // Native: the launcher joins the cgroups and the prepared namespace, then execs bwrap, so
      // every process of the sandbox starts limited and nothing waits for a round trip.
      const [file, argv] = setup.init.kind === 'native'
        ? [setup.init.path, ['--launch', parts.netns!.path, ...parts.cgroup.procsFiles(), '--', this.#tools.bwrap, ...args]]
        : [this.#tools.bwrap, args];
      // Exactly the environment the runtime gets: nothing of Flint's leaks in.
      const env = withFlintCa(spec.env, this.#flintCa ? FLINT_CA_IN_SANDBOX : undefined);
      const helper = native ? await sharedSpawnHelper() : undefined;
      if (native && helper) {
        // From the spawner helper: the fork does not stall the server (see SpawnHelper.launch).
        const launched = await helper.launch(file, argv, env, setup.seccomp);
        parts.child = launched;
        launched.stdout?.on('data', (c: Buffer) => spec.onOutput(c, 'stdout'));
        launched.stderr?.on('data', (c: Buffer) => spec.onOutput(c, 'stderr'));
        this.#whenInitKnown(parts, launched.initPid);
      } else {
        const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', native ? 'ignore' : 'pipe'], env });
        parts.child = child;
        (child.stdio as unknown as Writable[])[4]!.on('error', () => {}).end(setup.seccomp);
        child.stdout!.on('data', (c: Buffer) => spec.onOutput(c, 'stdout'));
        child.stderr!.on('data', (c: Buffer) => spec.onOutput(c, 'stderr'));
        await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
        const info = readInfo(child.stdio[3] as Readable, child);
        if (native) this.#whenInitKnown(parts, info);
        else {
          parts.initPid = await info;
          // The namespace's first process waits on the block fd: join the cgroup before it forks.
          parts.cgroup.addProcess(parts.initPid);
          if (spec.network === 'default' && setup.egress) parts.egress = await SlirpEgress.start(this.#tools.slirp4netns, parts.initPid);
          (child.stdio as unknown as Writable[])[5]!.end('1');
        }
      }
      if (spec.taskRoot === undefined) return new UnboundBwrapSandbox(spec.id, this.runtimeApiAddress(), parts, setup.mountInto!);
      return new BwrapSandbox(spec.id, this.runtimeApiAddress(), parts);
    } catch (err) {
      await new BwrapSandbox(spec.id, this.runtimeApiAddress(), parts).destroy().catch(() => {});
      throw err;
    }
  }

  /**
   * Native init: bwrap reports its first process once it runs, inside the prepared namespace. From
   * then on the sandbox keeps the namespace alive and the holder process can go.
   */
  #whenInitKnown(parts: SandboxParts, info: Promise<number>): void {
    parts.initPidKnown = info;
    info.then((pid) => { parts.initPid = pid; parts.netns?.dropHolder(); }, () => { /* exited early: the exit reports it */ });
  }

  #cpuQuota(memoryMb: number): number {
    const cpus = Math.min(memoryMb / MB_PER_VCPU, availableParallelism());
    return Math.max(1000, Math.round(cpus * this.#opts.cpuPeriodUs));
  }

  #allocateUid(): number {
    for (let i = 0; i < this.#opts.uidCount; i++) {
      const uid = this.#opts.uidBase + (this.#counter++ % this.#opts.uidCount);
      if (!this.#uidsInUse.has(uid)) { this.#uidsInUse.add(uid); return uid; }
    }
    throw new Error('no free sandbox uid');
  }

  async reapOrphans(): Promise<void> {
    const cg = detectCgroupLayout();
    if (cg.ok) await new CgroupTree(cg.layout, this.#tag).reapOrphans();
    this.#scratch.reapOrphans();
  }
}
