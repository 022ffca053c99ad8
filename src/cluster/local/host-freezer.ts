import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const V1_ROOT = '/sys/fs/cgroup/freezer';
const V2_ROOT = '/sys/fs/cgroup';

/**
 * One cgroup per simulated host, used for what a namespace cannot do: find every process of the
 * host (a worker's sandboxes sit in network namespaces of their own, so `ip netns pids` misses
 * them) and freeze them all at once (a paused host, as a VM stall or a long GC pause). cgroup v1's
 * freezer hierarchy when mounted, else cgroup v2's `cgroup.freeze`. Processes join by writing their
 * pid to `cgroup.procs` before they exec (see NetnsHosts.spawn), so their children are in it too.
 */
export class HostFreezer {
  readonly #dir: string;
  readonly #v1: boolean;

  private constructor(dir: string, v1: boolean) {
    this.#dir = dir;
    this.#v1 = v1;
  }

  /** The group folder for `name` under `flint-hosts/`, created; undefined when no freezer is available. */
  static open(name: string): HostFreezer | undefined {
    const v1 = existsSync(join(V1_ROOT, 'freezer.state')) || existsSync(join(V1_ROOT, 'cgroup.procs'));
    const root = v1 ? V1_ROOT : V2_ROOT;
    if (!v1 && !existsSync(join(V2_ROOT, 'cgroup.controllers'))) return undefined;
    const dir = join(root, 'flint-hosts', name);
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      return undefined;
    }
    if (!existsSync(join(dir, 'cgroup.procs'))) return undefined;
    return new HostFreezer(dir, v1);
  }

  /** Removes the groups of hosts whose names start with `prefix` (leftovers of a crashed run); their processes must be gone. */
  static removeLeftovers(prefix: string): void {
    for (const root of [V1_ROOT, V2_ROOT]) {
      const base = join(root, 'flint-hosts');
      if (!existsSync(base)) continue;
      for (const name of readdirSync(base)) {
        if (!name.startsWith(prefix)) continue;
        const g = new HostFreezer(join(base, name), root === V1_ROOT);
        g.killAll();
        g.remove();
      }
    }
  }

  get procsFile(): string {
    return join(this.#dir, 'cgroup.procs');
  }

  pids(): number[] {
    try {
      return readFileSync(this.procsFile, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  freeze(): void {
    if (this.#v1) writeFileSync(join(this.#dir, 'freezer.state'), 'FROZEN');
    else writeFileSync(join(this.#dir, 'cgroup.freeze'), '1');
  }

  thaw(): void {
    if (this.#v1) writeFileSync(join(this.#dir, 'freezer.state'), 'THAWED');
    else writeFileSync(join(this.#dir, 'cgroup.freeze'), '0');
  }

  /**
   * SIGKILL every process in the group. Frozen first so that nothing forks in between (a process
   * forking while being killed could leave a child outside the sweep), thawed after so that the
   * killed processes can run their exit.
   */
  killAll(): void {
    try { this.freeze(); } catch { /* a group without freezer: kill as is */ }
    for (const pid of this.pids()) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
    try { this.thaw(); } catch { /* as above */ }
  }

  /** Removes the group folder (only possible once it is empty: retried briefly while exits finish). */
  remove(): void {
    for (let i = 0; i < 200; i++) {
      if (!existsSync(this.#dir)) return;
      try {
        rmdirSync(this.#dir);
        return;
      } catch {
        for (const pid of this.pids()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }
}
