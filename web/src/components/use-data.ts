import { useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> { data?: T; error?: unknown; loading: boolean; reload(): void }

/**
 * Loads `load()` whenever `deps` change, keeping the last answer on show meanwhile; the request for
 * old deps is aborted (through `signal`, for loads that pass it on) and a late answer for them dropped.
 */
export function useData<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [nonce, setNonce] = useState(0);
  // The deps of the load in flight or done. The render right after the deps change comes before the effect
  // that starts the new load: it already says loading, so a page never shows new state over old data as settled.
  const started = useRef<unknown[]>([]);
  const now = [...deps, nonce];
  const stale = started.current.length !== now.length || now.some((d, i) => !Object.is(d, started.current[i]));
  useEffect(() => {
    started.current = now;
    let current = true;
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(abort.signal).then((data) => { if (current) setState({ data, loading: false }); },
      (error: unknown) => { if (current) setState({ error, loading: false }); });
    return () => { current = false; abort.abort(); };
  }, now);
  return { ...state, loading: state.loading || stale, reload: () => setNonce((n) => n + 1) };
}

export function useTitle(title: string): void {
  useEffect(() => { document.title = `${title} · Temporal Commerce`; }, [title]);
}
