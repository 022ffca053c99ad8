import { useState } from 'preact/hooks';
import { fnPath, lambda } from '../api';
import { plain, useLoad } from '../hooks';
import { ago, ErrorBox, Loading, Section, Table } from '../ui';
import { TestInvoke } from './test-invoke';

const TABS: Array<[string, string]> = [
  ['configuration', 'Configuration'],
  ['test', 'Test'],
  ['versions', 'Versions and aliases'],
  ['permissions', 'Permissions'],
  ['triggers', 'Triggers and URLs'],
  ['tags', 'Tags'],
];

/** One function: GetFunction plus the lists beside it, and edit forms calling the same API. */
export default function FunctionPage({ name, tab }: { name: string; tab: string }) {
  const fn = useLoad(() => lambda('GET', fnPath(name)), [name]);
  const cfg = fn.data?.Configuration;
  const enc = encodeURIComponent(name);
  return (
    <>
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/functions">Functions</a> / <span>{name}</span></nav>
      <h1>{name} <Loading on={fn.loading} /></h1>
      <ErrorBox error={fn.error} />
      <div class="toolbar">
        <a class="button secondary" href={`#/logs?fn=${enc}`}>Logs</a>
        <a class="button secondary" href={`#/metrics?fn=${enc}`}>Metrics</a>
        <a class="button secondary" href={`#/history/${enc}`}>Configuration history</a>
      </div>
      <div class="tabs" role="tablist" aria-label="Function sections">
        {TABS.map(([id, label]) => (
          <a role="tab" aria-selected={tab === id} href={`#/functions/${enc}/${id}`}>{label}</a>
        ))}
      </div>
      <div role="tabpanel" class="tabpanel">
        {cfg && tab === 'configuration' && <Configuration cfg={cfg} concurrency={fn.data.Concurrency} reload={fn.reload} />}
        {cfg && tab === 'test' && <TestInvoke name={name} />}
        {cfg && tab === 'versions' && <Versions name={name} />}
        {cfg && tab === 'permissions' && <Permissions name={name} role={cfg.Role} />}
        {cfg && tab === 'triggers' && <Triggers name={name} />}
        {cfg && tab === 'tags' && <Tags arn={cfg.FunctionArn} initial={fn.data.Tags ?? {}} />}
      </div>
    </>
  );
}

