import { useState } from 'preact/hooks';
import { fnPath, signedFetch } from '../api';
import { plain } from '../hooks';
import { ErrorBox, Section } from '../ui';

const key = (fn: string) => `flint.console.events.${fn}`;
const load = (fn: string): Record<string, string> => JSON.parse(localStorage.getItem(key(fn)) ?? '{}');

interface Outcome { status: number; error?: string; payload: string; log: string; report: Record<string, string>; version?: string }

/** Invoke (RequestResponse, LogType Tail) with saved test events (localStorage, per function). */
export function TestInvoke({ name }: { name: string }) {
  const [events, setEvents] = useState(load(name));
  const [eventName, setEventName] = useState(Object.keys(events)[0] ?? '');
  const [body, setBody] = useState(events[eventName] ?? '{\n  "hello": "world"\n}');
  const [out, setOut] = useState<Outcome>();
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const invoke = async () => {
    setErr(undefined);
    try {
      JSON.parse(body);
    } catch (x) {
      return setErr(`The event is not valid JSON: ${(x as Error).message}`);
    }
    setBusy(true);
    try {
      const r = await signedFetch('lambda', 'POST', `${fnPath(name)}/invocations`, { body, headers: { 'content-type': 'application/json', 'x-amz-log-type': 'Tail' } });
      const log = r.headers.get('x-amz-log-result') ? new TextDecoder().decode(Uint8Array.from(atob(r.headers.get('x-amz-log-result')!), (c) => c.charCodeAt(0))) : '';
      const reportLine = log.split('\n').find((l) => l.startsWith('REPORT')) ?? '';
      const report: Record<string, string> = {};
      for (const m of reportLine.replace(/^REPORT /, '').matchAll(/([A-Z][A-Za-z ]+): ([^\t]+)/g)) report[m[1]!.trim()] = m[2]!.trim();
      setOut({ status: r.status, payload: pretty(r.text), log, report, ...(r.headers.get('x-amz-function-error') ? { error: r.headers.get('x-amz-function-error')! } : {}), ...(r.headers.get('x-amz-executed-version') ? { version: r.headers.get('x-amz-executed-version')! } : {}) });
    } catch (x) {
      setErr(plain(x));
    } finally {
      setBusy(false);
    }
  };
  const save = () => {
    const n = (prompt('Name of this test event', eventName || 'event1') ?? '').trim();
    if (!n) return;
    const next = { ...events, [n]: body };
    localStorage.setItem(key(name), JSON.stringify(next));
    setEvents(next);
    setEventName(n);
  };
  const pick = (n: string) => {
    setEventName(n);
    if (events[n] !== undefined) setBody(events[n]!);
  };
  return (
    <>
      <Section title="Test event">
        <ErrorBox error={err} />
        <div class="toolbar">
          <label>Saved events
            <select value={eventName} onChange={(e) => pick(e.currentTarget.value)}>
              <option value="">(new event)</option>
              {Object.keys(events).map((n) => <option>{n}</option>)}
            </select>
          </label>
          <button class="secondary" onClick={save}>Save event</button>
          <button onClick={invoke} disabled={busy}>{busy ? 'Invoking…' : 'Invoke'}</button>
        </div>
        <label>Event JSON<textarea class="code" rows={8} value={body} onInput={(e) => setBody(e.currentTarget.value)} spellcheck={false} /></label>
      </Section>
      {out && (
        <Section title={out.error ? `Failed: ${out.error}` : 'Succeeded'}>
          <dl class="facts" aria-label="REPORT figures">
            {Object.entries(out.report).map(([k, v]) => <><dt>{k}</dt><dd>{v}</dd></>)}
            {out.version && <><dt>Executed version</dt><dd>{out.version}</dd></>}
          </dl>
          <h3>Response</h3>
          <pre class="code" data-testid="invoke-response">{out.payload}</pre>
          <h3>Log tail</h3>
          <pre class="code log" data-testid="invoke-log">{out.log}</pre>
        </Section>
      )}
    </>
  );
}

function pretty(s: string): string {
  try {
    return JSON.stringify(JSON.parse(s), null, 2);
  } catch {
    return s;
  }
}
