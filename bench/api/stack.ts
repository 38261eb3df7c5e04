/**
 * What the benchmark starts, and how it is always taken down again: a throw-away embedded
 * PostgreSQL in a temp directory and the API in a child process, both on 127.0.0.1. `stop()` is
 * idempotent and bounded in time; a last synchronous pass on process exit kills whatever is left
 * (by pid) and deletes the temp directory, so Ctrl-C or a crash leaves nothing behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddedDatabase } from '../../src/db/embedded';
import { benchTempDir, startBenchPostgres } from '../lib/postgres';
import { BENCH_SECRETS } from '../lib/secrets';
import { freePort } from '../../src/temporal/dev-server';

const SERVER_START_TIMEOUT_MS = 30_000;
/** A stop that takes longer than this has hung; the exit pass kills by pid instead. */
const STOP_TIMEOUT_MS = 8_000;

export class BenchStack {
  readonly dir: string;
  db?: EmbeddedDatabase;
  /** Every API process started, oldest first (bench/accounts runs two side by side). */
  readonly apis: { url: string; child: ChildProcess }[] = [];
  private stopping?: Promise<void>;

  /** The first API started. */
  get api(): { url: string; child: ChildProcess } | undefined {
    return this.apis[0];
  }

  constructor() {
    this.dir = benchTempDir('commerce-bench-');
    process.on('exit', () => this.killLeftovers());
  }

  get pgDataDir(): string {
    return join(this.dir, 'pg');
  }

  /** `keepFiles`: its stop leaves the data directory (still deleted with the temp directory at the end); `logFile` gets PostgreSQL's log. */
  async startPostgres(keepFiles = false, settings?: Record<string, string>, logFile?: string): Promise<EmbeddedDatabase> {
    this.db = await startBenchPostgres(this.pgDataDir, { persistent: keepFiles, settings, logFile });
    return this.db;
  }

  /**
   * Runs bench/api/server.ts under tsx in its own Node process and waits until it listens; `tree`,
   * another checkout of the project, runs that checkout's server instead (a baseline measured side by side).
   */
  async startApi(databaseUrl: string, env: Record<string, string> = {}, tree?: string, nodeFlags?: string[]): Promise<string> {
    const port = await freePort();
    // BENCH_API_CPU_PROF=<dir>: a V8 CPU profile of the API process, written when it stops (open it in Chrome DevTools).
    const profile = process.env.BENCH_API_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_API_CPU_PROF}`] : [];
    // BENCH_API_NODE_FLAGS='--max-semi-space-size=32': Node/V8 flags for the API process alone (GC experiments).
    const flags = nodeFlags ?? (process.env.BENCH_API_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    // BENCH_API_HEAP_PROFILE=<dir>: a sampling heap profile of the API process, written when it stops (bench/api/heap-profile.ts).
    const heap = process.env.BENCH_API_HEAP_PROFILE ? ['--import', join(__dirname, 'heap-profile.ts')] : [];
    const child = spawn(process.execPath, [...profile, ...flags, '--import', 'tsx', ...heap, tree ? join(tree, 'bench/api/server.ts') : join(__dirname, 'server.ts')], {
      // The secrets a production configuration requires, made for this run (bench/lib/secrets.ts).
      env: { ...process.env, ...BENCH_SECRETS, ...env, LOG_LEVEL: 'silent', NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'true', BENCH_DATABASE_URL: databaseUrl, BENCH_PORT: String(port) },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    // Once we stop things, PostgreSQL may close the API's connections first: that noise is expected.
    child.stderr?.on('data', (chunk: Buffer) => { if (!this.stopping) process.stderr.write(chunk); });
    const url = `http://127.0.0.1:${port}`;
    this.apis.push({ url, child });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the API did not listen within ${SERVER_START_TIMEOUT_MS} ms`)), SERVER_START_TIMEOUT_MS);
      child.once('message', () => { clearTimeout(timer); resolve(); });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the API process exited with code ${code} while starting`)); });
    });
    child.removeAllListeners('exit');
    child.on('exit', (code, signal) => {
      if (!this.stopping) console.error(`[bench] the API process died unexpectedly (code ${code}, signal ${signal})`);
    });
    return url;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(this.apis.map((api) => this.stopApi(api.child)));
      if (this.db) await withTimeout(this.db.stop(), STOP_TIMEOUT_MS, 'PostgreSQL stop').catch((err: Error) => console.error(`[bench] ${err.message}; killing it`));
      this.killLeftovers();
    })();
    return this.stopping;
  }

  private async stopApi(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await withTimeout(exited, STOP_TIMEOUT_MS, 'API stop').catch(() => child.kill('SIGKILL'));
  }

  /** Synchronous, so it also works inside process.on('exit'). */
  private killLeftovers(): void {
    for (const { child } of this.apis) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pidFile = join(this.pgDataDir, 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      // SIGQUIT: PostgreSQL's immediate shutdown; the files are thrown away anyway.
      if (pid > 0) try { process.kill(pid, 'SIGQUIT'); } catch { /* already gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms); });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
