import { cpus, totalmem } from 'node:os';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** Which CPUs the servers under test and the load generators run on. */
export interface CpuPlan {
  /** `taskset -c` list for servers (and, by inheritance, their environments); undefined = unpinned. */
  server?: string;
  /** `taskset -c` list for load generators. */
  load?: string;
  /** How many load generator processes a c=32 measurement uses. */
  loadWorkers: number;
  note: string;
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryMiB: number;
  node: string;
  python: string;
  kernel: string;
  /** The CPUs this bench process may run on (its own affinity). */
  cpuPlan: CpuPlan;
  loadAverage1m: number;
}

/** The interpreter Flint's python3.x runtimes use (the system one when present). */
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export function describeMachine(): MachineInfo {
  const cores = cpus().length;
  const py = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  return {
    cores,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    node: process.version,
    python: py.status === 0 ? (py.stdout || py.stderr).trim().replace(/^Python /, '') : 'absent',
    kernel: readFirstLine('/proc/sys/kernel/osrelease'),
    cpuPlan: planCpus(),
    loadAverage1m: Number(readFirstLine('/proc/loadavg').split(' ')[0]),
  };
}

/**
 * Servers get the first half of the usable CPUs, load generators the rest, so the client's work is
 * not charged to the server. With one CPU (or no taskset) nothing is pinned and the table says so.
 */
function planCpus(): CpuPlan {
  const usable = allowedCpus();
  const hasTaskset = spawnSync('taskset', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!hasTaskset || usable.length < 2) {
    return { loadWorkers: 1, note: hasTaskset ? 'unpinned (1 CPU)' : 'unpinned (no taskset)' };
  }
  const half = Math.floor(usable.length / 2);
  const server = usable.slice(0, half);
  const load = usable.slice(half);
  return {
    server: server.join(','),
    load: load.join(','),
    loadWorkers: Math.min(2, load.length),
    note: `taskset: servers on CPU ${server.join(',')}, load generators (${Math.min(2, load.length)} process${load.length > 1 ? 'es' : ''}) on CPU ${load.join(',')}`,
  };
}

function allowedCpus(): number[] {
  const status = readFileSafe('/proc/self/status');
  const m = /Cpus_allowed_list:\s*(\S+)/.exec(status);
  if (!m) return cpus().map((_, i) => i);
  const out: number[] = [];
  for (const part of m[1]!.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.push(i);
  }
  return out;
}

function readFirstLine(path: string): string {
  return readFileSafe(path).split('\n')[0]!.trim();
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
