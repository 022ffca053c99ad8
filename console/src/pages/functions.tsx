import { useMemo, useState } from 'preact/hooks';
import { lambda, ApiError } from '../api';
import { plain, useLoad } from '../hooks';
import { dense, lambdaMetrics } from '../metrics-query';
import { ago, ErrorBox, Loading, Section, Sparkline } from '../ui';
import { CreateFunction } from './create-function';

interface Fn { FunctionName: string; Runtime?: string; State?: string; LastModified?: string; MemorySize?: number; PackageType?: string }

/** All functions (ListFunctions, every page), with an hour of invocations and errors each. */
export function FunctionsPage() {
  const [q, setQ] = useState('');
  const [runtime, setRuntime] = useState('');
  const [creating, setCreating] = useState(false);
  const list = useLoad(async () => {
    const all: Fn[] = [];
    let marker: string | undefined;
    do {
      const r = await lambda<{ Functions: Fn[]; NextMarker?: string }>('GET', '/2015-03-31/functions/', undefined, marker ? { Marker: marker } : undefined);
      all.push(...r.Functions);
      marker = r.NextMarker;
    } while (marker);
    return all;
  }, []);
  const names = (list.data ?? []).map((f) => f.FunctionName).join(',');
  const spark = useLoad(async () => {
    if (!names) return new Map();
    const fns = names.split(',').slice(0, 250);
    return lambdaMetrics(fns.flatMap((fn, i) => [
      { id: `i${i}`, fn, metric: 'Invocations', stat: 'Sum' },
      { id: `e${i}`, fn, metric: 'Errors', stat: 'Sum' },
    ]), 3600, 300).catch((e: unknown) => {
      // Sparklines are a nicety: a caller without cloudwatch:GetMetricData still sees the list.
      if (e instanceof ApiError) return new Map();
      throw e;
    });
  }, [names]);
  const runtimes = useMemo(() => [...new Set((list.data ?? []).map((f) => f.Runtime ?? 'image'))].sort(), [list.data]);
  const shown = (list.data ?? []).filter((f) => f.FunctionName.toLowerCase().includes(q.toLowerCase()) && (!runtime || (f.Runtime ?? 'image') === runtime));
  const index = new Map((list.data ?? []).map((f, i) => [f.FunctionName, i]));
  return (
    <>
      <h1>Functions</h1>
      <div class="toolbar">
        <label class="grow">Search<input type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} placeholder="Function name" /></label>
        <label>Runtime
          <select value={runtime} onChange={(e) => setRuntime(e.currentTarget.value)}>
            <option value="">All</option>
            {runtimes.map((r) => <option>{r}</option>)}
          </select>
        </label>
        <button onClick={() => setCreating(!creating)} aria-expanded={creating}>Create function</button>
        <button class="secondary" onClick={list.reload}>Refresh</button>
      </div>
      {creating && <CreateFunction onCreated={(name) => { setCreating(false); location.hash = `#/functions/${encodeURIComponent(name)}`; }} />}
      <ErrorBox error={list.error} />
      <Section title={`${shown.length} function${shown.length === 1 ? '' : 's'}`} actions={<Loading on={list.loading} />}>
        <div class="table-wrap">
          <table class="functions">
            <thead><tr><th scope="col">Name</th><th scope="col">Runtime</th><th scope="col">State</th><th scope="col">Memory</th><th scope="col">Last modified</th><th scope="col">Invocations (1 h)</th><th scope="col">Errors (1 h)</th></tr></thead>
            <tbody>
              {shown.map((f) => {
                const i = index.get(f.FunctionName)!;
                const inv = dense(spark.data?.get(`i${i}`), 3600, 300);
                const err = dense(spark.data?.get(`e${i}`), 3600, 300);
                const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
                return (
                  <tr>
                    <td><a href={`#/functions/${encodeURIComponent(f.FunctionName)}`}>{f.FunctionName}</a></td>
                    <td>{f.Runtime ?? f.PackageType}</td>
                    <td><span class={`state ${f.State ?? 'Active'}`}>{f.State ?? 'Active'}</span></td>
                    <td>{f.MemorySize} MB</td>
                    <td title={f.LastModified}>{ago(f.LastModified)}</td>
                    <td class="spark-cell"><Sparkline values={inv} kind="inv" label={`${sum(inv)} invocations in the last hour`} /><span class="num">{sum(inv)}</span></td>
                    <td class="spark-cell"><Sparkline values={err} kind="err" label={`${sum(err)} errors in the last hour`} /><span class="num">{sum(err)}</span></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
        {!list.loading && !shown.length && <p class="muted">No functions{q || runtime ? ' match' : ' yet'}.</p>}
        {spark.error && <p class="muted small">Sparklines unavailable: {spark.error}</p>}
      </Section>
    </>
  );
}
void plain;
