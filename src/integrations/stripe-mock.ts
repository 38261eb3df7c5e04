/**
 * stripe-mock, Stripe's own mock server: it serves the real Stripe API (routes, parameter
 * validation from Stripe's OpenAPI spec, fixture responses), so the Stripe adapter is tested
 * against the protocol peer it talks to in production. Provisioned like the Temporal binaries
 * (src/temporal/binaries.ts): STRIPE_MOCK_PATH, else a cached copy under .tools/, else
 * `go install` (about 40 s on 2 cores; the Go module proxy is reachable where GitHub is not).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProvisioningError, TOOLS_DIR } from '../temporal/binaries';

export const STRIPE_MOCK_VERSION = 'v0.203.0';
export const CACHED_STRIPE_MOCK = join(TOOLS_DIR, `stripe-mock-${STRIPE_MOCK_VERSION}`, 'stripe-mock');

export interface ResolvedStripeMock {
  path: string;
  source: 'environment' | 'cache' | 'go';
}

/** Finds an installed stripe-mock without installing anything. */
export function findStripeMock(): ResolvedStripeMock | undefined {
  const fromEnv = process.env.STRIPE_MOCK_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ProvisioningError(`STRIPE_MOCK_PATH is set to ${fromEnv}, but no file is there. Fix the path or unset it.`);
    return { path: fromEnv, source: 'environment' };
  }
  return existsSync(CACHED_STRIPE_MOCK) ? { path: CACHED_STRIPE_MOCK, source: 'cache' } : undefined;
}

export function requireStripeMock(): ResolvedStripeMock {
  const found = findStripeMock();
  if (found) return found;
  throw new ProvisioningError('stripe-mock is not installed: run `npm run provision` (needs Go), or set STRIPE_MOCK_PATH to a stripe-mock binary.');
}

/** Makes stripe-mock available; idempotent, instant when cached. Undefined (with a log line saying why) when it cannot. */
export function provisionStripeMock(log: (line: string) => void): ResolvedStripeMock | undefined {
  const found = findStripeMock();
  if (found) return found;
  if (spawnSync('go', ['version'], { stdio: 'ignore' }).status !== 0) {
    log('Go is not available, so stripe-mock (for the Stripe adapter tests) cannot be built. Install Go, or set STRIPE_MOCK_PATH.');
    return undefined;
  }
  log(`Building stripe-mock ${STRIPE_MOCK_VERSION} with go install; this takes about 40 s on 2 cores ...`);
  const gobin = join(CACHED_STRIPE_MOCK, '..');
  mkdirSync(gobin, { recursive: true });
  const result = spawnSync('go', ['install', `github.com/stripe/stripe-mock@${STRIPE_MOCK_VERSION}`], {
    encoding: 'utf8', env: { ...process.env, GOBIN: gobin }, maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0 || !existsSync(CACHED_STRIPE_MOCK)) {
    log(`go install of stripe-mock failed:\n${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`);
    return undefined;
  }
  log(`Installed ${CACHED_STRIPE_MOCK}`);
  return { path: CACHED_STRIPE_MOCK, source: 'go' };
}

export interface RunningStripeMock {
  /** e.g. http://127.0.0.1:41851: what STRIPE_API_BASE takes. */
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

/**
 * Starts stripe-mock on loopback ports the system picks (read back from its own start-up line), so
 * parallel test files never collide. Both listeners get an explicit address: left alone, the
 * HTTPS one binds every interface on the fixed port 12112.
 */
export async function startStripeMock(executable: string): Promise<RunningStripeMock> {
  const child = spawn(executable, ['-http-addr', '127.0.0.1:0', '-https-addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`stripe-mock did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}; its output:\n${output.join('\n')}`));
    };
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        output.push(line);
        const match = /Listening for HTTP at address: (\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(`http://${match[1]}`);
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`stripe-mock exited with code ${code} while starting`)));
  });
  return {
    url,
    process: child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
