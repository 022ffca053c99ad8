import type { OperationHandlers } from '../request-context.js';
import type { MetricRecorder } from '../../metrics/metric-recorder.js';
import { putMetricData } from '../../metrics/put-metric-data.js';
import { getMetricStatistics, listMetrics } from '../../metrics/metric-reads.js';
import { getMetricData } from '../../metrics/get-metric-data.js';

/**
 * CloudWatch's metric operations (src/metrics holds their behaviour). Alarms, dashboards, metric
 * streams, anomaly detectors and Insight rules are not served: they keep answering
 * UnsupportedOperationException from the front door.
 */
export function cloudWatchHandlers(recorder: MetricRecorder): OperationHandlers {
  return {
    PutMetricData: (i: Record<string, any>) => {
      putMetricData(recorder, i);
    },
    GetMetricStatistics: (i: Record<string, any>) => getMetricStatistics(recorder, i),
    GetMetricData: (i: Record<string, any>) => getMetricData(recorder, i),
    ListMetrics: (i: Record<string, any>) => listMetrics(recorder, i),
  };
}
