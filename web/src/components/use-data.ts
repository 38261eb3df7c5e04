import { useEffect, useState } from 'preact/hooks';

export interface Loaded<T> { data?: T; error?: unknown; loading: boolean; reload(): void }

/** Loads `load()` whenever `deps` change; a late answer for old deps is dropped. */
export function useData<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load().then((data) => { if (current) setState({ data, loading: false }); }, (error: unknown) => { if (current) setState({ error, loading: false }); });
    return () => { current = false; };
  }, [...deps, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}

export function useTitle(title: string): void {
  useEffect(() => { document.title = `${title} · Temporal Commerce`; }, [title]);
}
