/**
 * The application containers of docker-compose.yml start with a configuration the code accepts.
 * Input: `docker-compose config` (compose's own resolution of anchors, env_file and ${...}, here
 * with .env.example as .env), as JSON, and the Dockerfile. Each of migrate, api and worker gets its
 * resolved environment, on top of the image's ENV, through the same loadConfig the processes run,
 * and the ports the containers listen on must be those their health checks and port mappings use.
 * Run by .ci/lint-deploy.sh: `tsx .ci/check-compose-env.ts resolved.json Dockerfile`.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, type Config } from '../src/config';
import { imageEnv } from '../src/stack/compose';

interface Service {
  container_name?: string;
  deploy?: { replicas?: number };
  command?: string[];
  environment?: Record<string, string | number | null>;
  healthcheck?: { test?: string[]; disable?: boolean };
  ports?: { target: number; published?: string | number }[];
  expose?: string[];
}

const [resolvedPath, dockerfilePath] = process.argv.slice(2);
const services = (JSON.parse(readFileSync(resolvedPath, 'utf8')) as { services: Record<string, Service> }).services;
const problems: string[] = [];

function configOf(name: string, image: Record<string, string>): Config | undefined {
  const env = { ...image, ...Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)])) };
  try {
    return loadConfig(env);
  } catch (err) {
    problems.push(`${name}: ${(err as Error).message}`);
    return undefined;
  }
}

function healthPort(name: string): number | undefined {
  const url = services[name].healthcheck?.test?.find((part) => part.startsWith('http://'));
  return url ? Number(new URL(url).port) : undefined;
}

function expect(what: string, actual: unknown, expected: unknown): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) problems.push(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

const image = imageEnv(readFileSync(dockerfilePath, 'utf8'));
// The image alone is production; it starts only with a payment provider chosen (Stripe, or ALLOW_SIMULATED_PAYMENTS), which compose's .env gives.
expect('the image', image.NODE_ENV, 'production');
for (const name of ['migrate', 'api', 'worker']) {
  if (!services[name]) {
    problems.push(`${name}: no such service`);
    continue;
  }
  const config = configOf(name, image);
  if (!config) continue;
  expect(`${name}: NODE_ENV`, config.NODE_ENV, 'production');
  expect(`${name}: DATABASE_URL's host is the shop database`, config.DATABASE_URL && new URL(config.DATABASE_URL).hostname, 'shop-db');
  expect(`${name}: TEMPORAL_ADDRESS`, config.TEMPORAL_ADDRESS, 'temporal:7233');
  if (name === 'api') {
    expect('api: HOST (reachable from outside the container)', config.HOST, '0.0.0.0');
    expect('api: the port its health check asks', healthPort('api'), config.PORT);
    expect('api: the port it publishes', services.api.ports?.map((p) => p.target), [config.PORT]);
    // Replicas: no fixed container name, and one host port per replica (a single fixed port binds once).
    expect('api: container_name', services.api.container_name, undefined);
    const [from, to = from] = String(services.api.ports?.[0]?.published ?? '').split('-').map(Number);
    expect('api: host ports for its replicas', to - from + 1 >= (services.api.deploy?.replicas ?? 1), true);
  }
  if (name === 'worker') {
    expect('worker: container_name (scaled with --scale worker=N)', services.worker.container_name, undefined);
    expect('worker: WORKER_METRICS_HOST (reachable by Prometheus)', config.WORKER_METRICS_HOST, '0.0.0.0');
    expect('worker: the metrics port its health check asks', healthPort('worker'), config.WORKER_METRICS_PORT);
    expect('worker: the port it exposes', services.worker.expose, [String(config.WORKER_METRICS_PORT)]);
    // The SDK's exporter takes no credentials (docs/operations.md, Metrics and tracing): inside the network only.
    expect('worker: host ports published (its metrics endpoint has no authentication)', services.worker.ports ?? [], []);
  }
}

if (problems.length > 0) {
  console.error(`docker-compose.yml: the application containers would not start as intended:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('docker-compose.yml: migrate, api and worker environments pass the configuration check; ports agree');
