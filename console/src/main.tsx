import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ComponentType } from 'preact';
import { session, type Credentials } from './api';
import { plain, useHashRoute } from './hooks';
import { SignIn } from './pages/sign-in';
import { FunctionsPage } from './pages/functions';
import './style.css';

/** Pages other than the functions list load on first visit: the first load stays small. */
function lazy(load: () => Promise<{ default: ComponentType<any> }>): ComponentType<any> {
  let C: ComponentType<any> | undefined;
  return (props: any) => {
    const [, set] = useState(0);
    useEffect(() => { if (!C) void load().then((m) => { C = m.default; set(1); }); }, []);
    return C ? <C {...props} /> : <p class="loading">Loading…</p>;
  };
}
const FunctionPage = lazy(() => import('./pages/function'));
const LogsPage = lazy(() => import('./pages/logs'));
const MetricsPage = lazy(() => import('./pages/metrics'));
const EnvironmentsPage = lazy(() => import('./pages/environments'));
const QueuePage = lazy(() => import('./pages/queue'));
const AuditPage = lazy(() => import('./pages/audit'));
const HistoryPage = lazy(() => import('./pages/history'));

const NAV: Array<[string, string]> = [
  ['/functions', 'Functions'],
  ['/logs', 'Logs'],
  ['/metrics', 'Metrics'],
  ['/environments', 'Environments'],
  ['/queue', 'Async queue'],
  ['/audit', 'Audit trail'],
];

function App() {
  const [creds, setCreds] = useState<Credentials | undefined>(session.get());
  const [linkError, setLinkError] = useState<string>();
  const route = useHashRoute();

  // A login link (`flint console`): #login=<one-time token>, traded for a session, then dropped
  // from the address bar and history.
  useEffect(() => {
    const m = /^#login=([\w-]+)$/.exec(location.hash);
    if (!m) return;
    history.replaceState(null, '', `${location.pathname}#/functions`);
    dispatchEvent(new HashChangeEvent('hashchange'));
    fetch('/console/api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Token: m[1] }) })
      .then(async (r) => {
        const j = await r.json();
        if (!r.ok) throw new Error(j.message ?? `HTTP ${r.status}`);
        const c: Credentials = { accessKeyId: j.AccessKeyId, secretAccessKey: j.SecretAccessKey, sessionToken: j.SessionToken, expiration: j.Expiration, region: j.Region ?? 'us-east-1', principal: j.Principal };
        session.set(c);
        setCreds(c);
      })
      .catch((e: unknown) => setLinkError(plain(e)));
  }, []);

  if (!creds || route.startsWith('login=')) return <SignIn onSignedIn={setCreds} error={linkError} />;
  const [, page, arg, sub] = route.split(/[/?]/);
  const params = new URLSearchParams(route.includes('?') ? route.slice(route.indexOf('?') + 1) : '');
  let body;
  if (page === 'functions' && arg) body = <FunctionPage name={decodeURIComponent(arg)} tab={sub ?? 'configuration'} />;
  else if (page === 'logs') body = <LogsPage fn={params.get('fn') ?? ''} />;
  else if (page === 'metrics') body = <MetricsPage fn={params.get('fn') ?? ''} />;
  else if (page === 'environments') body = <EnvironmentsPage />;
  else if (page === 'queue') body = <QueuePage />;
  else if (page === 'audit') body = <AuditPage />;
  else if (page === 'history' && arg) body = <HistoryPage name={decodeURIComponent(arg)} />;
  else body = <FunctionsPage />;
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>Skip to content</a>
      <header class="top">
        <a class="brand" href="#/functions">Flint</a>
        <nav aria-label="Main">
          {NAV.map(([href, label]) => <a href={`#${href}`} aria-current={`/${page}` === href ? 'page' : undefined}>{label}</a>)}
        </nav>
        <span class="who" title={creds.principal}>{creds.principal?.split(':').pop()}</span>
        <button class="link" onClick={() => { session.clear(); setCreds(undefined); }}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>{body}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
