/**
 * Runs the Temporal dev server (`temporal server start-dev`) as a child process, for `npm run dev`
 * and the test harness. Its SQLite file runs in WAL mode with synchronous=NORMAL: measured on a
 * 2-core machine, the default pragmas made workflows 3.4x slower (4.9 vs 16.9 workflows/s).
 *
 * The dev server runs one history shard, and each shard's transfer queue (which hands a workflow
 * task or a child start to matching) polls at most 20 times a second by default: a cap meant for
 * clusters of hundreds of shards. With one shard it makes every hop between a workflow and its
 * worker wait ~35 ms for the next poll. Measured on a 2-core machine, a workflow of 5 activities
 * run one at a time: 295 ms with the default, 80 ms with the cap lifted (task wait 33 ms -> 2 ms).
 * The visibility queue (search attributes, so `support find` sees an order) has the same cap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../contracts/temporal';

export interface DevServerOptions {
  executable: string;
  dbFile?: string;
  port?: number;
  uiPort?: number;
  /** No Web UI (tests). */
  headless?: boolean;
  /** The codec endpoint the Web UI decodes payloads through (our API's /codec), so staff read orders in plain text. */
  uiCodecEndpoint?: string;
  /** Dynamic-config values on top of DEV_SERVER_DYNAMIC_CONFIG (benchmark experiments). */
  dynamicConfig?: Record<string, number | string | boolean>;
  onOutput?: (line: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Per-shard queue poll caps lifted for a one-shard server (see above); each is a server dynamic-config key. */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, number> = {
  'history.transferProcessorMaxPollRPS': 1000,
  'history.visibilityProcessorMaxPollRPS': 1000,
};

const SA_TYPE_NAMES: Record<string, string> = { KEYWORD: 'Keyword', INT: 'Int', TEXT: 'Text', DATETIME: 'Datetime', BOOL: 'Bool', DOUBLE: 'Double', KEYWORD_LIST: 'KeywordList' };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'warn',
    '--http-port', String(await freePort()), '--metrics-port', String(await freePort())];
  if (opts.dbFile) {
    args.push('--db-filename', opts.dbFile, '--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL');
  }
  if (opts.headless) args.push('--headless');
  else args.push('--ui-ip', '127.0.0.1', '--ui-port', String(opts.uiPort ?? port + 1000), '--ui-disable-news-fetch');
  if (!opts.headless && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
  for (const [key, value] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...opts.dynamicConfig })) args.push('--dynamic-config-value', `${key}=${value}`);
  for (const key of SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${SA_TYPE_NAMES[key.type] ?? key.type}`);

  const child = spawn(opts.executable, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean)) {
      output.push(line);
      if (output.length > 50) output.shift();
      opts.onOutput?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const address = `127.0.0.1:${port}`;
  await waitUntilServing(address, child, output);
  return {
    address,
    uiUrl: opts.headless ? undefined : `http://127.0.0.1:${opts.uiPort ?? port + 1000}`,
    process: child,
    stop: () => stopChild(child),
  };
}

async function waitUntilServing(address: string, child: ChildProcess, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`The Temporal dev server exited with code ${child.exitCode} while starting:\n${output.join('\n')}`);
    }
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await conn.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await conn.close();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`The Temporal dev server did not answer on ${address} within 60 s:\n${output.join('\n')}`);
}

export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
