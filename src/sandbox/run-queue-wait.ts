import { KeptFile } from './cgroups/kept-file.js';

/**
 * How long one process has waited, runnable, for a CPU: the second field of /proc/<pid>/schedstat
 * (nanoseconds on a run queue, kept by the scheduler whenever sched_info is built in, as on
 * Debian's and most distributions' kernels; the leader thread only, which is where a runtime's
 * handler runs). Host-aware placement subtracts it from an invocation's wall time to learn what
 * the handler takes without contention: a 1 ms CPU-bound handler on saturated CPUs takes 50 ms of
 * wall time, 49 of them here; a handler sleeping 200 ms spends them off the run queue.
 */
export class RunQueueWait {
  readonly #file: KeptFile;

  constructor(pid: number) {
    this.#file = new KeptFile(`/proc/${pid}/schedstat`);
  }

  /** Cumulative milliseconds; undefined when the process is gone or the kernel keeps no such figure. */
  ms(): number | undefined {
    const text = this.#file.read();
    if (text === undefined) return undefined;
    const fields = text.split(' ');
    const ns = Number(fields[1]);
    return fields.length >= 3 && Number.isFinite(ns) ? ns / 1e6 : undefined;
  }

  close(): void {
    this.#file.close();
  }
}
