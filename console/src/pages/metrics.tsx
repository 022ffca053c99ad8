import { useState } from 'preact/hooks';
import { lambda } from '../api';
import { useLoad } from '../hooks';
import { Chart } from '../chart';
import { lambdaMetrics } from '../metrics-query';
import { ErrorBox, Loading, Section, Table } from '../ui';

const RANGES: Array<[string, number, number]> = [['1 h', 3600, 60], ['24 h', 86400, 300], ['7 d', 604800, 3600]];

const QUERIES = [
  { id: 'inv', metric: 'Invocations', stat: 'Sum' },
  { id: 'err', metric: 'Errors', stat: 'Sum' },
  { id: 'thr', metric: 'Throttles', stat: 'Sum' },
  { id: 'p50', metric: 'Duration', stat: 'p50' },
  { id: 'p90', metric: 'Duration', stat: 'p90' },
  { id: 'p99', metric: 'Duration', stat: 'p99' },
  { id: 'conc', metric: 'ConcurrentExecutions', stat: 'Maximum' },
];

/** CloudWatch AWS/Lambda metrics of one function (or the account), and start types since the server started. */
export default function MetricsPage({ fn }: { fn: string }) {
  const [range, setRange] = useState(0);
  const [, seconds, period] = RANGES[range]!;
  const fns = useLoad(() => lambda('GET', '/2015-03-31/functions/').then((r) => (r.Functions ?? []).map((f: any) => f.FunctionName as string)), []);
  const data = useLoad(async () => {
    const m = await lambdaMetrics(QUERIES.map((q) => ({ ...q, ...(fn ? { fn } : {}) })), seconds, period);
    const end = Math.ceil(Date.now() / 1000 / period) * period;
    const ts: number[] = [];
    for (let t = end - seconds; t < end; t += period) ts.push(t);
    const col = (id: string, zero: boolean) => {
      const s = m.get(id);
      const by = new Map<number, number>();
      s?.timestamps.forEach((t, i) => by.set(Math.floor(t / period) * period, s.values[i]!));
      return ts.map((t) => by.get(t) ?? (zero ? 0 : null));
    };
    return { ts, col };
  }, [fn, range]);
  const starts = useLoad(() => fetch('/metrics', { cache: 'no-store' }).then((r) => r.text()).then((t) => startTypes(t, fn)), [fn]);
  const d = data.data;
  return (
    <>
      <h1>Metrics {fn && <span class="muted">· {fn}</span>} <Loading on={data.loading} /></h1>
      <div class="toolbar">
        <label>Function
          <select value={fn} onChange={(e) => (location.hash = `#/metrics?fn=${encodeURIComponent(e.currentTarget.value)}`)}>
            <option value="">All functions</option>
            {(fns.data ?? []).map((n: string) => <option selected={n === fn}>{n}</option>)}
          </select>
        </label>
        <div role="group" aria-label="Time range" class="segmented">
          {RANGES.map(([label], i) => <button aria-pressed={i === range} class={i === range ? '' : 'secondary'} onClick={() => setRange(i)}>{label}</button>)}
        </div>
        <button class="secondary" onClick={data.reload}>Refresh</button>
      </div>
      <ErrorBox error={data.error} />
      <div class="charts">
        {d ? (
          <>
            <Chart title="Invocations and errors" unit="" timestamps={d.ts} series={[{ label: 'Invocations', values: d.col('inv', true) }, { label: 'Errors', values: d.col('err', true) }]} />
            <Chart title="Throttles" unit="" timestamps={d.ts} series={[{ label: 'Throttles', values: d.col('thr', true) }]} />
            <Chart title="Duration" unit="ms" timestamps={d.ts} series={[{ label: 'p50', values: d.col('p50', false) }, { label: 'p90', values: d.col('p90', false) }, { label: 'p99', values: d.col('p99', false) }]} />
            <Chart title="Concurrent executions" unit="" timestamps={d.ts} series={[{ label: 'Maximum', values: d.col('conc', false) }]} />
          </>
        ) : [1, 2, 3, 4].map(() => <figure class="chart placeholder" aria-hidden="true" />)}
      </div>
      <Section title="Start types (since the server started)">
        <ErrorBox error={starts.error} />
        <Table head={['Cold', 'Pre-initialized', 'Warm']} rows={starts.data ? [[starts.data.cold, starts.data['pre-initialized'], starts.data.warm]] : []} empty="No invocations yet." />
      </Section>
    </>
  );
}

/** Sums flint_invocations_total by start_type from the Prometheus exposition (CloudWatch has no such metric). */
function startTypes(text: string, fn: string): Record<string, number> {
  const out: Record<string, number> = { cold: 0, 'pre-initialized': 0, warm: 0 };
  for (const line of text.split('\n')) {
    if (!line.startsWith('flint_invocations_total{')) continue;
    const labels = line.slice(line.indexOf('{') + 1, line.lastIndexOf('}'));
    const fnLabel = /function_name="([^"]*)"/.exec(labels)?.[1];
    const type = /start_type="([^"]*)"/.exec(labels)?.[1];
    if ((fn && fnLabel !== fn) || !type) continue;
    out[type] = (out[type] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return out;
}
