/** How an invocation's execution environment came to serve it (OpenWhisk's cold/prewarm/warm labels). */
export type StartType = 'cold' | 'pre-initialized' | 'warm';

/** One finished invocation, as the REPORT line and the billing record describe it. */
export interface InvocationRecord {
  functionName: string;
  version: string;
  startType: StartType;
  durationMs: number;
  billedDurationMs: number;
  initDurationMs?: number;
  memorySizeMb: number;
  maxMemoryUsedMb?: number;
  /** `success`, or the error class: `function-error`, `timeout`, `runtime-exit`, `out-of-memory`, `init-error`. */
  outcome: string;
  async: boolean;
}

export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

export interface Metrics {
  invocation(rec: InvocationRecord): void;
  throttle(functionName: string, reason: string): void;
  /** A value read when metrics are scraped (pool sizes, queue depth). */
  gauge(name: string, help: string, labelNames: string[], read: () => GaugeSample[] | Promise<GaugeSample[]>): void;
  /** Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}
