/**
 * Where the stack's containers' ports land on this machine. Fixed by default, so `npm run stack`
 * is found at the same URLs every time and never where `npm run dev` is (3000, 7233, 8233, 54329):
 * the ports compose publishes are read from the same variables (API_HOST_PORTS, TEMPORAL_HOST_PORT,
 * TEMPORAL_UI_HOST_PORT) with the stack's own defaults, and every port compose keeps inside its
 * network (the databases, Temporal's internal services, the workers' metrics) takes the next one
 * from STACK_PORT_BASE. `auto` (STACK_PORTS=auto: tests, benchmarks) takes free ports at random.
 *
 * Every port stays below 32768: Temporal records its services' ports in its cluster_membership
 * table as a PostgreSQL smallint, and a server on a higher port dies at start-up ("value out of range
 * for type smallint"). The system's own picks (port 0) come from 32768 and up, so `auto` draws its own.
 */
import { createServer } from 'node:net';
import { ComposeError, parsePortEntry, publishedPortVariables, type ComposeFile } from './compose';
import { containerPorts, imageKind, portKey, type PortMap } from './services';

/** The published ports' variables, as `docker compose` reads them, with the stack's defaults. */
export const STACK_PUBLISHED_DEFAULTS: Record<string, string> = { API_HOST_PORTS: '3100-3101', TEMPORAL_HOST_PORT: '7433', TEMPORAL_UI_HOST_PORT: '8433' };
export const STACK_PORT_BASE = 7440;

export interface PortPlan {
  ports: PortMap;
  /** The published ports' variables, set to where those ports are, for compose's interpolation. */
  vars: Record<string, string>;
}

/**
 * `compose` must be interpolated with STACK_PUBLISHED_DEFAULTS (or the shell's values) under the
 * shell's own. `replicas` says how many of each service run.
 */
export async function planPorts(raw: ComposeFile, compose: ComposeFile, replicas: Record<string, number>,
  opts: { auto: boolean; base: number }): Promise<PortPlan> {
  const ports: PortMap = new Map();
  let next = opts.base;
  for (const name of Object.keys(compose.services).sort()) {
    const service = compose.services[name];
    const published = new Map((service.ports ?? []).map((entry) => {
      const { containerPort, hostPorts } = parsePortEntry(entry);
      return [containerPort, hostPorts] as const;
    }));
    for (let replica = 1; replica <= replicas[name]; replica++) {
      for (const port of containerPorts(name, service)) {
        const hostPorts = published.get(port);
        if (!opts.auto && hostPorts && hostPorts.length < replicas[name]) {
          throw new ComposeError(`service ${name} runs ${replicas[name]} replicas but publishes ${hostPorts.length} host port(s) for ${port} `
            + `(${service.ports!.join(', ')}): widen the range, e.g. API_HOST_PORTS=${hostPorts[0]}-${hostPorts[0] + replicas[name] - 1}`);
        }
        ports.set(portKey(name, replica, port), opts.auto ? await freeLowPort(new Set(ports.values())) : hostPorts?.[replica - 1] ?? next++);
      }
    }
  }
  for (const [key, port] of ports) {
    const service = key.split('#')[0];
    if (port > HIGHEST_TEMPORAL_PORT && imageKind(service, compose.services[service]) === 'temporal-server') {
      throw new ComposeError(`Temporal cannot listen on port ${port} (${key}): it records its ports as a PostgreSQL smallint, so they must be at most `
        + `${HIGHEST_TEMPORAL_PORT}. Lower TEMPORAL_HOST_PORT or STACK_PORT_BASE.`);
    }
  }
  const vars: Record<string, string> = {};
  for (const { variable, service, containerPort } of publishedPortVariables(raw)) {
    const mine = Array.from({ length: replicas[service] }, (_, i) => ports.get(portKey(service, i + 1, containerPort))!);
    vars[variable] = mine.length > 1 ? `${mine[0]}-${mine.at(-1)}` : String(mine[0]);
  }
  return { ports, vars };
}

/** The lowest port `auto` draws from, and the highest any stack port may be (see the header). */
const LOW_PORT_MIN = 10_000;
export const HIGHEST_TEMPORAL_PORT = 32_767;

/** A port in 10000–32767 that nothing listens on (and that this plan has not taken yet). */
export async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = LOW_PORT_MIN + Math.floor(Math.random() * (HIGHEST_TEMPORAL_PORT - LOW_PORT_MIN + 1));
    if (!taken.has(port) && (await portFree(port))) return port;
  }
  throw new ComposeError('found no free port from 10000 to 32767 in 200 tries');
}

function portFree(port: number): Promise<boolean> {
  return new Promise<boolean>((done) => {
    const probe = createServer();
    probe.once('error', () => done(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(true)));
  });
}

/** Refuses, naming what to change, when a fixed port is taken. */
export async function assertPortsFree(plan: PortPlan, explain: (key: string) => string): Promise<void> {
  for (const [key, port] of plan.ports) {
    const free = await portFree(port);
    if (!free) throw new ComposeError(`Port ${port} (${key.replace(/#1:/, ':').replace(/#(\d+):/, ' replica $1, port ')}) is already in use: `
      + `is another \`npm run stack\` running? Stop it, or move the stack's ports: ${explain(key)}.`);
  }
}
