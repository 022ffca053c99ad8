import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError } from './api';

export interface Load<T> {
  data: T | undefined;
  error: string | undefined;
  loading: boolean;
  reload(): void;
}

/** Loads with `fn` when `deps` change; API errors come back in plain words. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Load<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ error: plain(err), loading: false }),
    );
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function plain(err: unknown): string {
  return err instanceof ApiError ? err.plain : String((err as Error)?.message ?? err);
}

/** Calls `fn` every `ms` while the page shows (live logs, environments). */
export function useInterval(fn: () => void, ms: number, on = true): void {
  useEffect(() => {
    if (!on) return;
    const t = setInterval(fn, ms);
    return () => clearInterval(t);
  }, [fn, ms, on]);
}

export function useHashRoute(): string {
  const [h, setH] = useState(location.hash.slice(1) || '/functions');
  useEffect(() => {
    const on = () => setH(location.hash.slice(1) || '/functions');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return h;
}
