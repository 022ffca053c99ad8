import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SegmentDocument } from './lambda-segments.js';
import type { SegmentSink } from './trace-recorder.js';
import { SegmentSpans } from './segment-spans.js';

/**
 * Sends recorded segments as OpenTelemetry spans over OTLP/HTTP (JSON encoding) with the
 * OpenTelemetry SDK's batch processor and exporter: batched, retried by the exporter, dropped
 * when its queue is full rather than holding invocations back.
 */
export class OtlpSegmentSink implements SegmentSink {
  readonly #processor: BatchSpanProcessor;
  readonly #spans = new SegmentSpans();

  /**
   * `endpoint` is the collector's base URL (as OTEL_EXPORTER_OTLP_ENDPOINT: `/v1/traces` is
   * appended) or the full traces URL.
   */
  constructor(opts: { endpoint: string; scheduledDelayMillis?: number }) {
    const exporter = new OTLPTraceExporter({ url: tracesUrl(opts.endpoint) });
    this.#processor = new BatchSpanProcessor(exporter, { scheduledDelayMillis: opts.scheduledDelayMillis ?? 1000 });
  }

  export(segments: ReadonlyArray<SegmentDocument>): void {
    for (const span of this.#spans.spans(segments)) this.#processor.onEnd(span);
  }

  flush(): Promise<void> {
    return this.#processor.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.#processor.shutdown();
  }
}

export function tracesUrl(endpoint: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return base.endsWith('/v1/traces') ? base : `${base}/v1/traces`;
}
