/**
 * Runs the stack's processes the way Docker runs containers: each in a process group of its own
 * (a terminal's Ctrl-C reaches only the stack, which then stops them in order), its output appended
 * to a log file of its own, restarted by its compose `restart` policy when it exits on its own
 * (Docker's back-off: 100 ms, doubling, at most a minute, reset after 10 s of running), and stopped
 * with SIGTERM, then SIGKILL after its `stop_grace_period`. A process is addressed by its name
 * (`api-1`, `worker-2`, `temporal`); `onChange` hears of every start, so the state file stays true.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type RestartPolicy = 'no' | 'always' | 'unless-stopped' | 'on-failure';

export interface ProcessSpec {
  name: string;
  /** The compose service it stands for. */
  service: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  restart: RestartPolicy;
  stopGraceMs: number;
  /** Its health check; without one, started means ready. */
  ready?: () => Promise<boolean>;
}

export interface ProcessState { name: string; service: string; pid?: number; log: string; restarts: number; running: boolean }

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 60_000;
const BACKOFF_RESET_AFTER_MS = 10_000;
const READY_POLL_MS = 250;

export class StartError extends Error {}

class Supervised {
  child?: ChildProcess;
  startedAt = 0;
  restarts = 0;
  backoffMs = FIRST_BACKOFF_MS;
  stopping = false;
  restartTimer?: NodeJS.Timeout;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: 0, signal: null });

  constructor(readonly spec: ProcessSpec, readonly log: string) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
}

export class Supervisor {
  private readonly procs = new Map<string, Supervised>();
  private closed = false;

  constructor(private readonly logDir: string, private readonly say: (line: string) => void, private readonly onChange: () => void = () => undefined) {
    mkdirSync(logDir, { recursive: true });
  }

  /** Starts a long-running process and resolves once its health check passes; it is restarted by its policy from then on. */
  async start(spec: ProcessSpec, readyTimeoutMs: number): Promise<void> {
    const proc = this.add(spec);
    this.launch(proc);
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (proc.stopping) throw new StartError(`${spec.name}: stopped while starting`);
      if (!proc.running && proc.spec.restart === 'no') throw this.failure(proc, 'exited while starting');
      if (proc.running && (!spec.ready || (await spec.ready().catch(() => false)))) return;
      if (Date.now() > deadline) throw this.failure(proc, `not ready within ${readyTimeoutMs / 1000} s`);
      await sleep(READY_POLL_MS);
    }
  }

  /** Runs a one-shot to completion; rejects with the end of its log unless it exits 0. */
  async runOnce(spec: ProcessSpec, timeoutMs: number): Promise<void> {
    const proc = this.add({ ...spec, restart: 'no' });
    this.launch(proc);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((done) => { timer = setTimeout(() => done('timeout'), timeoutMs); });
    const result = await Promise.race([proc.exited, timeout]).finally(() => clearTimeout(timer));
    if (result === 'timeout') {
      await this.stop(spec.name);
      throw this.failure(proc, `did not finish within ${timeoutMs / 1000} s`);
    }
    if (result.code !== 0) throw this.failure(proc, `exited with ${result.signal ?? `code ${result.code}`}`);
  }

  /** SIGTERM to its group, SIGKILL after its grace period; it is not restarted. */
  async stop(name: string): Promise<void> {
    const proc = this.procs.get(name);
    if (!proc) return;
    proc.stopping = true;
    clearTimeout(proc.restartTimer);
    if (!proc.running) return;
    signalGroup(proc.child!, 'SIGTERM');
    const killed = setTimeout(() => signalGroup(proc.child!, 'SIGKILL'), proc.spec.stopGraceMs);
    await proc.exited;
    clearTimeout(killed);
    // Whatever the process started and left behind in its group (PostgreSQL's postmaster, say) goes too.
    signalGroup(proc.child!, 'SIGKILL');
  }

  states(): ProcessState[] {
    return [...this.procs.values()].map((p) => ({ name: p.spec.name, service: p.spec.service, pid: p.child?.pid, log: p.log,
      restarts: p.restarts, running: p.running }));
  }

  /** The last lines a process wrote. */
  tail(name: string, lines = 30): string {
    const proc = this.procs.get(name);
    if (!proc) return '';
    try {
      return readFileSync(proc.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Synchronous, for process.on('exit'): every group still running is told to stop; none is waited for. */
  signalAll(signal: NodeJS.Signals): void {
    for (const proc of this.procs.values()) {
      proc.stopping = true;
      clearTimeout(proc.restartTimer);
      if (proc.running) signalGroup(proc.child!, signal);
    }
  }

  /** From now on nothing new starts (the stack is stopping). */
  close(): void {
    this.closed = true;
  }

  private add(spec: ProcessSpec): Supervised {
    if (this.closed) throw new StartError(`${spec.name}: not started, the stack is stopping`);
    if (this.procs.has(spec.name)) throw new Error(`${spec.name} is already supervised`);
    const proc = new Supervised(spec, join(this.logDir, `${spec.name}.log`));
    this.procs.set(spec.name, proc);
    return proc;
  }

  private launch(proc: Supervised): void {
    const { spec } = proc;
    appendFileSync(proc.log, `\n=== ${new Date().toISOString()} ${spec.command} ${spec.args.join(' ')}\n`);
    const out = openSync(proc.log, 'a');
    // detached: a group of its own, so a Ctrl-C in the terminal reaches the stack alone and it decides the order.
    const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env, detached: true, stdio: ['ignore', out, out] });
    closeSync(out);
    proc.child = child;
    proc.startedAt = Date.now();
    proc.exited = new Promise((done) => {
      child.once('error', (err) => {
        appendFileSync(proc.log, `could not start: ${err.message}\n`);
        done({ code: 127, signal: null });
      });
      child.once('exit', (code, signal) => done({ code, signal }));
    });
    void proc.exited.then((how) => this.exitedOnItsOwn(proc, child, how));
    this.onChange();
  }

  private exitedOnItsOwn(proc: Supervised, child: ChildProcess, how: { code: number | null; signal: NodeJS.Signals | null }): void {
    if (proc.stopping || proc.child !== child) return;
    const { restart } = proc.spec;
    const again = restart === 'always' || restart === 'unless-stopped' || (restart === 'on-failure' && how.code !== 0);
    if (!again) {
      this.onChange();
      return;
    }
    if (Date.now() - proc.startedAt >= BACKOFF_RESET_AFTER_MS) proc.backoffMs = FIRST_BACKOFF_MS;
    const wait = proc.backoffMs;
    proc.backoffMs = Math.min(MAX_BACKOFF_MS, proc.backoffMs * 2);
    this.say(`${proc.spec.name} exited (${how.signal ?? `code ${how.code}`}); restarting it in ${wait < 1000 ? `${wait} ms` : `${wait / 1000} s`} `
      + `(restart: ${restart}; its log: ${proc.log})`);
    proc.restartTimer = setTimeout(() => {
      if (proc.stopping) return;
      proc.restarts += 1;
      this.launch(proc);
    }, wait);
  }

  private failure(proc: Supervised, what: string): StartError {
    return new StartError(`${proc.spec.name} ${what}. The end of its log (${proc.log}):\n${this.tail(proc.spec.name)}`);
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (!child.pid) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
