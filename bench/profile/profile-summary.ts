import { readFileSync } from 'node:fs';
import { round } from '../lib/stats.js';

/** Self time of one function in a V8 CPU profile. */
export interface SelfTimeItem {
  fn: string;
  /** `src/...` for Flint's code, `node:...:line` for Node's, the path under node_modules for dependencies. */
  where: string;
  selfMs: number;
  /** Share of the profile's non-idle time. */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  busyMs: number;
  /** Non-idle self time by owner: Flint's src/, Node's internals, dependencies, GC, V8 (program). */
  byOwner: Record<'flint' | 'node' | 'native' | 'deps' | 'gc' | 'program' | 'other', number>;
  /** Flint's own files by self time. */
  flintFiles: { file: string; selfMs: number; pct: number }[];
  topOverall: SelfTimeItem[];
  topFlint: SelfTimeItem[];
  /**
   * Each sample charged to the nearest Flint function on its stack: a Flint function's own time
   * plus the Node/native/dependency work it calls directly (where removing a call would save).
   */
  topFlintWithCallees: SelfTimeItem[];
  requests?: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Reads a `.cpuprofile` (from `node --cpu-prof`) and ranks self time, Flint's own code apart. */
export function summarizeProfile(file: string, srcRoot: string): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  }
  const items = new Map<string, { fn: string; where: string; owner: keyof ProfileSummary['byOwner']; file?: string; us: number }>();
  let idleUs = 0;
  let totalUs = 0;
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const path = url.replace(/^file:\/\//, '');
    let owner: keyof ProfileSummary['byOwner'];
    let where: string;
    let file: string | undefined;
    if (functionName === '(garbage collector)') [owner, where] = ['gc', 'V8'];
    else if (functionName === '(program)') [owner, where] = ['program', 'V8'];
    else if (path.startsWith(srcRoot)) {
      owner = 'flint';
      // No line: under tsx the profile holds positions in the transpiled code, not the source.
      file = path.slice(srcRoot.length - 4); // keep the leading "src/"
      where = file;
    } else if (url.startsWith('node:')) [owner, where] = ['node', `${url}:${lineNumber + 1}`];
    else if (path.includes('/node_modules/')) [owner, where] = ['deps', path.slice(path.lastIndexOf('/node_modules/') + 14)];
    else if (!url) [owner, where] = ['native', '(native)'];
    else [owner, where] = ['other', `${url}:${lineNumber + 1}`];
    const fn = functionName || '(anonymous)';
    const key = `${fn}@${where}`;
    const it = items.get(key) ?? { fn, where, owner, file, us: 0 };
    it.us += us;
    items.set(key, it);
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => round((100 * us) / Math.max(1, busyUs), 1);
  const byOwner = { flint: 0, node: 0, native: 0, deps: 0, gc: 0, program: 0, other: 0 };
  const files = new Map<string, number>();
  for (const it of items.values()) {
    byOwner[it.owner] += it.us;
    if (it.file) files.set(it.file, (files.get(it.file) ?? 0) + it.us);
  }
  const sorted = [...items.values()].sort((a, b) => b.us - a.us);
  const toItem = (it: { fn: string; where: string; us: number }): SelfTimeItem => ({ fn: it.fn, where: it.where, selfMs: round(it.us / 1000, 1), pct: pct(it.us) });
  // Nearest Flint frame above each sample.
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const isFlint = (id: number) => byId.get(id)!.callFrame.url.replace(/^file:\/\//, '').startsWith(srcRoot);
  const withCallees = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of selfUs) {
    let at: number | undefined = id;
    while (at !== undefined && !isFlint(at)) at = parent.get(at);
    if (at === undefined) continue;
    const cf = byId.get(at)!.callFrame;
    const where = cf.url.replace(/^file:\/\//, '').slice(srcRoot.length - 4);
    const fn = cf.functionName || '(anonymous)';
    const it = withCallees.get(`${fn}@${where}`) ?? { fn, where, us: 0 };
    it.us += us;
    withCallees.set(`${fn}@${where}`, it);
  }
  return {
    file,
    totalMs: round(totalUs / 1000, 1),
    busyMs: round(busyUs / 1000, 1),
    byOwner: Object.fromEntries(Object.entries(byOwner).map(([k, v]) => [k, round(v / 1000, 1)])) as ProfileSummary['byOwner'],
    flintFiles: [...files.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([f, us]) => ({ file: f, selfMs: round(us / 1000, 1), pct: pct(us) })),
    topOverall: sorted.slice(0, 25).map(toItem),
    topFlint: sorted.filter((it) => it.owner === 'flint').slice(0, 20).map(toItem),
    topFlintWithCallees: [...withCallees.values()].sort((a, b) => b.us - a.us).slice(0, 20).map(toItem),
  };
}
