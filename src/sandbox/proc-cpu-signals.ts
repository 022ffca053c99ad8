import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { CpuSaturation, CpuSignals } from '../ports/cpu-signals.js';
import { parseCgroupCpuStat, parseLoadavgRunning, parsePressure, parseProcsRunning, saturationBetween, type CpuReading } from './proc-cpu-readings.js';

/** The shortest span a stall share is measured over. */
const WINDOW_MS = 50;

export interface ProcCpuSignalsOptions {
  /** Re-read at most this often; readings in between answer from the last one (default 5 ms). */
  everyMs?: number;
  /** The files (tests point them at recordings). */
  files?: { pressure?: string; stat?: string; loadavg?: string; cgroupCpuStat?: string };
  cpus?: number;
}

/**
 * The CPU-saturation signal read from /proc: PSI (/proc/pressure/cpu), the run queue
 * (/proc/stat procs_running) and the throttling of the cgroup Flint runs in (a container's CPU
 * limit). A part the host lacks is left out and said once in `degraded` (PSI needs Linux ≥ 4.20
 * with CONFIG_PSI and, on some kernels, `psi=1` on the command line).
 */
export class ProcCpuSignals implements CpuSignals {
  readonly degraded: string | undefined;
  readonly #everyMs: number;
  readonly cpus: number;
  readonly #files: { pressure: string | undefined; stat: string; loadavg: string; cgroupCpuStat: string | undefined };
  /** Recent readings, oldest first. */
  readonly #history: CpuReading[] = [];
  #last: { reading: CpuReading; saturation: CpuSaturation } | undefined;

  constructor(opts: ProcCpuSignalsOptions = {}) {
    this.#everyMs = opts.everyMs ?? 5;
    this.cpus = opts.cpus ?? availableParallelism();
    const missing: string[] = [];
    const pressure = opts.files?.pressure ?? '/proc/pressure/cpu';
    const usablePressure = tryRead(pressure) !== undefined && parsePressure(tryRead(pressure)!) !== undefined;
    if (!usablePressure) missing.push(`no CPU pressure (PSI) at ${pressure}: deciding from the run queue alone (Linux >= 4.20 with CONFIG_PSI; some kernels need psi=1 on the command line)`);
    const cgroup = opts.files?.cgroupCpuStat ?? ownCgroupCpuStat();
    const usableCgroup = cgroup !== undefined && parseCgroupCpuStat(tryRead(cgroup) ?? '') !== undefined;
    this.#files = {
      pressure: usablePressure ? pressure : undefined,
      stat: opts.files?.stat ?? '/proc/stat',
      loadavg: opts.files?.loadavg ?? '/proc/loadavg',
      cgroupCpuStat: usableCgroup ? cgroup : undefined,
    };
    this.degraded = missing.length > 0 ? missing.join('; ') : undefined;
  }

  read(): CpuSaturation {
    const now = performance.now();
    if (this.#last && now - this.#last.reading.at < this.#everyMs) return this.#last.saturation;
    const reading = this.#readNow(now);
    // A stall share over a few milliseconds is noise: compare with the newest reading at least
    // WINDOW_MS old (the oldest kept, early on), so each answer covers 50-250 ms.
    const base = [...this.#history].reverse().find((r) => now - r.at >= WINDOW_MS) ?? this.#history[0];
    const saturation = saturationBetween(base, reading, this.cpus);
    this.#history.push(reading);
    while (this.#history.length > 1 && now - this.#history[1]!.at >= WINDOW_MS * 5) this.#history.shift();
    this.#last = { reading, saturation };
    return saturation;
  }

  #readNow(at: number): CpuReading {
    const f = this.#files;
    const psi = f.pressure ? parsePressure(tryRead(f.pressure) ?? '') : undefined;
    const runnable = parseProcsRunning(tryRead(f.stat) ?? '') ?? parseLoadavgRunning(tryRead(f.loadavg) ?? '') ?? 0;
    const cfs = f.cgroupCpuStat ? parseCgroupCpuStat(tryRead(f.cgroupCpuStat) ?? '') : undefined;
    return { at, runnable, ...(psi ? { psi } : {}), ...(cfs ? { cfs } : {}) };
  }
}

function tryRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** cpu.stat of the cgroup this process runs in (v2: the unified path; v1: the cpu controller's). */
function ownCgroupCpuStat(): string | undefined {
  const text = tryRead('/proc/self/cgroup');
  if (!text) return undefined;
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers === undefined || path === undefined) continue;
    if (controllers.split(',').includes('cpu')) return `/sys/fs/cgroup/cpu${path === '/' ? '' : path}/cpu.stat`;
  }
  const v2 = /^0::(.*)$/m.exec(text);
  return v2 ? `/sys/fs/cgroup${v2[1] === '/' ? '' : v2[1]}/cpu.stat` : undefined;
}
