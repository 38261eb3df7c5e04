/**
 * How each docker-compose.yml service becomes a process on this machine. The file decides what
 * runs and with what: the commands, entrypoints, environment, volumes, health checks, restart
 * policies and grace periods are read from it; this module only knows what each image is and what
 * a container has that a process does not:
 *
 *   image                        runs here as
 *   postgres                     an embedded PostgreSQL 18 (src/stack/postgres-process.ts), its data under volumes/<volume>
 *   temporalio/admin-tools       the service's entrypoint script, with temporal-sql-tool, the schemas and the `temporal` CLI
 *   temporalio/server            temporal-server start, configured from the environment as the image is (its embedded template)
 *   temporalio/ui                ui-server with the image's config/docker.yaml
 *   build: . (this project)      the service's command (`node dist/...`) with the Dockerfile's ENV
 *
 * and what the network changes: every address becomes 127.0.0.1 and every container port a port of
 * its own on the host (a service's hostname in a URL, `host:port` or a *_HOST / *_SEEDS variable;
 * the port variables beside them; 0.0.0.0 binds to 127.0.0.1 only). A service, image or health
 * check this module does not know stops the stack with a message saying so.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { databaseAnswers } from '../db/admin';
import { PROJECT_ROOT } from '../temporal/binaries';
import { composeDurationMs, ComposeError, imageEnv, parsePortEntry, type ComposeFile, type ComposeService } from './compose';
import type { StackBinaries } from './binaries';
import type { ProcessSpec, RestartPolicy } from './supervisor';

export type ImageKind = 'postgres' | 'admin-tools' | 'temporal-server' | 'temporal-ui' | 'app';

/** What the images have inside that compose does not say: their working directory and the ports they listen on. */
const IMAGE_WORKDIR: Record<ImageKind, string> = {
  postgres: '/', 'admin-tools': '/', 'temporal-server': '/etc/temporal', 'temporal-ui': '/home/ui-server', app: '/app',
};
const POSTGRES_PORT = 5432;
/** The server image's own ports beside its frontend gRPC (the defaults of its embedded config template), by the variable that moves each. */
const TEMPORAL_SERVER_PORTS: Record<string, number> = {
  FRONTEND_GRPC_PORT: 7233, FRONTEND_HTTP_PORT: 7243, FRONTEND_MEMBERSHIP_PORT: 6933, HISTORY_GRPC_PORT: 7234, HISTORY_MEMBERSHIP_PORT: 6934,
  MATCHING_GRPC_PORT: 7235, MATCHING_MEMBERSHIP_PORT: 6935, WORKER_GRPC_PORT: 7239, WORKER_MEMBERSHIP_PORT: 6939,
};
const UI_PORT = { TEMPORAL_UI_PORT: 8080 };

export function imageKind(name: string, service: ComposeService): ImageKind {
  if (service.build !== undefined) return 'app';
  const repo = (service.image ?? '').replace(/:[^:/]+$/, '');
  const kinds: Record<string, ImageKind> = { postgres: 'postgres', 'temporalio/admin-tools': 'admin-tools', 'temporalio/server': 'temporal-server',
    'temporalio/ui': 'temporal-ui' };
  const kind = kinds[repo];
  if (!kind) throw new ComposeError(`service ${name}: the stack does not know how to run image ${service.image ?? '(none)'} without Docker (src/stack/services.ts)`);
  return kind;
}

/** Every port a service's container listens on. */
export function containerPorts(name: string, service: ComposeService): number[] {
  const kind = imageKind(name, service);
  const own = [...(service.ports ?? []).map((p) => parsePortEntry(p).containerPort), ...(service.expose ?? []).map(Number)];
  if (kind === 'postgres') own.push(POSTGRES_PORT);
  if (kind === 'temporal-server') own.push(...Object.values(TEMPORAL_SERVER_PORTS));
  if (kind === 'temporal-ui') own.push(...Object.values(UI_PORT));
  return [...new Set(own)];
}

