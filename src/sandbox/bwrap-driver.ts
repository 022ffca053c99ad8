import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { Sandbox, SandboxCapability, SandboxDriver, SandboxPaths, SandboxSpec, UnboundSandbox, UnboundSandboxSpec } from '../ports/sandbox-driver.js';
import { bwrapArgs, FLINT_CA_IN_SANDBOX, SANDBOX_PATHS, type RootEntry } from './bwrap-args.js';
import { BwrapSandbox, type SandboxParts } from './bwrap-sandbox.js';
import { UnboundBwrapSandbox } from './bwrap-unbound-sandbox.js';
import { MountInto } from './mount-into.js';
import { detectCgroupLayout } from './cgroups/cgroup-layout.js';
import { CgroupTree } from './cgroups/cgroup-tree.js';
import type { CgroupLimits } from './cgroups/sandbox-cgroup.js';
import { LayerViews } from './layer-view.js';
import { OwnerTag } from './owner-tag.js';
import { RuntimeApiBridge } from './runtime-api-bridge.js';
import { FLINT_API_PORT, RELAY_PORT } from './sandbox-init-script.js';
import { loopbackTarget, withFlintCa, type FlintCaFiles } from './flint-api-access.js';
import { ScratchSpace } from './scratch-space.js';
import { compileSandboxSeccomp } from './seccomp/sandbox-seccomp-profile.js';
import { SlirpEgress } from './slirp-egress.js';
import { ensureNativeInit } from './native-init.js';
import { NetnsPool } from './netns-pool.js';

