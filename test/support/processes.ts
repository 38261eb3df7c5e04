/**
 * The production entry points (src/api/main.ts, workers/main.ts) as real child processes, for tests
 * that need what only a process has: signals, exit codes, its own SDK runtime.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Client as PgClient } from 'pg';
import { TEST_PAYLOAD_KEY_ID, TEST_PAYLOAD_KEYS } from './temporal';

const ROOT = resolve(__dirname, '..', '..');

export interface Service {
  process: ChildProcess;
  /** Everything it printed so far (its JSON log lines). */
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  hasExited(): boolean;
}

export function startService(entry: 'src/api/main.ts' | 'workers/main.ts', env: Record<string, string>): Service {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    // Encrypting with the test payload key, as every client and worker of the tests does (test/support/temporal.ts); without it a
    // process would fall back to npm run dev's key, if this checkout has one, or to no encryption, and read nothing the tests wrote.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'info', PAYLOAD_KEYS: TEST_PAYLOAD_KEYS, PAYLOAD_KEY_ID: TEST_PAYLOAD_KEY_ID, ...env },
  });
  let text = '';
  let done = false;
  child.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) => {
    child.once('exit', (code, signal) => { done = true; ok({ code, signal }); });
  });
  return {
    process: child,
    output: () => text,
    exited,
    hasExited: () => done,
    waitFor: async (pattern, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (done) throw new Error(`${entry} exited while we waited for ${pattern}:\n${text}`);
        if (Date.now() > deadline) throw new Error(`${entry} did not print ${pattern} within ${timeoutMs / 1000} s:\n${text}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** Kills what a failed test left running. */
export function killService(service: Service | undefined): void {
  if (service && !service.hasExited()) service.process.kill('SIGKILL');
}

/**
 * Holds a row lock on one inventory row, so an activity that reserves that SKU blocks inside the
 * database: a way to have work in flight at a chosen moment, with nothing in the code under test changed.
 */
export async function lockInventoryRow(databaseUrl: string, sku: string): Promise<{ waiting(): Promise<number>; release(): Promise<void> }> {
  const client = new PgClient({ connectionString: databaseUrl });
  await client.connect();
  await client.query('begin');
  await client.query('select sku from inventory where sku = $1 for update', [sku]);
  return {
    waiting: async () => {
      const { rows } = await client.query<{ n: number }>(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
      return rows[0].n;
    },
    release: async () => {
      await client.query('commit');
      await client.end();
    },
  };
}

export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Gave up after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether any process of the process group is still there. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Command lines of running processes that mention `text` (this test's process excluded). */
export function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n')
    .filter((line) => line.includes(text) && !line.trim().startsWith(`${process.pid} `));
}

/** The command line of the process listening on a loopback port, if `ss` can tell. */
export function portHolder(port: number): string | undefined {
  try {
    const line = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(line)?.[1];
    return pid ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') : line;
  } catch {
    return undefined;
  }
}