/** Where each replica's container ports are on this machine: `<service>#<replica>:<port>` → local port. */
export type PortMap = Map<string, number>;
export const portKey = (service: string, replica: number, port: number) => `${service}#${replica}:${port}`;

export interface ServiceContext {
  compose: ComposeFile;
  ports: PortMap;
  binaries: StackBinaries;
  temporalCli: string;
  dataDir: string;
  /** The shell environment: compose's env_file stands for it in the application's containers. */
  shellEnv: Record<string, string>;
  /** What the stack gives the application's processes unless the shell says otherwise (as a trial's .env would). */
  appDefaults: Record<string, string>;
}

export interface PlannedProcess extends ProcessSpec {
  oneShot: boolean;
  replica: number;
}

/** The processes of one service, one per replica. */
export function planService(name: string, replicas: number, ctx: ServiceContext): PlannedProcess[] {
  const service = ctx.compose.services[name];
  const kind = imageKind(name, service);
  const restart = (service.restart ?? 'no') as RestartPolicy;
  return Array.from({ length: replicas }, (_, i) => {
    const replica = i + 1;
    const env = localEnvironment(name, replica, service.environment ?? {}, ctx);
    const base = { service: name, replica, restart, oneShot: restart === 'no', stopGraceMs: composeDurationMs(service.stop_grace_period, 10_000),
      name: replicas > 1 ? `${name}-${replica}` : name };
    const run = runAs(kind, name, replica, service, env, ctx);
    return { ...base, ...run, ready: healthCheck(kind, name, replica, service, env, ctx) };
  });
}

