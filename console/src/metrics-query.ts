import { awsJson } from './api';

export interface Series {
  id: string;
  timestamps: number[];
  values: number[];
}

/** One CloudWatch GetMetricData call (AWS/Lambda by FunctionName); series come back oldest first. */
export async function lambdaMetrics(queries: Array<{ id: string; fn?: string; metric: string; stat: string }>, rangeSeconds: number, period: number): Promise<Map<string, Series>> {
  const end = Math.ceil(Date.now() / 1000 / period) * period;
  const out = new Map<string, Series>();
  let token: string | undefined;
  do {
    const r = await awsJson<{ MetricDataResults?: Array<{ Id: string; Timestamps?: number[]; Values?: number[] }>; NextToken?: string }>('monitoring', 'GetMetricData', {
      StartTime: end - rangeSeconds,
      EndTime: end,
      ScanBy: 'TimestampAscending',
      MetricDataQueries: queries.map((q) => ({
        Id: q.id,
        MetricStat: {
          Metric: { Namespace: 'AWS/Lambda', MetricName: q.metric, Dimensions: q.fn ? [{ Name: 'FunctionName', Value: q.fn }] : [] },
          Period: period,
          Stat: q.stat,
        },
      })),
      ...(token ? { NextToken: token } : {}),
    });
    for (const m of r.MetricDataResults ?? []) {
      const prev = out.get(m.Id) ?? { id: m.Id, timestamps: [], values: [] };
      prev.timestamps.push(...(m.Timestamps ?? []).map(Number));
      prev.values.push(...(m.Values ?? []));
      out.set(m.Id, prev);
    }
    token = r.NextToken;
  } while (token);
  return out;
}

/** Fills the gaps of a sparse series with zeros over [end - range, end) in `period` steps. */
export function dense(s: Series | undefined, rangeSeconds: number, period: number): number[] {
  const end = Math.ceil(Date.now() / 1000 / period) * period;
  const byTime = new Map<number, number>();
  s?.timestamps.forEach((t, i) => byTime.set(Math.floor(t / period) * period, s.values[i]!));
  const out: number[] = [];
  for (let t = end - rangeSeconds; t < end; t += period) out.push(byTime.get(t) ?? 0);
  return out;
}
