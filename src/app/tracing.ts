import { join } from 'node:path';
import type { FlintConfig } from './config.js';
import type { Clock } from '../ports/clock.js';
import { SqliteTraceStore } from '../store/sqlite-trace-store.js';
import { TraceRecorder } from '../tracing/trace-recorder.js';
import { TraceSampler } from '../tracing/trace-sampler.js';
import { InvocationTracer } from '../tracing/invocation-tracer.js';
import { OtlpSegmentSink } from '../tracing/otlp-segment-sink.js';
import { XRayService } from '../tracing/xray-service.js';

/** How long stopping waits for buffered spans to reach the collector. */
const SHUTDOWN_EXPORT_MS = 3000;

export interface Tracing {
  readonly tracer: InvocationTracer;
  readonly xray: XRayService;
  readonly recorder: TraceRecorder;
  /** Sends buffered spans, then closes the exporter and the store. */
  close(): Promise<void>;
}

/**
 * Wires X-Ray tracing: the trace store (`<dataDir>/traces.db`), the recorder (store + OTLP
 * export when FLINT_OTLP_ENDPOINT is set), the per-invocation tracer and the X-Ray API service.
 */
export function createTracing(deps: { config: FlintConfig; clock: Clock; log(line: string): void }): Tracing {
  const { config, clock } = deps;
  const store = new SqliteTraceStore(join(config.dataDir, 'traces.db'));
  const sink = config.otlpEndpoint ? new OtlpSegmentSink({ endpoint: config.otlpEndpoint }) : undefined;
  if (config.otlpEndpoint) deps.log(`flint: exporting trace spans over OTLP/HTTP to ${config.otlpEndpoint}`);
  const recorder = new TraceRecorder({ store, clock, ...(sink ? { sink } : {}), log: deps.log });
  recorder.prune();
  const tracer = new InvocationTracer({ clock, recorder, sampler: new TraceSampler({ clock, fixedRate: config.traceSampleRate }) });
  return {
    tracer,
    recorder,
    xray: new XRayService({ store, recorder, clock }),
    async close() {
      // An unreachable collector must not hold the shutdown for the exporter's timeout and retries.
      let timer: NodeJS.Timeout | undefined;
      const bounded = new Promise<void>((r) => (timer = setTimeout(() => { deps.log('flint: trace export at shutdown timed out; unsent spans dropped'); r(); }, SHUTDOWN_EXPORT_MS)));
      await Promise.race([recorder.close().catch((err: unknown) => deps.log(`flint: trace export at shutdown failed: ${String(err)}`)), bounded]);
      clearTimeout(timer);
      store.close();
    },
  };
}
