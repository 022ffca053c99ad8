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
  /** Time extensions ran after the runtime's reply (AWS/Lambda PostRuntimeExtensionsDuration), when any. */
  postRuntimeExtensionsDurationMs?: number;
  memorySizeMb: number;
  /** The qualifier the caller addressed (alias, version or `$LATEST`), if any: Lambda's Resource dimension. */
  qualifier?: string;
  /** Provisioned concurrency allocated to the addressed qualifier, when it has some. */
  provisionedAllocated?: number;
  /** Whether a provisioned environment served it (else it spilled over to on-demand). */
  onProvisioned?: boolean;
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
  /** `qualifier` as addressed, if any (Lambda's Resource dimension). */
  throttle(functionName: string, reason: string, qualifier?: string): void;
  /** A value read when metrics are scraped (pool sizes, queue depth). */
  gauge(name: string, help: string, labelNames: string[], read: () => GaugeSample[] | Promise<GaugeSample[]>): void;
  /** Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * Lambda's asynchronous-invocation metrics, reported by the async pipeline: AsyncEventsReceived
 * (queued), AsyncEventAge (queue to invocation), AsyncEventsDropped, DeadLetterErrors and
 * DestinationDeliveryFailures. `qualifier` is the one the event was queued for (`$LATEST` if none).
 */
export interface AsyncEventMetrics {
  received(functionName: string, qualifier: string): void;
  invoked(functionName: string, qualifier: string, ageMs: number): void;
  dropped(functionName: string, qualifier: string): void;
  deadLetterError(functionName: string, qualifier: string): void;
  destinationDeliveryFailure(functionName: string, qualifier: string): void;
}
