import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { Sandbox, SandboxExit } from '../ports/sandbox-driver.js';
import type { CgroupTree } from './cgroups/cgroup-tree.js';
import type { SandboxCgroup } from './cgroups/sandbox-cgroup.js';
import { KeptFile } from './cgroups/kept-file.js';
import { RunQueueWait } from './run-queue-wait.js';
import type { LayerViews } from './layer-view.js';
import type { RuntimeApiBridge } from './runtime-api-bridge.js';
import type { ScratchSpace } from './scratch-space.js';
import type { SlirpEgress } from './slirp-egress.js';
import type { PreparedNetns } from './netns-pool.js';
import { connectInNetns } from './netns-connect.js';
import type { Duplex } from 'node:stream';

/** Everything one sandbox holds on the host, filled in as start() gets further. */
export interface SandboxParts {
  tree: CgroupTree;
  scratch: ScratchSpace;
  layers: LayerViews;
  layerList: readonly string[];
  releaseUid(): void;
  cgroup?: SandboxCgroup;
  dir?: string;
  bridge?: RuntimeApiBridge;
  /** The sandbox's way to Flint's own API (127.0.0.1:9002 inside). */
  apiBridge?: RuntimeApiBridge;
  boostTimer?: NodeJS.Timeout;
  layersAcquired?: boolean;
  /** The launcher: a ChildProcess, or one the spawner helper started (LaunchedProcess). */
  child?: LauncherProcess;
  /** Host pid of the sandbox's pid-namespace init: killing it ends every process inside. */
  initPid?: number;
  /** Resolves with `initPid` once bwrap reports it (a bind needs it; native init learns it late). */
  initPidKnown?: Promise<number>;
  /**
   * Starts the init phase's CPU boost (the share applies at the first /next, or after the longest
   * init): at start for a cold sandbox, at bind for a pre-initialized one (see bwrap-driver.ts).
   */
  startInitBoost?(): void;
  /** Set when cleanup begins (a bind that comes later fails). */
  released?: boolean;
  egress?: SlirpEgress;
  /** A prepared network namespace the sandbox entered (its holder and egress helper). */
  netns?: PreparedNetns;
}

/** What the sandbox needs of its launcher process, whoever forked it. */
export interface LauncherProcess {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
  once(event: 'exit' | 'close', listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
}

const signalNames = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** How long output may still drain after bwrap exits before cleanup goes ahead anyway. */
const DRAIN_MS = 1000;

export class BwrapSandbox implements Sandbox {
  readonly id: string;
  readonly pid: number;
  readonly runtimeApiAddress: string;
  readonly exited: Promise<SandboxExit>;
  readonly #parts: SandboxParts;
  #peak: number | undefined;
  #runtimePid: number | undefined;
  /** The runtime's /proc status, kept open: read for every invocation's REPORT. */
  #runtimeStatus: KeptFile | undefined;
  #runtimeWait: RunQueueWait | undefined;
  #cleanup: Promise<void> | undefined;

