/** Starts the real Koa app on 127.0.0.1 against a test database, and a small JSON client for it. */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { buildApp } from '../../src/api/app';
import { sha256Hex } from '../../src/api/auth';
import { connectClient } from '../../src/temporal/client';
import { logger } from '../../src/logger';
import type { MikroORM } from '../../src/db/orm';
import { required } from './db';

export const STAFF_TOKEN = 'test-staff-token-0123456789abcdef';

export interface TestApi {
  url: string;
  request(method: string, path: string, opts?: { body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
}

export async function startTestApi(orm: MikroORM): Promise<TestApi> {
  const temporal = await connectClient({ address: required('TEST_TEMPORAL_ADDRESS'), namespace: 'default' });
  const app = buildApp({ orm, temporal, staffTokenDigests: [sha256Hex(STAFF_TOKEN)], logger });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    request: async (method, path, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers };
      let body: string | undefined = opts.rawBody;
      if (opts.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(opts.body);
      }
      const res = await fetch(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: the test sees the raw text
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await temporal.connection.close();
    },
  };
}
