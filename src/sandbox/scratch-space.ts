import { chownSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { OwnerTag } from './owner-tag.js';
import { parseMountinfo } from './cgroups/cgroup-layout.js';
import { SLIRP_DNS } from './slirp-egress.js';

/** Lambda's sandbox user name (sbx_user1051); Flint gives it a host uid of its own per sandbox. */
export const SANDBOX_USER = 'sbx_user1051';

/**
 * Host-side files of one server instance's sandboxes, under `<root>/flint-<owner tag>/`:
 * generated /etc files shared by all sandboxes (hosts, resolv.conf per network mode), one private
 * directory per sandbox (its passwd and group naming only its own user, and api/ holding its
 * Runtime API socket), and mount points of merged layer views. Tagged by owner so a later server
 * can remove exactly what a crashed one left.
 */
export class ScratchSpace {
  readonly #root: string;
  readonly #tag: OwnerTag;
  #live = 0;

  constructor(root: string, tag: OwnerTag) {
    this.#root = root;
    this.#tag = tag;
  }

  get instanceDir(): string {
    return join(this.#root, this.#tag.name);
  }

  get etcDir(): string {
    return join(this.instanceDir, 'etc');
  }

  #ensureInstance(): void {
    mkdirSync(this.#root, { recursive: true, mode: 0o700 });
    mkdirSync(this.instanceDir, { recursive: true, mode: 0o700 });
    mkdirSync(this.etcDir, { recursive: true, mode: 0o755 });
    const files: Record<string, string> = {
      hosts: '127.0.0.1\tlocalhost\n127.0.0.1\tsandbox.localdomain\n::1\tlocalhost ip6-localhost ip6-loopback\n',
      'resolv.conf.default': `nameserver ${SLIRP_DNS}\n`,
      // No resolver at all: lookups fail at once instead of timing out.
      'resolv.conf.isolated': '',
    };
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.etcDir, name), content, { mode: 0o644 });
  }

  /**
   * A private directory for one sandbox whose function runs as host `uid` (and gid): passwd and
   * group files naming that uid as the sandbox user, and `api/`, owned by it, for the Runtime API
   * socket. Synchronous, so concurrent starts never interleave with instance setup or removal.
   */
  createSandboxDir(name: string, uid: number): string {
    if (this.#live === 0) this.#ensureInstance();
    const dir = join(this.instanceDir, name);
    mkdirSync(dir, { mode: 0o700 });
    this.#live++;
    try {
      writeFileSync(join(dir, 'passwd'), `root:x:0:0:root:/root:/sbin/nologin\n${SANDBOX_USER}:x:${uid}:${uid}::/tmp:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n`, { mode: 0o644 });
      writeFileSync(join(dir, 'group'), `root:x:0:\n${SANDBOX_USER}:x:${uid}:\nnogroup:x:65534:\n`, { mode: 0o644 });
      mkdirSync(join(dir, 'api'), { mode: 0o700 });
      chownSync(join(dir, 'api'), uid, uid);
    } catch (err) {
      this.releaseSandboxDir(dir);
      throw err;
    }
    return dir;
  }

  releaseSandboxDir(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
    this.#live--;
    if (this.#live === 0) {
      // Nothing of this instance is in use: leave no trace (mount points are gone by now).
      try { rmSync(this.instanceDir, { recursive: true, force: true }); } catch { /* best effort */ }
    }
  }

  /** Removes the scratch trees (and any mounts under them) of Flint instances whose process is gone. */
  reapOrphans(): number {
    let names: string[];
    try { names = readdirSync(this.#root); } catch { return 0; }
    let removed = 0;
    for (const name of names) {
      const tag = OwnerTag.parse(name.replace(/\.[a-z.]+$/, '')); // also files named after a tag
      if (!tag || tag.ownerAlive()) continue;
      const dir = join(this.#root, name);
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }
}

/** Lazily unmounts every mount at or below `dir` (deepest first). */
export function unmountUnder(dir: string): void {
  let mounts: string[];
  try {
    mounts = parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8')).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(dir + '/'));
  } catch {
    return;
  }
  for (const p of mounts.sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
}
