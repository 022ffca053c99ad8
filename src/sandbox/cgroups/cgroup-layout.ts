import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The controllers Flint limits each sandbox with. */
export const CONTROLLERS = ['memory', 'cpu', 'pids'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/**
 * Where this process may create sandbox cgroups.
 * v1 (also "hybrid" hosts, where the controllers live on v1 hierarchies): one directory per
 * controller, each being this process's own cgroup in that hierarchy.
 * v2: one directory, below which controllers can be enabled for children.
 */
export type CgroupLayout =
  | { version: 1; parents: Record<Controller, string> }
  | { version: 2; parent: string };

export type CgroupDetection = { ok: true; layout: CgroupLayout } | { ok: false; reason: string };

export interface CgroupSources {
  /** Contents of /proc/self/mountinfo. */
  mountinfo: string;
  /** Contents of /proc/self/cgroup. */
  selfCgroup: string;
}

interface Mount { root: string; mountPoint: string; fsType: string; superOptions: string[] }

function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    if (sep < 6) continue;
    mounts.push({
      root: unescapeMountPath(fields[3]!),
      mountPoint: unescapeMountPath(fields[4]!),
      fsType: fields[sep + 1]!,
      superOptions: (fields[sep + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/** The absolute directory of `ownPath` inside a mount whose root is `mountRoot`, if visible. */
function dirInMount(m: Mount, ownPath: string): string | undefined {
  const strip = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
  if (m.root === '/') return strip(join(m.mountPoint, ownPath));
  if (ownPath === m.root || ownPath.startsWith(m.root + '/')) return strip(join(m.mountPoint, ownPath.slice(m.root.length)));
  return undefined;
}

/**
 * Detects the host's cgroup layout from this process's view. Hybrid hosts (cgroup v1 controllers
 * plus an empty v2 hierarchy, as on the machines Flint is developed on) use v1; pure v2 hosts use
 * v2 if memory, cpu and pids can be delegated somewhere at or above our own cgroup.
 */
export function detectCgroupLayout(src?: CgroupSources): CgroupDetection {
  let sources = src;
  if (!sources) {
    try {
      sources = { mountinfo: readFileSync('/proc/self/mountinfo', 'utf8'), selfCgroup: readFileSync('/proc/self/cgroup', 'utf8') };
    } catch (err) {
      return { ok: false, reason: `cannot read cgroup information: ${(err as Error).message}` };
    }
  }
  const mounts = parseMountinfo(sources.mountinfo);
  const own = new Map<string, string>(); // controller (or '' for v2) -> own path
  for (const line of sources.selfCgroup.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === '0' && m[2] === '') own.set('', m[3]!);
    else for (const c of m[2]!.split(',')) own.set(c, m[3]!);
  }

  const v1: Partial<Record<Controller, string>> = {};
  for (const c of CONTROLLERS) {
    const mount = mounts.find((m) => m.fsType === 'cgroup' && m.superOptions.includes(c));
    const path = own.get(c);
    if (mount && path !== undefined) {
      const dir = dirInMount(mount, path);
      if (dir) v1[c] = dir;
    }
  }
  if (CONTROLLERS.every((c) => v1[c])) return { ok: true, layout: { version: 1, parents: v1 as Record<Controller, string> } };
  if (Object.keys(v1).length > 0) {
    const missing = CONTROLLERS.filter((c) => !v1[c]);
    return { ok: false, reason: `cgroup v1 host without a usable ${missing.join(', ')} hierarchy` };
  }

  const unified = mounts.find((m) => m.fsType === 'cgroup2');
  const ownPath = own.get('');
  if (!unified || ownPath === undefined) return { ok: false, reason: 'no cgroup v1 controllers and no cgroup v2 hierarchy mounted' };
  const ownDir = dirInMount(unified, ownPath);
  if (!ownDir) return { ok: false, reason: 'own cgroup is not visible under the cgroup v2 mount' };
  const parent = delegableV2Parent(ownDir, unified.mountPoint);
  if (!parent.ok) return parent;
  return { ok: true, layout: { version: 2, parent: parent.dir } };
}

function readControllers(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * cgroup v2's "no internal processes" rule forbids enabling controllers for children of a cgroup
 * that has processes of its own (except the root). Walk up from our own cgroup to the first one
 * whose children can get memory, cpu and pids.
 */
function delegableV2Parent(ownDir: string, mountPoint: string): { ok: true; dir: string } | { ok: false; reason: string } {
  let dir = ownDir;
  let lastError = '';
  for (;;) {
    const available = readControllers(join(dir, 'cgroup.controllers'));
    const missing = CONTROLLERS.filter((c) => !available.includes(c));
    if (missing.length === 0) {
      const enabled = readControllers(join(dir, 'cgroup.subtree_control'));
      const toEnable = CONTROLLERS.filter((c) => !enabled.includes(c));
      if (toEnable.length === 0) return { ok: true, dir };
      try {
        writeFileSync(join(dir, 'cgroup.subtree_control'), toEnable.map((c) => `+${c}`).join(' '));
        return { ok: true, dir };
      } catch (err) {
        lastError = `${dir}: ${(err as Error).message}`;
      }
    } else {
      lastError = `${dir} lacks the ${missing.join(', ')} controller(s)`;
    }
    if (dir === mountPoint || dir === '/' || !existsSync(dirname(dir))) break;
    dir = dirname(dir);
  }
  return { ok: false, reason: `cannot delegate cgroup v2 controllers (${lastError})` };
}
