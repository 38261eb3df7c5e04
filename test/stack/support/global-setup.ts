/**
 * Starts the production topology once for `npm run test:stack`, exactly as a developer does: `npm run
 * stack`, in a process group of its own (so the last test can send the Ctrl-C a terminal sends), on
 * free ports (STACK_PORTS=auto) and a temporary data directory. Its printed output goes to a file the
 * tests read; where everything is comes from the stack's state file. The first run on a machine
 * builds the Temporal server and UI with Go (about 5 minutes on 2 cores); later runs find them cached.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CARRIER_SECRET } from './stack';

const ROOT = resolve(__dirname, '..', '..', '..');
/** A cold machine builds Go binaries and dist/ first; a warm one is up in under a minute. */
const START_TIMEOUT_MS = 15 * 60_000;

export default async function globalSetup(): Promise<void> {
  const started = Date.now();
  const dataDir = mkdtempSync(join(tmpdir(), 'commerce-stack-test-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own system user when the tests run as root
  const outputFile = join(dataDir, 'stack-output.log');
  const output = openSync(outputFile, 'a');
  const child = spawn('npm', ['run', 'stack', '--silent'], {
    cwd: ROOT,
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ['ignore', output, output],
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME,
      ...(process.env.TEMPORAL_CLI_PATH ? { TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH } : {}),
      ...(process.env.GOCACHE ? { GOCACHE: process.env.GOCACHE } : {}), ...(process.env.GOMODCACHE ? { GOMODCACHE: process.env.GOMODCACHE } : {}),
      STACK_DATA_DIR: dataDir, STACK_PORTS: 'auto',
      // What an operator would put in .env: the carrier's webhook secret; and, since every request of these tests comes
      // from 127.0.0.1, per-address abuse limits far above what the failure tests place in seconds (still counted).
      CARRIER_WEBHOOK_SECRET: CARRIER_SECRET,
      RATE_LIMIT_CARTS_PER_IP: '1000000/1h', RATE_LIMIT_CHECKOUTS_PER_IP: '1000000/1h', RATE_LIMIT_DECLINES_PER_IP: '1000000/1h',
    },
  });
  Object.assign(process.env, { STACK_TEST_DATA_DIR: dataDir, STACK_TEST_PGID: String(child.pid), STACK_TEST_OUTPUT: outputFile });
  (globalThis as Record<string, unknown>).__STACK__ = { pgid: child.pid, dataDir };
  let exited = false;
  child.once('exit', () => { exited = true; });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!readFileSync(outputFile, 'utf8').includes('Ctrl-C stops everything.')) {
    if (exited || Date.now() > deadline) {
      throw new Error(`npm run stack ${exited ? 'exited' : `was not up within ${START_TIMEOUT_MS / 60_000} minutes`}:\n${readFileSync(outputFile, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!existsSync(join(dataDir, 'stack.json'))) throw new Error('npm run stack printed its banner but wrote no stack.json');
  process.stdout.write(`\n[stack] npm run stack up in ${((Date.now() - started) / 1000).toFixed(0)} s (data in ${dataDir})\n`);
}
