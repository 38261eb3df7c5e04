/**
 * A local HTTP endpoint that stands in for a provider's API: it records every request (method,
 * path, headers, body) and answers the way the provider would, as the test tells it to. The real
 * SDKs are pointed at it through their own base-URL / HTTP-client options.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as application/x-www-form-urlencoded (Twilio, Stripe), when it is. */
  form?: Record<string, string>;
  /** The body parsed as JSON (SendGrid), when it is. */
  json?: unknown;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  /** Cut the connection instead of answering: a network failure as the client sees it. */
  destroy?: boolean;
}

export type Answer = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Changes how the next requests are answered. */
  answerWith(answer: Answer): void;
  close(): Promise<void>;
}

export async function startRecordingServer(answer: Answer): Promise<RecordingServer> {
  let current = answer;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://recording.local');
      const type = req.headers['content-type'] ?? '';
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body };
      if (type.startsWith('application/x-www-form-urlencoded')) recorded.form = Object.fromEntries(new URLSearchParams(body));
      if (type.startsWith('application/json') && body) recorded.json = JSON.parse(body);
      requests.push(recorded);
      Promise.resolve(current(recorded)).then((reply) => {
        if (reply.destroy) {
          req.socket.destroy();
          return;
        }
        const payload = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        res.writeHead(reply.status, { ...(typeof reply.body === 'object' ? { 'content-type': 'application/json' } : {}), ...reply.headers });
        res.end(payload);
      }, (err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`recording server: the test's answer failed: ${String(err)}`);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    answerWith: (next) => {
      current = next;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
