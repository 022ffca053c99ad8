/**
 * Lambda's Shutdown phase limits (AWS Lambda Developer Guide, "Extensions API" → Shutdown phase):
 * 300 ms for a function with no registered extensions, 500 ms with a registered internal
 * extension, 2,000 ms with one or more registered external extensions; of the latter, up to
 * 300 ms (500 ms with an internal extension) are the runtime's to shut down gracefully after its
 * SIGTERM, the rest the external extensions'. Whoever has not exited by then gets SIGKILL.
 */
export interface ShutdownWindows {
  /** The whole phase. */
  totalMs: number;
  /** From the runtime's SIGTERM to its SIGKILL. */
  runtimeMs: number;
}

export function shutdownWindows(external: number, internal: number): ShutdownWindows {
  if (external > 0) return { totalMs: 2_000, runtimeMs: internal > 0 ? 500 : 300 };
  if (internal > 0) return { totalMs: 500, runtimeMs: 500 };
  return { totalMs: 300, runtimeMs: 300 };
}

/** The runtime process as the Shutdown phase signals it. */
export interface RuntimeProcess {
  /** SIGTERM to the runtime (Lambda's graceful-shutdown signal). */
  terminate(): void;
  /** SIGKILL to the runtime alone (external extensions keep the rest of their window). */
  kill(): void;
  /** Settles when the sandbox's main process ended (the runtime, when no launcher stands in front of it). */
  exited: Promise<unknown>;
}