function Configuration({ cfg, concurrency, reload }: { cfg: any; concurrency: any; reload(): void }) {
  const [err, setErr] = useState<string>();
  const [saved, setSaved] = useState<string>();
  const [showEnv, setShowEnv] = useState(false);
  const [envErr, setEnvErr] = useState<string>();
  const vars: Record<string, string> = cfg.Environment?.Variables ?? {};
  const save = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    setErr(undefined);
    setSaved(undefined);
    try {
      await lambda('PUT', `${fnPath(cfg.FunctionName)}/configuration`, {
        MemorySize: Number(f.get('memory')),
        Timeout: Number(f.get('timeout')),
        Description: String(f.get('description')),
      });
      setSaved('Saved.');
      reload();
    } catch (x) {
      setErr(plain(x));
    }
  };
  const saveConcurrency = async (e: Event) => {
    e.preventDefault();
    const v = String(new FormData(e.target as HTMLFormElement).get('reserved')).trim();
    setErr(undefined);
    try {
      if (v === '') await lambda('DELETE', `/2017-10-31/functions/${encodeURIComponent(cfg.FunctionName)}/concurrency`);
      else await lambda('PUT', `/2017-10-31/functions/${encodeURIComponent(cfg.FunctionName)}/concurrency`, { ReservedConcurrentExecutions: Number(v) });
      reload();
    } catch (x) {
      setErr(plain(x));
    }
  };
  return (
    <>
      <Section title="General configuration">
        <ErrorBox error={err} />
        {saved && <p class="ok" role="status">{saved}</p>}
        <dl class="facts">
          <dt>ARN</dt><dd><code>{cfg.FunctionArn}</code></dd>
          <dt>Runtime</dt><dd>{cfg.Runtime ?? cfg.PackageType}</dd>
          <dt>Handler</dt><dd>{cfg.Handler}</dd>
          <dt>State</dt><dd>{cfg.State} {cfg.LastUpdateStatus && `(last update ${cfg.LastUpdateStatus})`}</dd>
          <dt>Last modified</dt><dd title={cfg.LastModified}>{ago(cfg.LastModified)}</dd>
          <dt>Code size</dt><dd>{cfg.CodeSize} bytes</dd>
          <dt>Role</dt><dd><code>{cfg.Role}</code></dd>
          <dt>Architecture</dt><dd>{(cfg.Architectures ?? ['x86_64']).join(', ')}</dd>
        </dl>
        <form class="grid-form" onSubmit={save} aria-label="Edit configuration">
          <label>Memory (MB)<input name="memory" type="number" min={128} max={10240} defaultValue={cfg.MemorySize} key={cfg.MemorySize} /></label>
          <label>Timeout (s)<input name="timeout" type="number" min={1} max={900} defaultValue={cfg.Timeout} key={cfg.Timeout} /></label>
          <label class="wide">Description<input name="description" defaultValue={cfg.Description ?? ''} maxLength={256} /></label>
          <button type="submit">Save</button>
        </form>
      </Section>
      <Section title="Environment variables" actions={<button class="secondary" aria-pressed={showEnv} onClick={() => setShowEnv(!showEnv)}>{showEnv ? 'Hide values' : 'Show values'}</button>}>
        {/* Values are secrets until asked for: hidden by default, and shown only if GetFunction returned them. */}
        <ErrorBox error={envErr} />
        <Table head={['Key', 'Value']} rows={Object.entries(vars).map(([k, v]) => [<code>{k}</code>, showEnv ? <code>{v}</code> : <span class="masked" aria-label="hidden value">••••••</span>])} empty="No environment variables." />
        <EnvEditor cfg={cfg} onError={setEnvErr} onSaved={reload} />
      </Section>
      <Section title="Layers">
        <Table head={['ARN', 'Code size']} rows={(cfg.Layers ?? []).map((l: any) => [<code>{l.Arn}</code>, `${l.CodeSize} bytes`])} empty="No layers." />
      </Section>
      <Section title="Concurrency">
        <p>Reserved concurrency: <strong>{concurrency?.ReservedConcurrentExecutions ?? 'none (unreserved pool)'}</strong></p>
        <form class="inline-form" onSubmit={saveConcurrency}>
          <label>Reserved concurrency<input name="reserved" type="number" min={0} defaultValue={concurrency?.ReservedConcurrentExecutions ?? ''} placeholder="unreserved" /></label>
          <button type="submit">Save</button>
        </form>
      </Section>
    </>
  );
}

function EnvEditor({ cfg, onError, onSaved }: { cfg: any; onError(e: string | undefined): void; onSaved(): void }) {
  const [open, setOpen] = useState(false);
  if (!open) return <button class="secondary" onClick={() => setOpen(true)}>Edit variables</button>;
  const save = async (e: Event) => {
    e.preventDefault();
    const text = String(new FormData(e.target as HTMLFormElement).get('vars'));
    const Variables: Record<string, string> = {};
    for (const line of text.split('\n')) {
      const i = line.indexOf('=');
      if (line.trim() && i > 0) Variables[line.slice(0, i).trim()] = line.slice(i + 1);
    }
    onError(undefined);
    try {
      await lambda('PUT', `${fnPath(cfg.FunctionName)}/configuration`, { Environment: { Variables } });
      setOpen(false);
      onSaved();
    } catch (x) {
      onError(plain(x));
    }
  };
  const current = Object.entries(cfg.Environment?.Variables ?? {}).map(([k, v]) => `${k}=${v}`).join('\n');
  return (
    <form onSubmit={save}>
      <label>One KEY=value per line<textarea name="vars" rows={6} defaultValue={current} spellcheck={false} /></label>
      <button type="submit">Save variables</button> <button type="button" class="secondary" onClick={() => setOpen(false)}>Cancel</button>
    </form>
  );
}

