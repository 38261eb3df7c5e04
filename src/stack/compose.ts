/**
 * docker-compose.yml read the way `docker compose` reads it, so `npm run stack` runs what the file
 * says rather than a copy of it: YAML with its anchors and merge keys (js-yaml), then compose's
 * variable interpolation (`${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?message}`,
 * `${VAR?message}`, `$$`), over the values the caller gives (compose takes them from the shell and
 * `.env`). Only the parts the topology uses are typed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { PROJECT_ROOT } from '../temporal/binaries';

export const COMPOSE_FILE = join(PROJECT_ROOT, 'docker-compose.yml');

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  env_file?: string | string[];
  volumes?: string[];
  ports?: string[];
  expose?: string[];
  restart?: string;
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: DependsOnCondition }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  stop_grace_period?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export class ComposeError extends Error {}

/** The file as YAML (anchors and merge keys resolved), before interpolation. */
export function loadComposeRaw(file = COMPOSE_FILE): ComposeFile {
  const raw = load(readFileSync(file, 'utf8')) as Partial<ComposeFile> | undefined;
  if (!raw?.services) throw new ComposeError(`${file} has no services`);
  return raw as ComposeFile;
}

/** Interpolated, with `environment` and `depends_on` in their long forms; `vars` stands for the shell environment and `.env`. */
export function interpolateCompose(raw: ComposeFile, vars: Record<string, string | undefined>): ComposeFile {
  const services = interpolate(raw.services, vars) as Record<string, ComposeService>;
  for (const service of Object.values(services)) {
    service.environment = normaliseEnvironment(service.environment);
    service.depends_on = normaliseDependsOn(service.depends_on);
    service.command = typeof service.command === 'string' ? (service.command as string).split(/\s+/) : service.command;
  }
  return { services };
}

/** Compose's interpolation of one string. */
export function interpolateString(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
      if (whole === '$$') return '$';
      const name = braced ?? bare!;
      const value = vars[name];
      const missing = op?.startsWith(':') ? value === undefined || value === '' : value === undefined;
      if (!op || !missing) return value ?? '';
      if (op.endsWith('-')) return arg ?? '';
      throw new ComposeError(`${name}: ${arg || 'required'}`);
    });
}

function interpolate(value: unknown, vars: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolateString(value, vars);
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  }
  return value;
}

/** `environment` as a map of strings (compose also allows a list of NAME=value, and numbers). */
function normaliseEnvironment(env: unknown): Record<string, string> {
  if (!env) return {};
  const entries = Array.isArray(env)
    ? env.map((line: string) => { const at = line.indexOf('='); return [line.slice(0, at), line.slice(at + 1)]; })
    : Object.entries(env as Record<string, unknown>);
  return Object.fromEntries(entries.map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

/** `depends_on` as a map with conditions (a plain list means service_started). */
function normaliseDependsOn(deps: unknown): Record<string, { condition: DependsOnCondition }> {
  if (!deps) return {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name: string) => [name, { condition: 'service_started' as const }]));
  return deps as Record<string, { condition: DependsOnCondition }>;
}

/**
 * The variables that set a published host port, read from the raw `ports:` entries
 * (`127.0.0.1:${TEMPORAL_HOST_PORT:-7233}:7233` → TEMPORAL_HOST_PORT publishes temporal's 7233).
 */
export function publishedPortVariables(raw: ComposeFile): { variable: string; service: string; containerPort: number }[] {
  return Object.entries(raw.services).flatMap(([service, spec]) => (spec.ports ?? []).flatMap((entry) => {
    const match = /\$\{([A-Z_][A-Z0-9_]*)[^}]*\}:(\d+)$/.exec(entry);
    return match ? [{ variable: match[1], service, containerPort: Number(match[2]) }] : [];
  }));
}

/** A `ports:` entry's container port and published host ports (`3100-3101:3000`, `127.0.0.1:7433:7233`). */
export function parsePortEntry(entry: string): { containerPort: number; hostPorts: number[] } {
  const parts = entry.split(':');
  const containerPort = Number(parts.at(-1));
  const [from, to = from] = (parts.at(-2) ?? '').split('-').map(Number);
  const hostPorts = Number.isInteger(from) && Number.isInteger(to) ? Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i) : [];
  return { containerPort, hostPorts };
}

/** The image's tag: `temporalio/server:1.31.0` → `1.31.0`. */
export function imageTag(service: ComposeService, name: string): string {
  const tag = /:([^:/]+)$/.exec(service.image ?? '')?.[1];
  if (!tag) throw new ComposeError(`service ${name}: image ${service.image ?? '(none)'} has no version tag`);
  return tag;
}

/** The Dockerfile's runtime stage ENV: what an application container has before compose adds its own. */
export function imageEnv(dockerfile: string): Record<string, string> {
  const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(runtime)?.[1] ?? '';
  return Object.fromEntries([...block.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1], m[2]]));
}

/** A duration as compose writes it (`40s`, `1m30s`, `500ms`) in milliseconds. */
export function composeDurationMs(value: string | undefined, fallbackMs: number): number {
  if (!value) return fallbackMs;
  const unitMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|us|s|m|h)/g)) total += Number(n) * unitMs[unit];
  return total || fallbackMs;
}
