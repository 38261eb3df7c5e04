/**
 * moto's server mode: a local peer speaking the S3 protocol, against which the S3 image storage
 * (src/integrations/image-storage.ts) is tested with the real @aws-sdk/client-s3, as Stripe is
 * tested against stripe-mock. Provisioned like the project's other tools: MOTO_SERVER_PATH, else
 * `npm run provision` installs it from the hash-pinned wheels in tools/moto-wheels.txt (about 30 s;
 * src/integrations/python-tool.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { pythonTool, type ResolvedPythonTool } from './python-tool';

export const MOTO_VERSION = '5.2.5';

export type ResolvedMoto = ResolvedPythonTool;

const moto = pythonTool({ label: `moto ${MOTO_VERSION} (the S3 peer of the image storage tests)`, venv: `moto-${MOTO_VERSION}`,
  bin: 'moto_server', wheels: 'moto-wheels.txt', envVar: 'MOTO_SERVER_PATH' });

export const findMotoServer = moto.find;
export const requireMotoServer = moto.require;
export const provisionMotoServer = moto.provision;

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