function Versions({ name }: { name: string }) {
  const data = useLoad(async () => {
    const [v, a] = await Promise.all([lambda('GET', `${fnPath(name)}/versions`), lambda('GET', `${fnPath(name)}/aliases`)]);
    return { versions: v.Versions ?? [], aliases: a.Aliases ?? [] };
  }, [name]);
  const [err, setErr] = useState<string>();
  const publish = async () => {
    try {
      await lambda('POST', `${fnPath(name)}/versions`, {});
      data.reload();
    } catch (x) {
      setErr(plain(x));
    }
  };
  return (
    <>
      <ErrorBox error={data.error ?? err} />
      <Section title="Versions" actions={<button onClick={publish}>Publish version</button>}>
        <Table head={['Version', 'Description', 'Last modified', 'Code SHA-256']} rows={(data.data?.versions ?? []).map((v: any) => [v.Version, v.Description, ago(v.LastModified), <code>{String(v.CodeSha256).slice(0, 12)}…</code>])} />
      </Section>
      <Section title="Aliases">
        <Table head={['Alias', 'Version', 'Routing weights', 'Description']} rows={(data.data?.aliases ?? []).map((a: any) => [
          a.Name,
          a.FunctionVersion,
          Object.entries(a.RoutingConfig?.AdditionalVersionWeights ?? {}).map(([v, w]) => `${v}: ${Math.round(Number(w) * 100)}%`).join(', ') || `${a.FunctionVersion}: 100%`,
          a.Description,
        ])} empty="No aliases." />
      </Section>
    </>
  );
}

function Permissions({ name, role }: { name: string; role: string }) {
  const policy = useLoad(() => lambda('GET', `${fnPath(name)}/policy`).catch((e) => (/NotFound/.test(e.type) ? { Policy: undefined } : Promise.reject(e))), [name]);
  const statements = policy.data?.Policy ? JSON.parse(policy.data.Policy).Statement ?? [] : [];
  return (
    <>
      <Section title="Execution role"><code>{role}</code></Section>
      <Section title="Resource-based policy">
        <ErrorBox error={policy.error} />
        <Table head={['Sid', 'Principal', 'Action', 'Condition']} rows={statements.map((s: any) => [s.Sid, JSON.stringify(s.Principal), s.Action, s.Condition ? <code>{JSON.stringify(s.Condition)}</code> : ''])} empty="No resource-based policy statements." />
      </Section>
    </>
  );
}

function Triggers({ name }: { name: string }) {
  const data = useLoad(async () => {
    const [urls, esm] = await Promise.all([
      lambda('GET', `/2021-10-31/functions/${encodeURIComponent(name)}/urls`),
      lambda('GET', '/2015-03-31/event-source-mappings/', undefined, { FunctionName: name }),
    ]);
    return { urls: urls.FunctionUrlConfigs ?? [], esm: esm.EventSourceMappings ?? [] };
  }, [name]);
  return (
    <>
      <ErrorBox error={data.error} />
      <Section title="Function URLs">
        <Table head={['URL', 'Auth type', 'CORS']} rows={(data.data?.urls ?? []).map((u: any) => [<a href={u.FunctionUrl}>{u.FunctionUrl}</a>, u.AuthType, u.Cors ? 'configured' : '—'])} empty="No function URL." />
      </Section>
      <Section title="Event source mappings">
        <Table head={['Source', 'State', 'Batch size', 'UUID']} rows={(data.data?.esm ?? []).map((m: any) => [<code>{m.EventSourceArn}</code>, m.State, m.BatchSize, <code>{m.UUID}</code>])} empty="No event source mappings." />
      </Section>
    </>
  );
}

function Tags({ arn, initial }: { arn: string; initial: Record<string, string> }) {
  const [tags, setTags] = useState(initial);
  const [err, setErr] = useState<string>();
  const path = `/2017-03-31/tags/${encodeURIComponent(arn)}`;
  const add = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const k = String(f.get('key')), v = String(f.get('value'));
    try {
      await lambda('POST', path, { Tags: { [k]: v } });
      setTags({ ...tags, [k]: v });
      (e.target as HTMLFormElement).reset();
    } catch (x) {
      setErr(plain(x));
    }
  };
  const remove = async (k: string) => {
    try {
      await lambda('DELETE', path, undefined, { tagKeys: k });
      const { [k]: _, ...rest } = tags;
      setTags(rest);
    } catch (x) {
      setErr(plain(x));
    }
  };
  return (
    <Section title="Tags">
      <ErrorBox error={err} />
      <Table head={['Key', 'Value', '']} rows={Object.entries(tags).map(([k, v]) => [k, v, <button class="link" onClick={() => remove(k)} aria-label={`Remove tag ${k}`}>Remove</button>])} empty="No tags." />
      <form class="inline-form" onSubmit={add}>
        <label>Key<input name="key" required maxLength={128} /></label>
        <label>Value<input name="value" maxLength={256} /></label>
        <button type="submit">Add tag</button>
      </form>
    </Section>
  );
}
