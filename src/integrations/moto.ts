/**
 * moto's server mode: a local peer speaking the S3 protocol, against which the S3 image storage
 * (src/integrations/image-storage.ts) is tested with the real @aws-sdk/client-s3, as Stripe is
 * tested against stripe-mock. Provisioned like the project's other tools: MOTO_SERVER_PATH, else a
 * virtual environment cached under .tools/, else `npm run provision` builds one from the pinned,
 * hash-checked wheels in tools/moto-wheels.txt (about 30 s; needs Python 3 with venv and pip).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT, ProvisioningError, TOOLS_DIR } from '../temporal/binaries';

export const MOTO_VERSION = '5.2.5';
const VENV = join(TOOLS_DIR, `moto-${MOTO_VERSION}`);
const CACHED = join(VENV, 'bin', 'moto_server');

export interface ResolvedMoto { path: string; source: 'environment' | 'cache' | 'pip' }

export function findMotoServer(): ResolvedMoto | undefined {
  const fromEnv = process.env.MOTO_SERVER_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new ProvisioningError(`MOTO_SERVER_PATH is set to ${fromEnv}, but no file is there. Fix the path or unset it.`);
    return { path: fromEnv, source: 'environment' };
  }
  return existsSync(CACHED) ? { path: CACHED, source: 'cache' } : undefined;
}

export function requireMotoServer(): ResolvedMoto {
  const found = findMotoServer();
  if (found) return found;
  throw new ProvisioningError('moto_server is not installed: run `npm run provision` (needs Python 3 with venv and pip), or set MOTO_SERVER_PATH.');
}

/** Makes moto_server available; idempotent, instant when cached. Undefined (with a log line saying why) when it cannot. */
export function provisionMotoServer(log: (line: string) => void): ResolvedMoto | undefined {
  const found = findMotoServer();
  if (found) return found;
  log(`Installing moto ${MOTO_VERSION} (the S3 peer of the image storage tests) from tools/moto-wheels.txt into ${VENV} ...`);
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', VENV]],
    [join(VENV, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--require-hashes',
      '--only-binary=:all:', '-r', join(PROJECT_ROOT, 'tools', 'moto-wheels.txt')]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) {
      log(`${cmd} ${args.slice(0, 3).join(' ')} failed:\n${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`);
      rmSync(VENV, { recursive: true, force: true });
      return undefined;
    }
  }
  log(`Installed ${CACHED}`);
  return { path: CACHED, source: 'pip' };
}

export interface RunningMoto {
  /** e.g. http://127.0.0.1:41851: what S3_ENDPOINT takes. */
  url: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMotoServer(executable: string, port: number): Promise<RunningMoto> {
  const child: ChildProcess = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (c: Buffer) => output.push(c.toString()));
  child.stderr?.on('data', (c: Buffer) => output.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = () => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode} while starting:\n${output.join('')}`);
    const up = await fetch(`${url}/moto-api/`).then(() => true, () => false);
    if (up) return { url, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`moto_server did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s:\n${output.join('')}`);
}
