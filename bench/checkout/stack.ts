/**
 * Everything the checkout benchmark starts, and how it is always taken down again, all on
 * 127.0.0.1: a throw-away embedded PostgreSQL and a Temporal dev server (SQLite file in WAL mode)
 * in one temp directory, and the API and the workers in child processes of their own, so the load
 * generator never shares their event loop. `stop()` is idempotent and bounded in time; a last
 * synchronous pass on process exit kills whatever is left by pid and deletes the temp directory,
 * so Ctrl-C, a crash or the deadline leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddedDatabase } from '../../src/db/embedded';
import { benchTempDir, startBenchPostgres } from '../lib/postgres';
import { BENCH_SECRETS } from '../lib/secrets';
import { requireTool } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';

const CHILD_START_TIMEOUT_MS = 90_000; // the worker bundles two sets of workflows with webpack first
/** A stop that takes longer than this has hung; the exit pass kills by pid instead. */
const STOP_TIMEOUT_MS = 12_000;

export interface Child { name: string; process: ChildProcess; ready: Record<string, unknown> }

export class CheckoutBenchStack {
  readonly dir: string;
  db?: EmbeddedDatabase;
  temporal?: DevServer;
  readonly children: Child[] = [];
  private stopping?: Promise<void>;

  constructor() {
    this.dir = benchTempDir('commerce-bench-checkout-');
    process.on('exit', () => this.killLeftovers());
  }

  get pgDataDir(): string {
    return join(this.dir, 'pg');
  }

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  async startPostgres(settings?: Record<string, string>): Promise<EmbeddedDatabase> {
    this.db = await startBenchPostgres(this.pgDataDir, { settings });
    return this.db;
  }

  /**
   * The dev server on a SQLite file: startDevServer adds journal_mode=WAL and synchronous=NORMAL for a
   * dbFile. `inMemory` (BENCH_TEMPORAL_DB=memory, experiments only) runs it without a file;
   * `dynamicConfig` (BENCH_TEMPORAL_DYNAMIC_CONFIG, experiments only) overrides server settings.
   */
  async startTemporal(inMemory = false, dynamicConfig?: Record<string, number | string | boolean>): Promise<DevServer> {
    this.temporal = await startDevServer({ executable: requireTool('cli').path, dbFile: inMemory ? undefined : join(this.dir, 'temporal.sqlite'),
      headless: true, dynamicConfig });
    return this.temporal;
  }

  /** Runs a bench/checkout script under tsx in its own Node process; resolves with its `ready` message. */
  async startChild(name: string, script: string, env: Record<string, string>): Promise<Child> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, script)], {
      env: { ...process.env, NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'true', ...BENCH_SECRETS, ...env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // Once we stop things, a child may see its connections close first: that noise is expected.
    child.stderr?.on('data', (chunk: Buffer) => { if (!this.stopping) process.stderr.write(chunk); });
    const entry: Child = { name, process: child, ready: {} };
    this.children.push(entry);
    entry.ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} was not ready within ${CHILD_START_TIMEOUT_MS / 1000} s`)), CHILD_START_TIMEOUT_MS);
      child.once('message', (msg) => { clearTimeout(timer); resolve(msg as Record<string, unknown>); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with code ${code} while starting`)); });
    });
    child.removeAllListeners('exit');
    child.on('exit', (code, signal) => {
      if (!this.stopping) console.error(`[bench] ${name} died unexpectedly (code ${code}, signal ${signal})`);
    });
    return entry;
  }

  /** Children first (the API, then the workers drain), then Temporal, then PostgreSQL. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const child of [...this.children].reverse()) await stopChild(child.process);
      if (this.temporal) await withTimeout(this.temporal.stop(), STOP_TIMEOUT_MS, 'Temporal stop').catch((err: Error) => console.error(`[bench] ${err.message}`));
      if (this.db) await withTimeout(this.db.stop(), STOP_TIMEOUT_MS, 'PostgreSQL stop').catch((err: Error) => console.error(`[bench] ${err.message}; killing it`));
      this.killLeftovers();
    })();
    return this.stopping;
  }

  /** Synchronous, so it also works inside process.on('exit'). */
  private killLeftovers(): void {
    for (const { process: child } of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const server = this.temporal?.process;
    if (server && server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
    const pidFile = join(this.pgDataDir, 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      // SIGQUIT: PostgreSQL's immediate shutdown; the files are thrown away anyway.
      if (pid > 0) try { process.kill(pid, 'SIGQUIT'); } catch { /* already gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await withTimeout(exited, STOP_TIMEOUT_MS, 'child stop').catch(() => child.kill('SIGKILL'));
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