function runAs(kind: ImageKind, name: string, replica: number, service: ComposeService, env: Record<string, string>, ctx: ServiceContext)
  : Pick<ProcessSpec, 'command' | 'args' | 'cwd' | 'env'> {
  // What every process needs from the shell (not configuration: where programs and the home directory are).
  const { PATH = '', HOME = '' } = process.env;
  const system = { PATH, HOME };
  const mounts = hostMounts(service, kind, ctx.dataDir);
  const runDir = join(ctx.dataDir, 'run', name);
  switch (kind) {
    case 'postgres': {
      const volume = (service.volumes ?? []).map((v) => v.split(':')).find(([, target]) => target === '/var/lib/postgresql/data');
      const dataDir = join(ctx.dataDir, 'volumes', volume && !isHostPath(volume[0]) ? volume[0] : name);
      const initScripts = mounts.filter((m) => m.target.startsWith('/docker-entrypoint-initdb.d/')).map((m) => m.source);
      return { command: process.execPath, args: ['--import', 'tsx', join(__dirname, 'postgres-process.ts'), dataDir,
        String(local(ctx, name, replica, POSTGRES_PORT)), ...initScripts], cwd: PROJECT_ROOT, env: { ...system, ...env } };
    }
    case 'admin-tools': {
      const [command, ...args] = (service.entrypoint ?? service.command ?? []).map((a) => inImage(a, mounts, kind));
      // The image's /usr/local/bin: temporal-sql-tool and the `temporal` CLI; its /etc/temporal/schema.
      const path = [dirname(ctx.binaries.sqlTool), dirname(ctx.temporalCli), system.PATH].join(delimiter);
      return { command, args, cwd: ensureDir(runDir), env: { ...system, ...env, PATH: path, TEMPORAL_SCHEMA_DIR: ctx.binaries.schemaDir } };
    }
    case 'temporal-server':
      // Its working directory stands in for the image's /etc/temporal: mounts under it are linked in, so
      // DYNAMIC_CONFIG_FILE_PATH=config/dynamicconfig/... finds the deploy/ file it names.
      linkMounts(runDir, IMAGE_WORKDIR[kind], mounts);
      return { command: ctx.binaries.server, args: ['start'], cwd: runDir,
        env: { ...system, ...ownPorts(TEMPORAL_SERVER_PORTS, name, replica, ctx), ...env } };
    case 'temporal-ui': {
      // The image's config/docker.yaml as is; base.yaml (read first) only binds it to loopback.
      mkdirSync(join(runDir, 'config'), { recursive: true });
      writeFileSync(join(runDir, 'config', 'docker.yaml'), readFileSync(ctx.binaries.uiConfigTemplate));
      writeFileSync(join(runDir, 'config', 'base.yaml'), 'host: 127.0.0.1\n');
      return { command: ctx.binaries.uiServer, args: ['--root', runDir, '--env', 'docker', 'start'], cwd: runDir,
        env: { ...system, ...ownPorts(UI_PORT, name, replica, ctx), ...env } };
    }
    case 'app': {
      const [command, ...args] = service.command ?? [];
      const dockerfile = imageEnv(readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'));
      // Docker's order: the image's ENV, then env_file (.env: here the stack's trial defaults under the shell's environment), then `environment`.
      const imageDefaults = localEnvironment(name, replica, dockerfile, ctx);
      return { command: command === 'node' ? process.execPath : command, args, cwd: PROJECT_ROOT,
        env: { ...imageDefaults, ...ctx.appDefaults, ...ctx.shellEnv, ...env } };
    }
  }
}

/** The compose health check as a probe of this replica; a service without one is ready when its first port answers. */
function healthCheck(kind: ImageKind, name: string, replica: number, service: ComposeService, env: Record<string, string>, ctx: ServiceContext)
  : (() => Promise<boolean>) | undefined {
  const test = service.healthcheck?.disable ? undefined : service.healthcheck?.test;
  if (!test) {
    const [port] = containerPorts(name, service);
    return port === undefined || (service.restart ?? 'no') === 'no' ? undefined : () => tcpAnswers(local(ctx, name, replica, port));
  }
  const line = test.slice(1).join(' ');
  if (kind === 'postgres' && /pg_isready/.test(line)) {
    const user = encodeURIComponent(env.POSTGRES_USER ?? '');
    const url = `postgres://${user}:${encodeURIComponent(env.POSTGRES_PASSWORD ?? '')}@127.0.0.1:${local(ctx, name, replica, POSTGRES_PORT)}/${env.POSTGRES_DB || user}`;
    return () => databaseAnswers(url);
  }
  const nc = /^nc -z \S+ (\d+)$/.exec(line);
  if (nc) return () => tcpAnswers(local(ctx, name, replica, Number(nc[1])));
  const http = /^node dist\/src\/cli\/healthcheck\.js (http:\/\/\S+)$/.exec(line);
  if (http) {
    const url = new URL(http[1]);
    url.hostname = '127.0.0.1';
    url.port = String(local(ctx, name, replica, Number(url.port || 80)));
    return async () => (await fetch(url, { signal: AbortSignal.timeout(2500) })).ok;
  }
  throw new ComposeError(`service ${name}: the stack does not know how to run its health check ${JSON.stringify(test)} (src/stack/services.ts)`);
}

/** The service's environment with every address made local (see the header). */
export function localEnvironment(name: string, replica: number, env: Record<string, string>, ctx: ServiceContext): Record<string, string> {
  const services = ctx.compose.services;
  const hostOf = new Map<string, string>(); // variable → the service it names as a host
  const out: Record<string, string> = {};
  for (const [variable, value] of Object.entries(env)) {
    if (/(_HOST|SEEDS)$/.test(variable) && services[value]) hostOf.set(variable, value);
  }
  for (const [variable, value] of Object.entries(env)) {
    out[variable] = localValue(variable, value);
  }
  // A *_HOST naming a service gets its port beside it when compose left it to the image's default.
  for (const [variable, target] of hostOf) {
    const portVariable = variable.replace(/_HOST$/, '_PORT');
    if (variable.endsWith('_HOST') && !(portVariable in out)) out[portVariable] = String(local(ctx, target, 1, containerPorts(target, services[target])[0]));
  }
  return out;

  function localValue(variable: string, value: string): string {
    if (value === '0.0.0.0') return '127.0.0.1';
    if (hostOf.has(variable)) return '127.0.0.1';
    const hostPort = /^([a-z][\w-]*):(\d+)$/.exec(value);
    if (hostPort && services[hostPort[1]]) return `127.0.0.1:${local(ctx, hostPort[1], 1, Number(hostPort[2]))}`;
    if (/^[a-z][a-z0-9+.-]*:\/\//.test(value)) {
      const url = new URL(value);
      if (services[url.hostname]) {
        const port = url.port ? Number(url.port) : containerPorts(url.hostname, services[url.hostname])[0];
        url.port = String(local(ctx, url.hostname, 1, port));
        url.hostname = '127.0.0.1';
        return url.toString().replace(/\/$/, value.endsWith('/') ? '/' : '');
      }
    }
    if (/PORT$/.test(variable) && /^\d+$/.test(value)) {
      const port = Number(value);
      // The port of a service a *_HOST / *_SEEDS variable beside it names (DB_PORT beside POSTGRES_SEEDS) ...
      for (const target of hostOf.values()) if (containerPorts(target, services[target]).includes(port)) return String(local(ctx, target, 1, port));
      // ... or one this container listens on (PORT, WORKER_METRICS_PORT).
      if (containerPorts(name, services[name]).includes(port)) return String(local(ctx, name, replica, port));
    }
    return value;
  }
}

function local(ctx: ServiceContext, service: string, replica: number, port: number): number {
  const found = ctx.ports.get(portKey(service, replica, port));
  if (found === undefined) throw new ComposeError(`no local port for ${service} (replica ${replica}) port ${port}`);
  return found;
}

/** The variables that move an image's own ports, set to this replica's local ports. */
function ownPorts(variables: Record<string, number>, name: string, replica: number, ctx: ServiceContext): Record<string, string> {
  return Object.fromEntries(Object.entries(variables).map(([variable, port]) => [variable, String(local(ctx, name, replica, port))]));
}

interface Mount { source: string; target: string }

/** Bind mounts (`./deploy/x:/etc/y:ro`) with their host side resolved; named volumes are the stack's own directories. */
function hostMounts(service: ComposeService, kind: ImageKind, dataDir: string): Mount[] {
  return (service.volumes ?? []).map((entry) => {
    const [source, target] = entry.split(':');
    const absoluteTarget = posix.resolve(IMAGE_WORKDIR[kind], target);
    return { source: isHostPath(source) ? resolve(PROJECT_ROOT, source) : join(dataDir, 'volumes', source), target: absoluteTarget };
  });
}

const isHostPath = (source: string) => source.startsWith('.') || isAbsolute(source);

/** A path inside the image, as the host path of the mount that holds it (unchanged when no mount does). */
function inImage(path: string, mounts: Mount[], kind: ImageKind): string {
  const absolute = posix.resolve(IMAGE_WORKDIR[kind], path);
  const mount = mounts.find((m) => absolute === m.target || absolute.startsWith(`${m.target}/`));
  return mount ? join(mount.source, posix.relative(mount.target, absolute)) : path;
}

function linkMounts(runDir: string, workdir: string, mounts: Mount[]): void {
  for (const mount of mounts) {
    const inside = posix.relative(workdir, mount.target);
    if (inside.startsWith('..')) continue;
    const link = join(runDir, inside);
    mkdirSync(dirname(link), { recursive: true });
    rmSync(link, { force: true });
    symlinkSync(relative(dirname(link), mount.source), link);
  }
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
    socket.once('timeout', () => { socket.destroy(); done(false); });
  });
}

/** The Temporal frontend answers and its cluster reports SERVING (what `temporal operator cluster health` asks). */
export async function temporalServing(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    const health = await connection.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' });
    return health.status === 1;
  } finally {
    await connection.close();
  }
}
