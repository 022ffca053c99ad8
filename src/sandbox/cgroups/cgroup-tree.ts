import { mkdirSync, readdirSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTROLLERS, type CgroupLayout } from './cgroup-layout.js';
import { removeCgroupDirs, SandboxCgroupV1, SandboxCgroupV2, type CgroupLimits, type SandboxCgroup } from './sandbox-cgroup.js';
import { OwnerTag } from '../owner-tag.js';

/**
 * The cgroups of one server instance: `<parent>/flint-<owner tag>/<sandbox>` in every hierarchy.
 * Grouping per instance lets `reapOrphans` remove exactly what dead servers left, never a live
 * server's sandboxes, and lets the instance directory go away with its last sandbox.
 */
export class CgroupTree {
  readonly #layout: CgroupLayout;
  readonly #tag: OwnerTag;
  #live = 0;

  constructor(layout: CgroupLayout, tag: OwnerTag) {
    this.#layout = layout;
    this.#tag = tag;
  }

  get version(): 1 | 2 {
    return this.#layout.version;
  }

  #parents(): string[] {
    return this.#layout.version === 1 ? CONTROLLERS.map((c) => (this.#layout as { parents: Record<string, string> }).parents[c]!) : [this.#layout.parent];
  }

  /** Creates the sandbox's cgroup with its limits already in force (synchronous: no interleaving). */
  create(id: string, limits: CgroupLimits): SandboxCgroup {
    const leaf = id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 96);
    const layout = this.#layout;
    if (layout.version === 1) {
      const dirs = Object.fromEntries(CONTROLLERS.map((c) => {
        const dir = join(layout.parents[c], this.#tag.name, leaf);
        mkdirSync(dir, { recursive: true });
        return [c, dir];
      })) as { memory: string; cpu: string; pids: string };
      try {
        const cg = new SandboxCgroupV1(dirs, limits);
        this.#live++;
        return cg;
      } catch (err) {
        for (const d of Object.values(dirs)) try { rmdirSync(d); } catch { /* best effort */ }
        throw err;
      }
    }
    const instance = join(layout.parent, this.#tag.name);
    mkdirSync(instance, { recursive: true });
    // The instance directory has no processes, so controllers can be enabled for its children.
    writeFileSync(join(instance, 'cgroup.subtree_control'), CONTROLLERS.map((c) => `+${c}`).join(' '));
    const dir = join(instance, leaf);
    mkdirSync(dir);
    try {
      const cg = new SandboxCgroupV2(dir, limits);
      this.#live++;
      return cg;
    } catch (err) {
      try { rmdirSync(dir); } catch { /* best effort */ }
      throw err;
    }
  }

  /** Destroys a sandbox's cgroup, then the instance directory once it holds no sandbox. */
  async release(cg: SandboxCgroup): Promise<void> {
    try {
      await cg.destroy();
    } finally {
      this.#live--;
      if (this.#live === 0) for (const p of this.#parents()) try { rmdirSync(join(p, this.#tag.name)); } catch { /* a new sandbox came, or gone */ }
    }
  }

  /** Removes the cgroups of Flint instances whose process is gone. Returns the number removed. */
  async reapOrphans(): Promise<number> {
    let removed = 0;
    for (const parent of this.#parents()) {
      let names: string[];
      try { names = readdirSync(parent); } catch { continue; }
      for (const name of names) {
        const tag = OwnerTag.parse(name);
        if (!tag || tag.ownerAlive()) continue;
        const instance = join(parent, name);
        const leaves = readdirSync(instance).map((n) => join(instance, n)).filter((p) => { try { return statSync(p).isDirectory(); } catch { return false; } });
        await removeCgroupDirs(leaves);
        removed += leaves.length;
        try { rmdirSync(instance); } catch { /* raced with another reaper */ }
      }
    }
    return removed;
  }
}
