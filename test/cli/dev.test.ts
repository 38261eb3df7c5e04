/**
 * `npm run dev` end to end, as a developer meets it: one command brings up PostgreSQL, Temporal
 * (with its Web UI), the worker and the API on a seeded catalog, and one Ctrl-C takes it all down
 * again. It runs in a process group of its own and gets SIGINT the way a terminal sends it, to the
 * whole group, so "nothing left behind" means the group is empty afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/temporal/dev-server';
import { tcpAnswers as accepts } from '../../src/stack/services';
import { groupAlive, portHolder, processesMentioning } from '../support/processes';

const ROOT = resolve(__dirname, '..', '..');
// A fresh data directory means initdb, migrations, seeding and a webpack bundle, on a 2-core machine
// that is also running the shared test harness: generous, but bounded.
const START_TIMEOUT_MS = 150_000;
const STOP_TIMEOUT_MS = 20_000;
const HTTP_TIMEOUT_MS = 10_000;

let dev: ChildProcess | undefined;
let dataDir: string;
let output = '';

afterAll(() => {
  if (dev?.pid && groupAlive(dev.pid)) process.kill(-dev.pid, 'SIGKILL');
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('npm run dev', () => {
  it('starts everything with one command, serves the seeded catalog, and one Ctrl-C stops it all', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'commerce-dev-'));
    chmodSync(dataDir, 0o755); // PostgreSQL runs as its own system user when the tests run as root
    const ports = { api: await freePort(), postgres: await freePort(), temporal: await freePort(), temporalUi: await freePort() };
    dev = spawn('npx', ['tsx', 'src/cli/dev.ts'], {
      cwd: ROOT,
      detached: true, // its own process group, like a terminal's foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME,
        ...(process.env.TEMPORAL_CLI_PATH ? { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH } : {}),
        DEV_DATA_DIR: dataDir,
        PORT: String(ports.api),
        EMBEDDED_PG_PORT: String(ports.postgres),
        TEMPORAL_DEV_PORT: String(ports.temporal),
        TEMPORAL_UI_PORT: String(ports.temporalUi),
      },
    });
    dev.stdout!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    dev.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    // 'close' rather than 'exit': it waits until every process sharing the output pipes (npx, tsx and
    // dev.ts itself) has exited, so the last lines of output are in before we read them.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      dev!.once('close', (code, signal) => done({ code, signal }));
    });

    await waitFor(() => output.includes('Ctrl-C stops everything'), exited, START_TIMEOUT_MS, 'the banner');
    const apiUrl = `http://127.0.0.1:${ports.api}`;
    expect(output).toContain(`API            ${apiUrl}`);
    expect(output).toContain(`OpenAPI        ${apiUrl}/openapi.json`);
    expect(output).toContain(`Temporal gRPC  127.0.0.1:${ports.temporal}`);
    expect(output).toContain(`PostgreSQL     postgres://commerce:commerce@127.0.0.1:${ports.postgres}/commerce`);

    const ready = await get(`${apiUrl}/readyz`);
    expect(ready.status).toBe(200);
    const products = await get(`${apiUrl}/products?limit=100`);
    expect(products.status).toBe(200);
    const page = (await products.json()) as { items: unknown[] };
    expect(page.items.length).toBeGreaterThanOrEqual(50);
    expect((await get(`${apiUrl}/openapi.json`)).status).toBe(200);
    expect((await get(`http://127.0.0.1:${ports.temporalUi}/`)).status).toBe(200);

    // The admin key is made once, kept private to the owner, and shown in the banner; it opens the admin's routes.
    const keyFile = join(dataDir, 'staff-key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(key).toMatch(/^staff_/);
    expect(output).toContain(`Staff key      ${key}`);
    const staffOnly = await get(`${apiUrl}/admin/staff`, { Authorization: `Bearer ${key}` });
    expect(staffOnly.status).toBe(200);
    expect(((await staffOnly.json()) as { accounts: { name: string; roles: string[] }[] }).accounts)
      .toEqual([expect.objectContaining({ name: 'dev', roles: ['admin'] })]);

    const stopAsked = Date.now();
    process.kill(-dev.pid!, 'SIGINT');
    const exit = await withTimeout(exited, STOP_TIMEOUT_MS, () => `npm run dev did not exit within ${STOP_TIMEOUT_MS / 1000} s of Ctrl-C:\n${output}`);
    expect(Date.now() - stopAsked).toBeLessThan(STOP_TIMEOUT_MS);
    expect(output).toContain('Everything stopped.');
    expect(exit.code === 0 || exit.signal === 'SIGINT').toBe(true);

    // Nothing outlives it: no process in its group, none anywhere working on its data directory
    // (PostgreSQL, the Temporal server), nothing of ours on its ports, PostgreSQL shut down cleanly.
    await waitFor(() => !groupAlive(dev!.pid!), undefined, 5_000, 'every process of the group to exit');
    expect(processesMentioning(dataDir)).toEqual([]);
    for (const [name, port] of Object.entries(ports)) {
      // Another test file may have been handed the same free port since; only a process of ours there is a leak.
      const holder = (await accepts(port)) ? portHolder(port) : undefined;
      expect({ name, leftBehind: holder !== undefined && holder.includes(dataDir) }).toEqual({ name, leftBehind: false });
    }
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  }, START_TIMEOUT_MS + STOP_TIMEOUT_MS + 30_000);
});

function get(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { headers, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
}

async function waitFor(ok: () => boolean, exited: Promise<unknown> | undefined, ms: number, what: string): Promise<void> {
  let gone = false;
  void exited?.then(() => { gone = true; });
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (gone) throw new Error(`npm run dev exited while we waited for ${what}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what} after ${ms / 1000} s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message())), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
