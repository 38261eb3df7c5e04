/**
 * The whole system as `npm run dev` starts it, in a throw-away data directory on free ports, for
 * the scripts that show it working in a browser (ops:screenshots, web:screenshots) and for
 * bench/web. `withDevSystem` starts it, runs `use`, and stops it (Ctrl-C's path) and its data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { freePort } from '../temporal/dev-server';
import { dataConverterOf } from '../temporal/codec';
import { payloadCodecFromConfig } from '../temporal/payload-keys';

const ROOT = resolve(__dirname, '..', '..');
const START_TIMEOUT_MS = 240_000;

export interface DevSystem {
  api: string; ui: string; temporal: string; pg: string; token: string;
  /** Reads and writes payloads with the key npm run dev made in its data directory, as its workers do. */
  dataConverter: DataConverter;
}

export async function withDevSystem<T>(env: Record<string, string>, say: (line: string) => void, use: (sys: DevSystem) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'commerce-dev-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own system user when we are root
  const ports = { api: await freePort(), postgres: await freePort(), temporal: await freePort(), ui: await freePort() };
  let dev: ChildProcess | undefined;
  try {
    say(`Starting the system (npm run dev) in ${dataDir} ...`);
    const started = await startDev(dataDir, ports, env);
    dev = started.dev;
    say(`Up: API ${started.system.api}, Temporal UI ${started.system.ui}`);
    return await use(started.system);
  } finally {
    if (dev?.pid) await stopDev(dev);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startDev(dataDir: string, ports: { api: number; postgres: number; temporal: number; ui: number }, env: Record<string, string>) {
  const dev = spawn('npx', ['tsx', 'src/cli/dev.ts'], {
    cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, DEV_DATA_DIR: dataDir, PORT: String(ports.api), EMBEDDED_PG_PORT: String(ports.postgres),
      TEMPORAL_DEV_PORT: String(ports.temporal), TEMPORAL_UI_PORT: String(ports.ui), DATABASE_URL: '', TEMPORAL_ADDRESS: '', ...env,
    },
  });
  let output = '';
  dev.stdout!.on('data', (c: Buffer) => { output += c.toString(); });
  dev.stderr!.on('data', (c: Buffer) => { output += c.toString(); });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!output.includes('Ctrl-C stops everything')) {
    if (dev.exitCode !== null || Date.now() > deadline) throw new Error(`npm run dev did not start:\n${output.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const token = /Staff key\s+(\S+)/.exec(output)?.[1];
  if (!token) throw new Error(`no staff key in the banner:\n${output}`);
  const dataConverter = dataConverterOf(payloadCodecFromConfig({ NODE_ENV: 'development' }, { DEV_DATA_DIR: dataDir }));
  return { dev, system: { api: `http://127.0.0.1:${ports.api}`, ui: `http://127.0.0.1:${ports.ui}`, temporal: `127.0.0.1:${ports.temporal}`,
    pg: `postgres://commerce:commerce@127.0.0.1:${ports.postgres}/commerce`, token, dataConverter } satisfies DevSystem };
}

async function stopDev(dev: ChildProcess): Promise<void> {
  const closed = new Promise<void>((done) => dev.once('close', () => done()));
  process.kill(-dev.pid!, 'SIGINT');
  const timer = setTimeout(() => process.kill(-dev.pid!, 'SIGKILL'), 60_000);
  await closed;
  clearTimeout(timer);
}

/** A JSON call to the running system, as staff unless `headers` say otherwise; a 4xx or 5xx throws with the answer. */
export async function callDev(sys: DevSystem, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(sys.api + path, { method, headers: { 'content-type': 'application/json', Authorization: `Bearer ${sys.token}`, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await res.json().catch(() => undefined);
  if (res.status >= 400) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}