  constructor(id: string, runtimeApiAddress: string, parts: SandboxParts) {
    this.id = id;
    this.runtimeApiAddress = runtimeApiAddress;
    this.#parts = parts;
    this.pid = parts.child?.pid ?? -1;
    const child = parts.child;
    if (!child || (child.exitCode !== null || child.signalCode !== null)) {
      this.exited = this.#finish(child?.exitCode ?? null, child?.signalCode ?? null);
      return;
    }
    this.exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        setTimeout(() => resolve(exit!), DRAIN_MS).unref();
      });
      // 'close' comes once every byte of output is delivered.
      child.once('close', (code, signal) => resolve(exit ?? { code, signal }));
    }).then(({ code, signal }) => this.#finish(code, signal));
  }

  /**
   * Lambda's Max Memory Used is the environment's peak memory, the runtime's resident pages
   * included. The cgroup's peak charge misses the pages already charged elsewhere (the runtime
   * binary's page cache, shared with the host: ~40 MB of Node), so this reports the larger of it
   * and the runtime process's own peak resident size (VmHWM). Read at every invocation's end:
   * the cgroup's peak plus one /proc/<pid>/status (the runtime's pid is looked up once).
   */
  /** Into the sandbox's own network namespace (its first process is in it), to its loopback. */
  connect(port: number): Duplex | undefined {
    const pid = this.#parts.initPid;
    return pid === undefined || this.#parts.released ? undefined : connectInNetns(pid, port);
  }

  maxMemoryBytes(): number | undefined {
    if (this.#cleanup === undefined && this.#parts.cgroup) {
      const peak = this.#parts.cgroup.peakBytes();
      if (peak !== undefined) this.#peak = Math.max(this.#peak ?? 0, peak);
      const hwm = this.#runtimeHighWaterBytes();
      if (hwm !== undefined) this.#peak = Math.max(this.#peak ?? 0, hwm);
    }
    return this.#peak;
  }

  runQueueWaitMs(): number | undefined {
    if (this.#parts.released) return undefined;
    const pid = this.#runtime();
    if (pid === undefined) return undefined;
    this.#runtimeWait ??= new RunQueueWait(pid);
    return this.#runtimeWait.ms();
  }

  /** The runtime's host pid, looked up once. */
  #runtime(): number | undefined {
    const initPid = this.#parts.initPid;
    if (initPid === undefined) return undefined;
    try {
      // The init's first child is the runtime (forked before anything else could be: orphans
      // reparented to the init come later in the list).
      this.#runtimePid ??= Number(readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').split(' ')[0]) || undefined;
    } catch {
      /* ended meanwhile: the exit reports it */
    }
    return this.#runtimePid;
  }

  #runtimeHighWaterBytes(): number | undefined {
    const pid = this.#runtime();
    if (pid === undefined) return undefined;
    try {
      this.#runtimeStatus ??= new KeptFile(`/proc/${pid}/status`);
      const m = /^VmHWM:\s+(\d+) kB/m.exec(this.#runtimeStatus.read() ?? '');
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined; // ended meanwhile: the exit reports it
    }
  }

  /** The init's first child is the main process (the runtime, or the launcher in front of it). */
  signalMain(signal: 'SIGTERM' | 'SIGUSR1'): void {
    const initPid = this.#parts.initPid;
    if (initPid === undefined || this.#parts.released) return;
    try {
      const main = Number(readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').split(' ')[0]);
      if (main > 0) process.kill(main, signal);
    } catch {
      // Ended meanwhile.
    }
  }

  async destroy(): Promise<void> {
    this.#kill();
    await this.exited;
    await this.#release();
  }

  #kill(): void {
    const { initPid, child } = this.#parts;
    // SIGKILL to a pid namespace's init makes the kernel kill everything else in it.
    if (initPid !== undefined) try { process.kill(initPid, 'SIGKILL'); } catch { /* gone */ }
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  async #finish(code: number | null, signal: NodeJS.Signals | null): Promise<SandboxExit> {
    // The kernel's evidence first, before the cgroup goes away.
    const evidence = this.#parts.cgroup?.memory();
    if (evidence?.peakBytes !== undefined) this.#peak = Math.max(this.#peak ?? 0, evidence.peakBytes);
    // Everything is being killed; removing the cgroup waits for the last process to be gone, which
    // can take seconds after a fork bomb: the exit is known now, the cleanup finishes behind it
    // (destroy() waits for it).
    void this.#release();
    // bwrap reports a command killed by signal N as exit status 128+N.
    let exitCode = code;
    let exitSignal: string | null = signal;
    if (code !== null && code > 128 && signalNames.has(code - 128)) {
      exitCode = null;
      exitSignal = signalNames.get(code - 128)!;
    }
    return { code: exitCode, signal: exitSignal, oomKilled: (evidence?.oomKills ?? 0) > 0 };
  }

  #release(): Promise<void> {
    this.#cleanup ??= (async () => {
      const p = this.#parts;
      p.released = true;
      this.#runtimeStatus?.close();
      this.#runtimeWait?.close();
      if (p.boostTimer) clearTimeout(p.boostTimer);
      this.#kill();
      p.egress?.stop();
      p.netns?.release();
      const errors: unknown[] = [];
      const step = async (fn: () => unknown) => { try { await fn(); } catch (err) { errors.push(err); } };
      await step(() => p.bridge?.close());
      await step(() => p.apiBridge?.close());
      if (p.cgroup) await step(() => p.tree.release(p.cgroup!));
      if (p.layersAcquired) await step(() => p.layers.release(p.layerList));
      if (p.dir) await step(() => p.scratch.releaseSandboxDir(p.dir!));
      p.releaseUid();
      if (errors.length > 0) process.emitWarning(`flint: sandbox cleanup incomplete: ${errors.map((e) => (e as Error).message).join('; ')}`);
    })();
    return this.#cleanup;
  }
}
