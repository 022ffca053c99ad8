import { awsJson } from '../api';
import { useLoad } from '../hooks';
import { ErrorBox, Loading, Section } from '../ui';

interface Item { configurationItemCaptureTime: number; configurationItemStatus: string; configuration?: string; configurationStateId?: string }

/** A function's configuration history (AWS Config GetResourceConfigHistory), each change as a diff of the one before. */
export default function HistoryPage({ name }: { name: string }) {
  const data = useLoad(async () => {
    const items: Item[] = [];
    let token: string | undefined;
    do {
      const r = await awsJson<{ configurationItems?: Item[]; nextToken?: string }>('config', 'GetResourceConfigHistory', { resourceType: 'AWS::Lambda::Function', resourceId: name, chronologicalOrder: 'Forward', ...(token ? { nextToken: token } : {}) });
      items.push(...(r.configurationItems ?? []));
      token = r.nextToken;
    } while (token && items.length < 500);
    return items;
  }, [name]);
  const items = data.data ?? [];
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/functions">Functions</a> / <a href={`#/functions/${encodeURIComponent(name)}`}>{name}</a> / <span>History</span></nav>
      <h1>Configuration history <Loading on={data.loading} /></h1>
      <ErrorBox error={data.error} />
      {!data.loading && !items.length && <p class="muted">No recorded configuration.</p>}
      {items.map((it, i) => i).reverse().map((i) => {
        const it = items[i]!;
        const before = i > 0 ? flat(items[i - 1]!.configuration) : {};
        const after = flat(it.configuration);
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
        return (
          <Section title={`${new Date(Number(it.configurationItemCaptureTime) * 1000).toISOString().replace('T', ' ').slice(0, 19)} · ${it.configurationItemStatus}`}>
            {i === 0 ? <p class="muted">First recorded configuration ({keys.length} fields).</p> : null}
            <table class="diff" aria-label="Changes">
              <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
              <tbody>{(i === 0 ? keys.slice(0, 12) : keys).map((k) => <tr><td><code>{k}</code></td><td class="del">{mask(k, before[k])}</td><td class="add">{mask(k, after[k])}</td></tr>)}</tbody>
            </table>
            {i > 0 && !keys.length && <p class="muted">No field changed.</p>}
          </Section>
        );
      })}
    </>
  );
}

/** Environment values are secrets: the diff says that they changed, not what they are. */
function mask(k: string, v: string | undefined): string {
  if (v === undefined) return '—';
  return /(^|\.)environment\.variables\./i.test(k) ? '••••••' : v;
}

function flat(json: string | undefined, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (!json) return out;
  const walk = (v: unknown, p: string) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
    else out[p] = JSON.stringify(v);
  };
  walk(JSON.parse(json), prefix);
  return out;
}
