/**
 * `npm run stack`: the production topology of docker-compose.yml on this machine, without Docker
 * (src/stack/stack.ts): the shop's PostgreSQL and Temporal's, Temporal's schemas set up by the
 * official SQL tool, the Temporal server (built from source at the version the file pins), the
 * namespace and search attributes, the migrations, two API processes, two worker processes, the
 * Temporal UI. Its data stays under .data/stack between runs, as compose's volumes do.
 *
 *   npm run stack [-- --scale worker=3 --scale api=2 --no-seed]
 *
 * Ctrl-C stops everything in the reverse order, and nothing is left running; a second Ctrl-C
 * stops every process at once.
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT, ProvisioningError } from '../temporal/binaries';
import { ComposeError } from '../stack/compose';
import { DEFAULT_SCALE, Stack, type RunningStack } from '../stack/stack';
import { StartError } from '../stack/supervisor';
import { redact } from './migrate';

const say = (line: string) => process.stdout.write(`[stack] ${line}\n`);
// tsx relays a terminal Ctrl-C again when our acknowledgement misses its window: a repeat this soon is the same press.
const REPEAT_SIGNAL_WINDOW_MS = 1000;

async function main(): Promise<void> {
  const args = parseArgs({ options: { scale: { type: 'string', multiple: true, default: [] }, 'no-seed': { type: 'boolean', default: false } } }).values;
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const dataDir = resolve(process.env.STACK_DATA_DIR || join(PROJECT_ROOT, '.data', 'stack'));
  const stack = new Stack({ dataDir, autoPorts: process.env.STACK_PORTS === 'auto', portBase: portBaseOf(process.env.STACK_PORT_BASE),
    scale: { ...DEFAULT_SCALE, ...scaleOf(args.scale ?? []) }, env, seed: !args['no-seed'], say });
  handleSignals(stack);
  say(`Starting the topology of docker-compose.yml (data in ${shortPath(dataDir)}, each process's output in ${shortPath(join(dataDir, 'logs'))}) ...`);
  try {
    printBanner(await stack.start());
  } catch (err) {
    const expected = err instanceof ComposeError || err instanceof ProvisioningError || err instanceof StartError;
    process.stderr.write(`\n[stack] Could not start: ${expected ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
    await stack.stop();
    process.exit(1);
  }
}

function portBaseOf(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  const base = Number(raw);
  if (!Number.isInteger(base) || base < 1024 || base > 32_700) throw new ComposeError(`STACK_PORT_BASE must be a port from 1024 to 32700, not "${raw}"`);
  return base;
}

function scaleOf(entries: string[]): Record<string, number> {
  return Object.fromEntries(entries.map((entry) => {
    const match = /^([a-z][\w-]*)=(\d+)$/.exec(entry);
    if (!match || Number(match[2]) < 1) throw new ComposeError(`--scale takes SERVICE=N with N >= 1, e.g. --scale worker=3; not "${entry}"`);
    return [match[1], Number(match[2])];
  }));
}

function handleSignals(stack: Stack): void {
  let firstAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstAt && Date.now() - firstAt < REPEAT_SIGNAL_WINDOW_MS) return;
    if (firstAt) {
      process.stderr.write('\n[stack] Second stop request: every process is told to stop now; not waiting.\n');
      process.exit(130);
    }
    firstAt = Date.now();
    say(`${signal} received: stopping everything, dependents first (Ctrl-C again to force) ...`);
    void stack.stop().then(() => {
      say('Everything stopped.');
      process.exit(0);
    });
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // However this process ends, no process of the stack outlives it.
  process.on('exit', () => stack.supervisor.signalAll('SIGTERM'));
}

function printBanner(s: RunningStack): void {
  const key = `${s.staffKey.key}\n                   (an admin's: send "Authorization: Bearer <key>" to staff routes; `
    + `STAFF_KEY_FILE=${shortPath(s.staffKey.file)} for npm run support and npm run staff)`;
  const rows = [
    ...s.api.map((url, i) => [`API ${i + 1}`, url]),
    ['OpenAPI', `${s.api[0]}/openapi.json`],
    ['Temporal UI', s.temporalUi],
    ['Temporal gRPC', `${s.temporalAddress} (namespace ${s.namespace})`],
    ['PostgreSQL', s.databaseUrl],
    ['Temporal DB', redact(s.temporalDatabaseUrl)],
    ...s.workerMetrics.map((url, i) => [`Worker ${i + 1}`, url]),
    ['Staff key', key],
    ['Processes', `${s.processes().filter((p) => p.running).length} running; logs in ${shortPath(join(s.dataDir, 'logs'))}, pids in ${shortPath(s.stateFile)}`],
    ['Versions', `Temporal server ${s.versions.server}, UI ${s.versions.ui}; ${s.versions.postgres}`],
  ];
  process.stdout.write(['', '  The production topology (docker-compose.yml) is running.', '',
    ...rows.map(([label, value]) => `  ${label.padEnd(16)} ${value}`), '', '  Ctrl-C stops everything.', '', ''].join('\n'));
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

main().catch((err: unknown) => {
  process.stderr.write(`[stack] ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
