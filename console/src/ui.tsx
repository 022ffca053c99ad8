import type { ComponentChildren } from 'preact';

export function ErrorBox({ error }: { error: string | undefined }) {
  return error ? <p class="error" role="alert">{error}</p> : null;
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card" aria-label={title}>
      <header class="card-head"><h2>{title}</h2>{actions}</header>
      {children}
    </section>
  );
}

export function Table({ head, rows, empty = 'None.' }: { head: string[]; rows: ComponentChildren[][]; empty?: string }) {
  if (!rows.length) return <p class="muted">{empty}</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead><tr>{head.map((h) => <th scope="col">{h}</th>)}</tr></thead>
        <tbody>{rows.map((r) => <tr>{r.map((c) => <td>{c}</td>)}</tr>)}</tbody>
      </table>
    </div>
  );
}

export function Loading({ on }: { on: boolean }) {
  return <span class="loading" aria-live="polite">{on ? 'Loading…' : ''}</span>;
}

/** A tiny SVG sparkline (no chart library on the functions page: it stays light). */
export function Sparkline({ values, label, kind }: { values: number[]; label: string; kind: 'inv' | 'err' }) {
  const w = 100, h = 24;
  const max = Math.max(1, ...values);
  const pts = values.map((v, i) => `${(i / Math.max(1, values.length - 1)) * w},${h - (v / max) * (h - 2) - 1}`).join(' ');
  return (
    <svg class={`spark ${kind}`} width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={label}>
      <polyline fill="none" stroke-width="1.5" points={pts || `0,${h - 1} ${w},${h - 1}`} />
    </svg>
  );
}

export const ago = (iso: string | number | undefined) => {
  if (iso === undefined) return '';
  const t = typeof iso === 'number' ? iso : Date.parse(iso);
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toISOString().slice(0, 16).replace('T', ' ');
};
