import { useState } from 'preact/hooks';
import { awsJson, flintGet } from '../api';
import { useInterval, useLoad } from '../hooks';
import { ago, ErrorBox, Loading, Section, Table } from '../ui';

interface Env { id: string; functionName: string; version: string; state: string; busy: boolean; preInitialized: boolean; provisionedFor?: string; memorySize: number; runtime: string; invocations: number; logGroupName: string; logStreamName: string; createdAt: string; lastUsedAt: string }

/** Execution environments now (Flint's signed read-only view; IAM: lambda:ListFunctions), refreshed every 3 s. */
export default function EnvironmentsPage() {
  const [live, setLive] = useState(true);
  const data = useLoad(() => flintGet<{ SandboxDriver: string; Environments: Env[] }>('/console/api/environments'), []);
  useInterval(data.reload, 3000, live);
  const envs = data.data?.Environments ?? [];
  // Memory used: the latest REPORT line's Max Memory Used in each environment's own log stream.
  const streams = envs.filter((e) => e.invocations > 0).slice(0, 50).map((e) => `${e.logGroupName}\u0000${e.logStreamName}\u0000${e.invocations}`).join('\n');
  const memory = useLoad(async () => {
    const out = new Map<string, number>();
    await Promise.all(streams.split('\n').filter(Boolean).map(async (line) => {
      const [group, stream] = line.split('\u0000') as [string, string];
      const r = await awsJson<{ events?: Array<{ message: string }> }>('logs', 'FilterLogEvents', { logGroupName: group, logStreamNames: [stream], filterPattern: '"Max Memory Used"' }).catch(() => ({ events: [] }));
      const last = r.events?.at(-1)?.message;
      const mb = last && /Max Memory Used: (\d+) MB/.exec(last)?.[1];
      if (mb) out.set(stream, Number(mb));
    }));
    return out;
  }, [streams]);
  const used = (e: Env) => memory.data?.get(e.logStreamName);
  const byFn = new Map<string, Env[]>();
  for (const e of envs) byFn.set(e.functionName, [...(byFn.get(e.functionName) ?? []), e]);
  return (
    <>
      <h1>Execution environments <Loading on={data.loading && !data.data} /></h1>
      <div class="toolbar">
        <span>Sandbox driver: <strong>{data.data?.SandboxDriver ?? '…'}</strong></span>
        <label class="check"><input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> Live</label>
      </div>
      <ErrorBox error={data.error} />
      <Section title="Per function">
        <Table head={['Function', 'Warm (idle)', 'Busy', 'Pre-initialized', 'Provisioned', 'Memory']} rows={[...byFn].map(([fn, list]) => [
          <a href={`#/functions/${encodeURIComponent(fn)}`}>{fn}</a>,
          list.filter((e) => !e.busy && e.state === 'Ready').length,
          list.filter((e) => e.busy).length,
          list.filter((e) => e.preInitialized).length,
          list.filter((e) => e.provisionedFor).length,
          `${list.reduce((n, e) => n + (used(e) ?? 0), 0)} MB used of ${list.reduce((n, e) => n + e.memorySize, 0)} MB`,
        ])} empty="No execution environments are running." />
      </Section>
      <Section title="Environments">
        <Table head={['ID', 'Function', 'Version', 'State', 'Start', 'Invocations', 'Memory used', 'Created', 'Last used']} rows={envs.map((e) => [
          <code>{e.id.slice(0, 8)}</code>, e.functionName, e.version, e.busy ? 'Busy' : e.state, e.preInitialized ? 'pre-initialized' : e.provisionedFor ? `provisioned (${e.provisionedFor})` : 'on demand', e.invocations, used(e) === undefined ? `— of ${e.memorySize} MB` : `${used(e)} of ${e.memorySize} MB`, ago(e.createdAt), ago(e.lastUsedAt),
        ])} empty="None." />
      </Section>
    </>
  );
}
