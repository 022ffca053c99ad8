import { readFileSync, readdirSync } from 'node:fs';

/** Reads of /proc used to charge CPU time and memory to a process tree. Linux only. */

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on every Linux build Node supports.

/** Every live descendant of `pid` (not `pid` itself), found through /proc/<pid>/task/<tid>/children. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const kid of childrenOf(p)) {
      out.push(kid);
      stack.push(kid);
    }
  }
  return out;
}

/** Direct children of `pid`. */
export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return kids;
  }
  for (const tid of tasks) {
    try {
      for (const s of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) if (s.trim()) kids.push(Number(s));
    } catch {
      // The task ended between the listing and the read.
    }
  }
  return kids;
}

/** utime+stime of one process in ms (its own threads; reaped children are not included). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

/** A snapshot of CPU ms per pid over a tree, to charge the CPU spent between two snapshots. */
export function treeCpu(rootPid: number): Map<number, number> {
  const m = new Map<number, number>();
  for (const p of [rootPid, ...descendants(rootPid)]) m.set(p, cpuMs(p));
  return m;
}

/** CPU ms spent by the tree between two snapshots (processes born in between count from zero). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Proportional set size of one process in KiB (smaps_rollup), or NaN when unreadable. */
export function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The command line of a process, for telling runtimes from wrappers (bwrap, init shims). */
export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** Private (unshared) memory of one process in KiB: Private_Clean + Private_Dirty, or NaN. */
export function privateKiB(pid: number): number {
  try {
    const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const clean = /^Private_Clean:\s+(\d+) kB/m.exec(t);
    const dirty = /^Private_Dirty:\s+(\d+) kB/m.exec(t);
    return clean && dirty ? Number(clean[1]) + Number(dirty[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * True for a Node.js or Python interpreter running one of Flint's runtime bootstraps, in any
 * sandbox view (wrappers such as bwrap or sh carry the same path among their arguments: not them).
 */
export function isRuntimeProcess(pid: number): boolean {
  const argv = cmdline(pid);
  return /(^|\/)(node|python3(\.\d+)?)$/.test(argv[0] ?? '') && argv.slice(1).some((a) => /(^|\/)index\.mjs$|(^|\/)bootstrap\.py$/.test(a));
}
