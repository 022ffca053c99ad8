import type { Clock } from '../ports/clock.js';
import type { LogEventFeed } from '../ports/log-events.js';
import type { MetricStore } from '../ports/metric-store.js';
import { MetricRecorder } from '../metrics/metric-recorder.js';
import { LambdaMetrics, type ConcurrencySnapshot } from '../metrics/lambda-metrics.js';
import { EmfExtractor } from '../metrics/emf-extractor.js';

export interface CloudWatchMetrics {
  readonly recorder: MetricRecorder;
  /** The AWS/Lambda feed: wraps the invoke path's Metrics, receives the async pipeline's events. */
  readonly lambda: LambdaMetrics;
  /** Embedded Metric Format from every log line; periodic flush; concurrency sampled each second. */
  start(deps: { logs: LogEventFeed; concurrency: () => ConcurrencySnapshot }): void;
  stop(): void;
}

/**
 * Wires CloudWatch metrics (src/metrics) on flint.db: AWS/Lambda from the invoke path, custom
 * namespaces from PutMetricData and EMF log lines; aggregated in memory, flushed per minute.
 */
export function createCloudWatchMetrics(deps: { store: MetricStore; clock: Clock }): CloudWatchMetrics {
  const recorder = new MetricRecorder({ store: deps.store, clock: deps.clock });
  const lambda = new LambdaMetrics({ recorder, clock: deps.clock });
  const emf = new EmfExtractor(recorder);
  return {
    recorder,
    lambda,
    start({ logs, concurrency }) {
      emf.subscribe(logs);
      recorder.start();
      lambda.startSampling(concurrency);
    },
    stop() {
      lambda.stop();
      emf.close();
      recorder.stop();
    },
  };
}
