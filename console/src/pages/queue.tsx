import { lambda } from '../api';
import { useLoad } from '../hooks';
import { ErrorBox, Loading, Section, Table } from '../ui';

/**
 * The async queue (Flint's /metrics/async-queue counts) and where failed events go: each
 * function's dead-letter queue and on-failure destination (GetFunctionConfiguration,
 * ListFunctionEventInvokeConfigs), with the dead-letter metrics from CloudWatch.
 */
export default function QueuePage() {
  const q = useLoad(() => fetch('/metrics/async-queue', { cache: 'no-store' }).then((r) => r.json() as Promise<Record<string, number>>), []);
  const dl = useLoad(async () => {
    const fns = (await lambda('GET', '/2015-03-31/functions/')).Functions ?? [];
    return Promise.all(fns.map(async (f: any) => {
      const cfg = await lambda('GET', `/2019-09-25/functions/${encodeURIComponent(f.FunctionName)}/event-invoke-config/list`).catch(() => ({ FunctionEventInvokeConfigs: [] }));
      const dest = (cfg.FunctionEventInvokeConfigs ?? []).map((c: any) => c.DestinationConfig?.OnFailure?.Destination).filter(Boolean);
      return { name: f.FunctionName as string, dlq: f.DeadLetterConfig?.TargetArn as string | undefined, onFailure: dest as string[], retries: (cfg.FunctionEventInvokeConfigs ?? [])[0]?.MaximumRetryAttempts };
    }));
  }, []);
  return (
    <>
      <h1>Async queue <Loading on={q.loading} /></h1>
      <div class="toolbar"><button class="secondary" onClick={() => { q.reload(); dl.reload(); }}>Refresh</button></div>
      <ErrorBox error={q.error} />
      <Section title="Queued events">
        <Table head={['Counter', 'Value']} rows={Object.entries(q.data ?? {}).map(([k, v]) => [k, String(v)])} empty="No queue figures." />
      </Section>
      <Section title="Dead letters and on-failure destinations">
        <ErrorBox error={dl.error} />
        <Table head={['Function', 'Dead-letter queue', 'On-failure destination', 'Retries']} rows={(dl.data ?? []).filter((f) => f.dlq || f.onFailure.length).map((f) => [f.name, f.dlq ? <code>{f.dlq}</code> : '—', f.onFailure.map((d: string) => <code>{d}</code>), f.retries ?? 2])} empty="No function has a dead-letter queue or an on-failure destination." />
      </Section>
    </>
  );
}
