import { useState } from 'preact/hooks';
import { awsJson, flintGet } from '../api';
import { useLoad } from '../hooks';
import { ErrorBox, Loading, Section, Table } from '../ui';

interface Event { EventId: string; EventName: string; EventTime: number; Username?: string; EventSource: string; Resources?: Array<{ ResourceName?: string }>; CloudTrailEvent: string }

const ATTRS: Record<string, string> = { principal: 'Username', action: 'EventName', resource: 'ResourceName' };

/**
 * The audit trail: CloudTrail LookupEvents (one lookup attribute per call, as on AWS; the outcome
 * is filtered here from each event's errorCode), and the integrity check of the hash chain.
 */
export default function AuditPage() {
  const [filter, setFilter] = useState({ principal: '', action: '', resource: '', outcome: '' });
  const integrity = useLoad(() => flintGet<{ ok: boolean; records?: number; digests?: number; problems: unknown[]; warnings: string[]; error?: string }>('/console/api/audit-integrity'), []);
  const events = useLoad(async () => {
    const first = (Object.keys(ATTRS) as Array<keyof typeof ATTRS>).find((k) => filter[k as keyof typeof filter]);
    const r = await awsJson<{ Events?: Event[] }>('cloudtrail', 'LookupEvents', {
      MaxResults: 50,
      ...(first ? { LookupAttributes: [{ AttributeKey: ATTRS[first], AttributeValue: filter[first as keyof typeof filter] }] } : {}),
    });
    return (r.Events ?? []).map((e) => ({ ...e, detail: JSON.parse(e.CloudTrailEvent) as { errorCode?: string; errorMessage?: string; userIdentity?: { arn?: string }; sourceIPAddress?: string } }));
  }, [filter.principal, filter.action, filter.resource]);
  const shown = (events.data ?? []).filter((e) =>
    (!filter.outcome || (filter.outcome === 'failure') === !!e.detail.errorCode)
    && (!filter.action || e.EventName === filter.action)
    && (!filter.principal || e.Username === filter.principal)
    && (!filter.resource || (e.Resources ?? []).some((r) => r.ResourceName === filter.resource)));
  const i = integrity.data;
  return (
    <>
      <h1>Audit trail <Loading on={events.loading} /></h1>
      <Section title="Integrity">
        <ErrorBox error={integrity.error} />
        {i && <p data-testid="integrity" class={i.ok ? 'ok' : 'error'}>{i.error ? `Not checked: ${i.error}` : i.ok ? `Intact: ${i.records} records, ${i.digests} signed digests.` : `Tampering found: ${i.problems.length} problem(s).`} {i.warnings?.join(' ')}</p>}
      </Section>
      <form class="toolbar" onSubmit={(e) => { e.preventDefault(); const f = new FormData(e.currentTarget); setFilter({ principal: String(f.get('principal')), action: String(f.get('action')), resource: String(f.get('resource')), outcome: String(f.get('outcome')) }); }}>
        <label>Principal (user name)<input name="principal" defaultValue={filter.principal} /></label>
        <label>Action<input name="action" defaultValue={filter.action} placeholder="UpdateFunctionConfiguration" /></label>
        <label>Resource<input name="resource" defaultValue={filter.resource} /></label>
        <label>Outcome
          <select name="outcome"><option value="">Any</option><option value="success">Succeeded</option><option value="failure">Failed</option></select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorBox error={events.error} />
      <Section title={`${shown.length} event${shown.length === 1 ? '' : 's'}`}>
        <Table head={['Time', 'Principal', 'Action', 'Resource', 'Outcome']} rows={shown.map((e) => [
          new Date(e.EventTime * 1000).toISOString().replace('T', ' ').slice(0, 19),
          e.Username ?? e.detail.userIdentity?.arn ?? '',
          <span>{e.EventName} <span class="muted small">{e.EventSource.split('.')[0]}</span></span>,
          (e.Resources ?? []).map((r) => r.ResourceName).join(', '),
          e.detail.errorCode ? <span class="bad" title={e.detail.errorMessage}>{e.detail.errorCode}</span> : <span class="good">Succeeded</span>,
        ])} empty="No events match." />
      </Section>
    </>
  );
}
