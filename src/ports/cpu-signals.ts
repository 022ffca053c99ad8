/**
 * How saturated the host's CPUs are right now: what host-aware placement decides from. Every part
 * may be missing where the host does not expose it (no PSI, no cgroup CPU controller).
 */
export interface CpuSaturation {
  /**
   * Share of wall time, over the last sampling interval, in which some runnable task waited for a
   * CPU (PSI `some` of /proc/pressure/cpu, 0..1): from the `total` counter's growth, else `avg10`.
   */
  stall?: number;
  /** Tasks running or runnable now per CPU (/proc/stat `procs_running`, else /proc/loadavg's count). */
  runnablePerCpu: number;
  /** Share of CFS periods in which Flint's own cgroup was throttled over the last interval (0..1). */
  throttled?: number;
}

export interface CpuSignals {
  /** CPUs this process may run on (its affinity): what a saturated host is measured against. */
  readonly cpus: number;
  /** The latest reading; cheap (a sampler re-reads at most every few milliseconds). */
  read(): CpuSaturation;
  /** What part of the signal this host lacks and why (for the startup log); undefined when complete. */
  readonly degraded: string | undefined;
}
