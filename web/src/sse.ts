/**
 * Follows a stream of server-sent events with fetch, because EventSource cannot send an
 * Authorization header (the order's access token, or the session). Like EventSource it reconnects
 * after the server's `retry:` delay and sends the last event's id as Last-Event-ID, so nothing is
 * missed or repeated across a dropped connection.
 */
export interface StreamHandlers {
  onEvent(data: string, id: string | undefined): void;
  onState?(state: 'open' | 'reconnecting' | 'closed'): void;
  /** A refusal that retrying will not change (404, 401): the stream stops. */
  onRefused?(status: number): void;
}

export function followStream(url: string, headers: Record<string, string>, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let lastId: string | undefined;
  let retryMs = 2000;
  let stopped = false;

  const readOnce = async (): Promise<'again' | 'stop'> => {
    const res = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers, ...(lastId ? { 'Last-Event-ID': lastId } : {}) },
      signal: controller.signal, cache: 'no-store' });
    if (res.status === 404 || res.status === 401 || res.status === 403) {
      handlers.onRefused?.(res.status);
      return 'stop';
    }
    if (!res.ok || !res.body) return 'again';
    handlers.onState?.('open');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'again';
      buffer += value.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        dispatch(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
  };

  const dispatch = (message: string) => {
    let data: string[] = [];
    let id: string | undefined;
    for (const line of message.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) retryMs = Number(value);
    }
    if (id !== undefined) lastId = id;
    if (data.length) handlers.onEvent(data.join('\n'), id);
    data = [];
  };

  void (async () => {
    while (!stopped) {
      try {
        if ((await readOnce()) === 'stop') break;
      } catch {
        if (stopped) break;
      }
      if (stopped) break;
      handlers.onState?.('reconnecting');
      await new Promise((r) => setTimeout(r, retryMs));
    }
    handlers.onState?.('closed');
  })();

  return () => {
    stopped = true;
    controller.abort();
  };
}
