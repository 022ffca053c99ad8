import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeptFile } from './kept-file.js';

export interface CgroupLimits {
  memoryBytes: number;
  /** CPU time allowed per period, or undefined for no cap. */
  cpuQuotaUs?: number;
  cpuPeriodUs: number;
  pidsMax: number;
}

/** The kernel's own account of a sandbox's memory. */
export interface MemoryEvidence {
  /** Times the OOM killer killed a task of this cgroup (undefined where the kernel lacks the counter). */
  oomKills: number | undefined;
  /** Peak usage in bytes, where the kernel reports it. */
  peakBytes: number | undefined;
}

/** One sandbox's cgroup (a directory per controller on v1, one directory on v2). */
export interface SandboxCgroup {
  readonly dirs: readonly string[];
  /** The files a process writes its pid to in order to join (one per hierarchy). */
  procsFiles(): string[];
  addProcess(pid: number): void;
  setCpuQuota(quotaUs: number | undefined, periodUs: number): void;
  memory(): MemoryEvidence;
  /** memory().peakBytes alone: one file read, for every invocation's REPORT. */
  peakBytes(): number | undefined;
  pids(): number[];
  /** Kill every process in it, wait until it is empty, remove it. Idempotent. */
  destroy(): Promise<void>;
}

function numberOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.trim());
  return Number.isFinite(v) ? v : undefined;
}

function readNumber(file: string): number | undefined {
  try {
    const v = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `key value` lines (memory.events, memory.oom_control) → the value of `key`. */
function readKeyed(file: string, key: string): number | undefined {
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [k, v] = line.trim().split(/\s+/);
      if (k === key) return Number(v);
    }
  } catch {
    /* missing file: no evidence */
  }
  return undefined;
}

function readPids(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function write(dir: string, file: string, value: string | number): void {
  writeFileSync(join(dir, file), String(value));
}

function tryWrite(dir: string, file: string, value: string | number): void {
  try { write(dir, file, value); } catch { /* optional knob absent on this kernel */ }
}

/**
 * SIGKILL everything in the directories until they are empty, then rmdir them. Bounded: a
 * thousand processes of a fork bomb take seconds to exit on a busy host.
 */
async function killAndRemove(dirs: readonly string[], killFirst?: (dir: string) => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    let busy = false;
    for (const dir of dirs) {
      if (!existsSync(dir)) continue;
      if (killFirst?.(dir)) { /* the kernel kills the whole cgroup */ } else {
        for (const pid of readPids(dir)) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
        }
      }
      try {
        // On libuv's thread pool: removing a memory cgroup makes the kernel reclaim and offline it
        // (milliseconds on a busy host), which must not stop the event loop that serves invocations.
        await rmdir(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') busy = true;
      }
    }
    if (!busy) return;
    await sleep(attempt < 20 ? 5 : 50);
  }
  throw new Error(`cgroup not removable (processes remain): ${dirs.join(', ')}`);
}

export class SandboxCgroupV1 implements SandboxCgroup {
  #peak: KeptFile | undefined;
  #destroyed = false;
  readonly #memory: string;
  readonly #cpu: string;
  readonly #pids: string;
  readonly dirs: readonly string[];

