import { useState } from 'preact/hooks';
import { session, whoAmI, type Credentials } from '../api';
import { plain } from '../hooks';

/** Sign in with an access key pair (kept in this tab's sessionStorage only) or a login link. */
export function SignIn({ onSignedIn, error }: { onSignedIn(c: Credentials): void; error?: string | undefined }) {
  const [err, setErr] = useState<string | undefined>(error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const c: Credentials = {
      accessKeyId: String(f.get('accessKeyId')).trim(),
      secretAccessKey: String(f.get('secretAccessKey')).trim(),
      region: String(f.get('region')).trim() || 'us-east-1',
      ...(String(f.get('sessionToken')).trim() ? { sessionToken: String(f.get('sessionToken')).trim() } : {}),
    };
    setBusy(true);
    session.set(c);
    try {
      c.principal = await whoAmI();
      session.set(c);
      onSignedIn(c);
    } catch (x) {
      session.clear();
      setErr(plain(x));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main">
      <h1>Flint console</h1>
      <p class="muted">Sign in with an access key, or open the link <code>flint console</code> prints.</p>
      {(err ?? error) && <p class="error" role="alert">{err ?? error}</p>}
      <form onSubmit={submit}>
        <label>Access key ID<input name="accessKeyId" autoComplete="username" required spellcheck={false} /></label>
        <label>Secret access key<input name="secretAccessKey" type="password" autoComplete="current-password" required /></label>
        <label>Session token (optional)<input name="sessionToken" type="password" autoComplete="off" /></label>
        <label>Region<input name="region" defaultValue="us-east-1" spellcheck={false} /></label>
        <button type="submit" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
      <p class="muted small">The key stays in this browser tab (sessionStorage) and signs each request; it is never sent.</p>
    </main>
  );
}
