import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { awsJson, lambda } from '../api';
import { plain, useInterval, useLoad } from '../hooks';
import { ErrorBox, Section } from '../ui';

interface Ev { eventId?: string; timestamp: number; message: string; logStreamName: string }

/** Live logs: FilterLogEvents polled every 2 s from where the last poll ended; JSON lines pretty-printed. */
export default function LogsPage({ fn }: { fn: string }) {
  const fns = useLoad(() => lambda('GET', '/2015-03-31/functions/').then((r) => (r.Functions ?? []).map((f: any) => f.FunctionName as string)), []);
  const [pattern, setPattern] = useState('');
  const [live, setLive] = useState(true);
  const [events, setEvents] = useState<Ev[]>([]);
  const [err, setErr] = useState<string>();
  const since = useRef(Date.now() - 3600_000);
  const seen = useRef(new Set<string>());
  // The function's log group: LoggingConfig.LogGroup, else Lambda's default /aws/lambda/<name>.
  const cfg = useLoad(() => (fn ? lambda('GET', `/2015-03-31/functions/${encodeURIComponent(fn)}/configuration`) : Promise.resolve(undefined)), [fn]);
  const group = fn && !cfg.loading ? (cfg.data?.LoggingConfig?.LogGroup ?? `/aws/lambda/${fn}`) : '';
  useEffect(() => {
    setEvents([]);
    seen.current = new Set();
    since.current = Date.now() - 3600_000;
  }, [group, pattern]);
  const poll = useCallback(async () => {
    if (!group) return;
    try {
      const got: Ev[] = [];
      let token: string | undefined;
      do {
        const r = await awsJson<{ events?: Ev[]; nextToken?: string }>('logs', 'FilterLogEvents', { logGroupName: group, startTime: since.current, ...(pattern ? { filterPattern: pattern } : {}), ...(token ? { nextToken: token } : {}), limit: 1000 });
        got.push(...(r.events ?? []));
        token = r.nextToken;
      } while (token);
      const fresh = got.filter((e) => !seen.current.has(e.eventId ?? `${e.timestamp}${e.message}`));
      for (const e of fresh) seen.current.add(e.eventId ?? `${e.timestamp}${e.message}`);
      if (got.length) since.current = Math.max(...got.map((e) => e.timestamp));
      if (fresh.length) setEvents((prev) => [...prev, ...fresh].slice(-2000));
      setErr(undefined);
    } catch (x) {
      const m = plain(x);
      setErr(/Not found/.test(m) ? 'No logs yet: the function has not run, or its log group was deleted.' : m);
    }
  }, [group, pattern]);
  useEffect(() => { void poll(); }, [poll]);
  useInterval(poll, 2000, live && !!group);
  return (
    <>
      <h1>Logs</h1>
      <div class="toolbar">
        <label>Function
          <select value={fn} onChange={(e) => (location.hash = `#/logs?fn=${encodeURIComponent(e.currentTarget.value)}`)}>
            <option value="">Choose…</option>
            {(fns.data ?? []).map((n: string) => <option selected={n === fn}>{n}</option>)}
          </select>
        </label>
        <form class="grow" onSubmit={(e) => { e.preventDefault(); setPattern(String(new FormData(e.currentTarget).get('p'))); }}>
          <label>Filter pattern<input name="p" type="search" defaultValue={pattern} placeholder='ERROR, "some text", { $.level = "error" }' /></label>
        </form>
        <label class="check"><input type="checkbox" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} /> Live</label>
      </div>
      <ErrorBox error={err ?? fns.error} />
      <Section title={group || 'No function chosen'}>
        <ol class="log-lines" aria-live="polite" data-testid="log-lines">
          {events.map((e) => <li><time>{new Date(e.timestamp).toISOString().slice(11, 23)}</time><LogMessage text={e.message} /></li>)}
        </ol>
        {group && !events.length && <p class="muted">No log events in the last hour{pattern ? ' match' : ''}.</p>}
      </Section>
    </>
  );
}

/** A JSON line (or a Lambda line whose last field is JSON) shows pretty-printed. */
function LogMessage({ text }: { text: string }) {
  const i = text.indexOf('{');
  if (i >= 0) {
    try {
      const j = JSON.parse(text.slice(i));
      return <pre>{text.slice(0, i)}{JSON.stringify(j, null, 2)}</pre>;
    } catch { /* not JSON: as is */ }
  }
  return <pre>{text.trimEnd()}</pre>;
}