  /** Directories must exist; limits are written before any process joins. */
  constructor(dirs: { memory: string; cpu: string; pids: string }, limits: CgroupLimits) {
    this.#memory = dirs.memory;
    this.#cpu = dirs.cpu;
    this.#pids = dirs.pids;
    this.dirs = [dirs.memory, dirs.cpu, dirs.pids];
    write(this.#memory, 'memory.limit_in_bytes', limits.memoryBytes);
    // Swap off: memory+swap may not exceed memory (the file exists when swap accounting is on).
    if (existsSync(join(this.#memory, 'memory.memsw.limit_in_bytes'))) write(this.#memory, 'memory.memsw.limit_in_bytes', limits.memoryBytes);
    tryWrite(this.#memory, 'memory.swappiness', 0);
    this.setCpuQuota(limits.cpuQuotaUs, limits.cpuPeriodUs);
    write(this.#pids, 'pids.max', limits.pidsMax);
  }

  addProcess(pid: number): void {
    for (const dir of this.dirs) write(dir, 'cgroup.procs', pid);
  }

  procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  setCpuQuota(quotaUs: number | undefined, periodUs: number): void {
    write(this.#cpu, 'cpu.cfs_period_us', periodUs);
    write(this.#cpu, 'cpu.cfs_quota_us', quotaUs === undefined ? -1 : Math.max(1000, Math.round(quotaUs)));
  }

  memory(): MemoryEvidence {
    return {
      oomKills: readKeyed(join(this.#memory, 'memory.oom_control'), 'oom_kill'),
      peakBytes: this.peakBytes(),
    };
  }

  peakBytes(): number | undefined {
    // Once destroying, no descriptor is kept (it would outlive the cgroup).
    if (this.#destroyed) return readNumber(join(this.#memory, 'memory.max_usage_in_bytes'));
    return numberOf((this.#peak ??= new KeptFile(join(this.#memory, 'memory.max_usage_in_bytes'))).read());
  }

  pids(): number[] {
    return [...new Set(this.dirs.flatMap(readPids))];
  }

  destroy(): Promise<void> {
    this.#destroyed = true;
    this.#peak?.close();
    return killAndRemove(this.dirs);
  }
}

export class SandboxCgroupV2 implements SandboxCgroup {
  #peak: KeptFile | undefined;
  #destroyed = false;
  readonly #dir: string;
  readonly dirs: readonly string[];

  constructor(dir: string, limits: CgroupLimits) {
    this.#dir = dir;
    this.dirs = [dir];
    write(dir, 'memory.max', limits.memoryBytes);
    tryWrite(dir, 'memory.swap.max', 0);
    // One OOM kill takes the whole sandbox down, as Lambda ends the environment on OOM.
    tryWrite(dir, 'memory.oom.group', 1);
    this.setCpuQuota(limits.cpuQuotaUs, limits.cpuPeriodUs);
    write(dir, 'pids.max', limits.pidsMax);
  }

  addProcess(pid: number): void {
    write(this.#dir, 'cgroup.procs', pid);
  }

  procsFiles(): string[] {
    return [join(this.#dir, 'cgroup.procs')];
  }

  setCpuQuota(quotaUs: number | undefined, periodUs: number): void {
    write(this.#dir, 'cpu.max', `${quotaUs === undefined ? 'max' : Math.max(1000, Math.round(quotaUs))} ${periodUs}`);
  }

  memory(): MemoryEvidence {
    return {
      oomKills: readKeyed(join(this.#dir, 'memory.events'), 'oom_kill'),
      peakBytes: this.peakBytes(),
    };
  }

  peakBytes(): number | undefined {
    if (this.#destroyed) return readNumber(join(this.#dir, 'memory.peak'));
    return numberOf((this.#peak ??= new KeptFile(join(this.#dir, 'memory.peak'))).read());
  }

  pids(): number[] {
    return readPids(this.#dir);
  }

  destroy(): Promise<void> {
    this.#destroyed = true;
    this.#peak?.close();
    // cgroup.kill (Linux 5.14+) kills every member atomically, forks in flight included.
    return killAndRemove(this.dirs, (dir) => {
      if (!existsSync(join(dir, 'cgroup.kill'))) return false;
      try { write(dir, 'cgroup.kill', 1); return true; } catch { return false; }
    });
  }
}

/** Remove an orphaned cgroup directory of either version (kill members, rmdir). */
export function removeCgroupDirs(dirs: readonly string[]): Promise<void> {
  return killAndRemove(dirs, (dir) => {
    if (!existsSync(join(dir, 'cgroup.kill'))) return false;
    try { write(dir, 'cgroup.kill', 1); return true; } catch { return false; }
  });
}
