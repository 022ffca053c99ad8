import { useState } from 'preact/hooks';
import { lambda, session } from '../api';
import { plain } from '../hooks';
import { ErrorBox, Section } from '../ui';

/** CreateFunction from an uploaded .zip (the ZipFile member, base64 in REST-JSON). */
export function CreateFunction({ onCreated }: { onCreated(name: string): void }) {
  const [err, setErr] = useState<string>();
  const [busy, setBusy] = useState(false);
  const account = session.get()?.principal?.split(':')[4] ?? '000000000000';
  const submit = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const file = f.get('zip') as File;
    setBusy(true);
    setErr(undefined);
    try {
      const zip = new Uint8Array(await file.arrayBuffer());
      let bin = '';
      for (let i = 0; i < zip.length; i += 0x8000) bin += String.fromCharCode(...zip.subarray(i, i + 0x8000));
      const name = String(f.get('name'));
      await lambda('POST', '/2015-03-31/functions', {
        FunctionName: name,
        Runtime: String(f.get('runtime')),
        Handler: String(f.get('handler')),
        Role: String(f.get('role')),
        MemorySize: Number(f.get('memory')),
        Code: { ZipFile: btoa(bin) },
      });
      onCreated(name);
    } catch (x) {
      setErr(plain(x));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Section title="Create function">
      <ErrorBox error={err} />
      <form class="grid-form" onSubmit={submit}>
        <label>Name<input name="name" required pattern="[A-Za-z0-9_-]{1,64}" /></label>
        <label>Runtime
          <select name="runtime">{['nodejs20.x', 'nodejs22.x', 'python3.12', 'python3.11', 'provided.al2023'].map((r) => <option>{r}</option>)}</select>
        </label>
        <label>Handler<input name="handler" defaultValue="index.handler" required /></label>
        <label>Memory (MB)<input name="memory" type="number" min={128} max={10240} defaultValue={128} /></label>
        <label class="wide">Execution role<input name="role" defaultValue={`arn:aws:iam::${account}:role/lambda-role`} required /></label>
        <label class="wide">Code (.zip)<input name="zip" type="file" accept=".zip,application/zip" required /></label>
        <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create'}</button>
      </form>
    </Section>
  );
}