export interface BwrapDriverOptions {
  /** Host directory for per-instance scratch files (default /run/flint). */
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
  #mountInto: MountInto | undefined;
  /**
   * Starts a sandbox whose code and layers come later (a pre-initialized runtime); set by the probe
   * only where flint-mount-into works, so without it the pre-initialized pool stays off.
   */
  startUnbound?: (spec: UnboundSandboxSpec) => Promise<UnboundSandbox>;
  #init: { kind: 'native'; path: string } | { kind: 'shell' } = { kind: 'shell' };
  readonly #tools: { bwrap: string; socat: string; slirp4netns: string };
  readonly #tag = OwnerTag.forThisProcess();
  readonly #scratch: ScratchSpace;
  readonly #layers: LayerViews;
  #probe: Promise<SandboxCapability> | undefined;
  #tree: CgroupTree | undefined;
  #seccomp: Buffer | undefined;
  #rootEntries: RootEntry[] = [];
  #localtime: string | undefined;
  #egress = false;
  #netns: NetnsPool | undefined;
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
    this.#scratch = new ScratchSpace(this.#opts.scratchRoot, this.#tag);
    this.#layers = new LayerViews(() => this.#scratch.instanceDir);
  }

  probe(): Promise<SandboxCapability> {
    this.#probe ??= this.#runProbe();
    return this.#probe;
  }

  async #runProbe(): Promise<SandboxCapability> {
    const no = (reason: string): SandboxCapability => ({ available: false, isolated: true, reason });
    if (process.platform !== 'linux') return no('bwrap needs Linux');
    if (process.getuid?.() !== 0) return no('bwrap driver needs root (it manages cgroups and runs each sandbox under its own uid)');
    try { accessSync(this.#tools.bwrap, constants.X_OK); } catch { return no(`bubblewrap not found at ${this.#tools.bwrap} (apt-get install bubblewrap)`); }
    let bpf: Buffer;
    try { bpf = compileSandboxSeccomp(); } catch (err) { return no((err as Error).message); }
    const cg = detectCgroupLayout();
    if (!cg.ok) return no(cg.reason);
    this.#tree = new CgroupTree(cg.layout, this.#tag);
    this.#rootEntries = rootEntries();
    this.#localtime = localtimeLink();
    const notes: string[] = [`cgroup v${cg.layout.version}`];
    try {
      accessSync(this.#tools.slirp4netns, constants.X_OK);
      this.#egress = true;
    } catch {
      notes.push(`slirp4netns not found at ${this.#tools.slirp4netns}: network mode 'default' gets no outbound access (apt-get install slirp4netns)`);
    }
    if (this.#opts.init !== 'shell') {
      const built = ensureNativeInit(join(this.#opts.scratchRoot, 'bin'));
      if (built.ok) this.#init = { kind: 'native', path: built.path };
      else if (this.#opts.init === 'native') return no(built.reason);
      else notes.push(`${built.reason}: using the slower shell init (setpriv + sh + socat)`);
    }
    if (this.#init.kind === 'shell') {
      // These run inside the sandbox, so they must be under the bound /usr.
      if (this.#tools.socat !== '/usr/bin/socat') return no('socat must be /usr/bin/socat (it runs inside the sandbox)');
      for (const [tool, path] of [['socat', '/usr/bin/socat'], ['util-linux (setpriv)', '/usr/bin/setpriv']] as const) {
        try { accessSync(path, constants.X_OK); } catch { return no(`${tool} not found at ${path}, needed without a C compiler (apt-get install ${tool.split(' ')[0]})`); }
      }
    }
    notes.push(`${this.#init.kind} init`);
    if (this.#init.kind === 'native') {
      this.#netns = new NetnsPool({ initPath: this.#init.path, target: this.#opts.netnsPool, ...(this.#egress ? { slirp4netns: this.#tools.slirp4netns } : {}) });
    }
    // Compiled once per server; each sandbox reads the same bytes from a pipe.
    this.#seccomp = bpf;
    // The honest test: start a real sandbox end to end (with egress, when there is a helper for it).
    if (this.#egress) {
      const why = await this.#trial('default');
      if (why) {
        this.#egress = false;
        this.#netns = this.#init.kind === 'native' ? new NetnsPool({ initPath: this.#init.path, target: this.#opts.netnsPool }) : undefined;
        notes.push(`outbound networking does not work here (${why}): network mode 'default' gets no outbound access`);
      }
    }
    const why = await this.#trial('isolated');
    if (why) return no(why);
    if (this.#opts.preInitialized) {
      const helper = await MountInto.prepare(join(this.#opts.scratchRoot, 'bin'), this.#mountIntoPath);
      if (helper.ok) {
        this.#mountInto = helper.helper;
        this.startUnbound = (spec) => this.#startUnbound(spec);
        notes.push('pre-initialized runtimes');
      } else {
        notes.push(`no pre-initialized runtimes (${helper.reason}): every Node.js and Python start is a cold start`);
      }
    }
    return { available: true, isolated: true, notes };
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
   * waits for its function; `bind` attaches the code and layers inside its mount namespace.
   */
  async #startUnbound(spec: UnboundSandboxSpec): Promise<UnboundSandbox> {
    const cap = await this.probe();
    if (!cap.available) throw new Error(`bwrap sandbox unavailable: ${cap.reason}`);
    return this.#start({ ...spec, taskRoot: undefined, layers: [] }) as Promise<UnboundBwrapSandbox>;
  }

  async #start(spec: StartSpec): Promise<Sandbox> {
    preflightCommand(spec);
    const tree = this.#tree!;
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

      const native = this.#init.kind === 'native';
      // A prepared network namespace (egress already attached) when the native launcher can enter it.
      if (native) parts.netns = await this.#netns!.take(spec.network, { refill: spec.id !== PROBE_ID });
      // stdio of the bwrap process: 0-2 std, 3 info (bwrap writes), 4 seccomp program (we write),
      // 5 block (shell init only: we write once the namespace's first process is in the cgroup).
      const args = bwrapArgs({
        rootEntries: this.#rootEntries,
        ...(this.#localtime !== undefined ? { localtime: this.#localtime } : {}),
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
        init: this.#init,
        command: spec.argv,
      });
      // Native: the launcher joins the cgroups and the prepared namespace, then execs bwrap, so
      // every process of the sandbox starts limited and nothing waits for a round trip.
      const [file, argv] = this.#init.kind === 'native'
        ? [this.#init.path, ['--launch', parts.netns!.path, ...parts.cgroup.procsFiles(), '--', this.#tools.bwrap, ...args]]
        : [this.#tools.bwrap, args];
      // Exactly the environment the runtime gets: nothing of Flint's leaks in.
      const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', native ? 'ignore' : 'pipe'], env: withFlintCa(spec.env, this.#flintCa ? FLINT_CA_IN_SANDBOX : undefined) });
      parts.child = child;
      (child.stdio as unknown as Writable[])[4]!.on('error', () => {}).end(this.#seccomp);
      child.stdout!.on('data', (c: Buffer) => spec.onOutput(c, 'stdout'));
      child.stderr!.on('data', (c: Buffer) => spec.onOutput(c, 'stderr'));
      await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
      const info = readInfo(child.stdio[3] as Readable, child);
      if (native) {
        // bwrap reports its first process once it runs, inside the prepared namespace: from then
        // on the sandbox keeps the namespace alive and the holder process can go.
        parts.initPidKnown = info;
        info.then((pid) => { parts.initPid = pid; parts.netns?.dropHolder(); }, () => { /* exited early: the exit reports it */ });
      } else {
        parts.initPid = await info;
        // The namespace's first process waits on the block fd: join the cgroup before it forks.
        parts.cgroup.addProcess(parts.initPid);
        if (spec.network === 'default' && this.#egress) parts.egress = await SlirpEgress.start(this.#tools.slirp4netns, parts.initPid);
        (child.stdio as unknown as Writable[])[5]!.end('1');
      }
      if (spec.taskRoot === undefined) return new UnboundBwrapSandbox(spec.id, this.runtimeApiAddress(), parts, this.#mountInto!);
      return new BwrapSandbox(spec.id, this.runtimeApiAddress(), parts);
    } catch (err) {
      await new BwrapSandbox(spec.id, this.runtimeApiAddress(), parts).destroy().catch(() => {});
      throw err;
    }
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

/** What #start needs: a spec whose task root may be missing (an unbound sandbox: code comes at bind). */
type StartSpec = Omit<SandboxSpec, 'taskRoot'> & { taskRoot: string | undefined };

/** Reads bwrap's --info-fd JSON and returns the pid of the sandbox's first process. */
function readInfo(stream: Readable, child: { once(ev: 'exit', fn: (code: number | null) => void): unknown }): Promise<number> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onExit = (code: number | null) => reject(new Error(`bwrap exited (${code}) before the sandbox started`));
    child.once('exit', onExit);
    stream.on('data', (c: Buffer) => {
      text += c.toString();
      const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
      if (m) {
        stream.removeAllListeners('data');
        stream.resume(); // drain to EOF, or the child's 'close' never comes
        (child as unknown as NodeJS.EventEmitter).off('exit', onExit);
        resolve(Number(m[1]));
      }
    });
  });
}

/** The host's top-level system directories other than /usr, as symlinks (merged /usr) or directories. */
function rootEntries(): RootEntry[] {
  const out: RootEntry[] = [];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const p = `/${name}`;
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.push({ name, symlink: readlinkSync(p) });
      else if (st.isDirectory()) out.push({ name });
    } catch { /* absent on this host */ }
  }
  return out;
}

/** The host's /etc/localtime link target when it is a symlink to a zone file under /usr. */
function localtimeLink(): string | undefined {
  try {
    if (!lstatSync('/etc/localtime').isSymbolicLink()) return undefined;
    return realpathSync('/etc/localtime').startsWith('/usr/share/zoneinfo/') ? readlinkSync('/etc/localtime') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An interpreter installed outside /usr (e.g. a Node.js under /opt/node or a version manager's
 * directory) is bound read-only at its own path: its install prefix (the directory above bin/),
 * nothing else of where it lives.
 */
function extraHostDirs(command: string | undefined): string[] {
  if (!command || !command.startsWith('/')) return [];
  for (const p of Object.values(SANDBOX_PATHS)) if (command.startsWith(p + '/')) return [];
  if (!existsSync(command) || /^\/(usr|bin|sbin|lib|lib64)\//.test(realpathSync(command))) return [];
  const prefix = join(command, '..', '..');
  return prefix === '/' || prefix === '/usr' ? [] : [prefix];
}

/**
 * Fails like spawn() would for a command that is missing or not executable (ENOENT / EACCES), so
 * callers get the same errors as from the process driver, before any sandbox is built.
 */
function preflightCommand(spec: StartSpec): void {
  const cmd = spec.argv[0];
  if (!cmd) throw new Error('sandbox: empty argv');
  const inside: [string, string | undefined][] = [
    [SANDBOX_PATHS.taskRoot, spec.taskRoot ?? ''],
    [SANDBOX_PATHS.runtimeDir, spec.runtimeDir],
    [SANDBOX_PATHS.opt, spec.layers.length > 0 ? undefined : ''],
  ];
  let host = cmd;
  for (const [prefix, hostDir] of inside) {
    if (!cmd.startsWith(prefix + '/')) continue;
    if (hostDir === undefined) {
      // /opt of several layers: the last layer holding the file wins, as in the merged view.
      const rel = cmd.slice(prefix.length);
      host = [...spec.layers].reverse().map((l) => l + rel).find((p) => existsSync(p)) ?? spec.layers[0]! + rel;
    } else host = hostDir === '' ? '/nonexistent' + cmd : hostDir + cmd.slice(prefix.length);
  }
  const fail = (code: 'ENOENT' | 'EACCES') => Object.assign(new Error(`spawn ${cmd} ${code}`), { code, errno: code === 'ENOENT' ? -2 : -13, syscall: `spawn ${cmd}`, path: cmd });
  let st;
  try { st = statSync(host); } catch { throw fail('ENOENT'); }
  if (!st.isFile() || (st.mode & 0o001) === 0) throw fail('EACCES');
}
