/**
 * Load at a fixed rate, with exact percentiles from every response, in one of two shapes:
 * - `arrivals` (the default, what the targets mean): independent requests arriving at the rate on
 *   average, with random gaps, whether or not earlier answers came back (bench/api/arrivals.ts).
 * - `bursts`: autocannon's `overallRate`, kept to compare with figures measured until 2026-12-07, 16:30 UTC.
 *
 * Two autocannon behaviours shape what it records:
 * - Its coordinated-omission correction assumes an interval of ceil(1 / per-connection rate) ms,
 *   i.e. 1 ms at any rate above one request a second, and back-fills a synthetic sample for each
 *   missing millisecond: a 10 ms response counts ten times. We turn it off and keep the measured
 *   latencies; autocannon's own p99 is kept as a cross-check of ours.
 * - Its rate limiter gives each connection a quota per second, sent back to back at the start of
 *   the second. The load is therefore bursts at `connections` concurrency, not evenly spaced
 *   arrivals; with a few connections that concurrency stays low, and a served rate below the
 *   target rate shows the bursts no longer fit in their second (saturation).
 */
import autocannon, { type Options, type Request } from 'autocannon';
import { sendArrivals, type GeneratorTiming, type Scenario } from './arrivals';
import { share, snapshot, type CpuShare } from './cpu';

export type LoadShape = 'arrivals' | 'bursts';

export interface LoadSettings {
  url: string;
  rate: number;
  connections: number;
  warmupSeconds: number;
  seconds: number;
  /** `arrivals` unless given. */
  shape?: LoadShape;
  /** Processes whose CPU is accounted for separately. */
  apiPid?: number;
  postmasterPid?: number;
  /** Reads where a tail comes from over the measured window (bench/api/tail.ts): started before it, described after. */
  tail?: { start(): Promise<void>; end(latencies?: Map<string, GeneratorTiming>): Promise<string> };
}

export interface Measured {
  requests: number;
  achievedRate: number;
  p50: number;
  p99: number;
  max: number;
  shape: LoadShape;
  /** bursts: autocannon's own histogram p99 (whole milliseconds), for comparison; arrivals: how late the generator's timer fired (p99, max). */
  generator: string;
  statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  cpu: CpuShare;
  /** Event-loop delay, GC, pool waits, checkpoints and autovacuum over the window, when measured. */
  tail?: string;
}

export type { Scenario } from './arrivals';

export async function measure(settings: LoadSettings, scenario: Scenario): Promise<Measured> {
  const shape = settings.shape ?? 'arrivals';
  const run = shape === 'arrivals' ? arrive : burst;
  await run(settings, scenario, settings.warmupSeconds, []);
  const samples: number[] = [];
  // Arrivals carry ids, so the tail probe can say where the slowest requests spent their time.
  const traced = shape === 'arrivals' && settings.tail ? new Map<string, GeneratorTiming>() : undefined;
  await settings.tail?.start();
  const before = snapshot(settings.apiPid, settings.postmasterPid);
  const result = await run(settings, scenario, settings.seconds, samples, traced);
  const cpu = share(before, snapshot(settings.apiPid, settings.postmasterPid), samples.length);
  const tail = await settings.tail?.end(traced);
  samples.sort((a, b) => a - b);
  return {
    requests: samples.length,
    achievedRate: samples.length / settings.seconds,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: samples[samples.length - 1] ?? NaN,
    shape,
    ...result,
    cpu,
    ...(tail ? { tail } : {}),
  };
}

type Outcome = Pick<Measured, 'generator' | 'statuses' | 'non2xx' | 'errors'>;

async function arrive(settings: LoadSettings, scenario: Scenario, seconds: number, samples: number[], traced?: Map<string, GeneratorTiming>): Promise<Outcome> {
  const r = await sendArrivals({ url: settings.url, rate: settings.rate, connections: settings.connections, seconds, traced }, scenario, samples);
  return { generator: `timer late by ${r.lateP99.toFixed(1)} ms at p99, ${r.lateMax.toFixed(1)} ms at most`, statuses: r.statuses, non2xx: r.non2xx, errors: r.errors };
}

async function burst(settings: LoadSettings, scenario: Scenario, seconds: number, samples: number[], _traced?: Map<string, GeneratorTiming>): Promise<Outcome> {
  const result = await fire(settings, scenario, seconds, samples);
  // autocannon counts a timeout as an error too.
  return { generator: `autocannon's own p99 ${result.latency.p99} ms (whole ms, same samples)`, statuses: statusCounts(result), non2xx: result.non2xx, errors: result.errors };
}

function fire(settings: LoadSettings, scenario: Scenario, seconds: number, samples: number[]): Promise<autocannon.Result> {
  const request: Request = {
    method: scenario.method,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    setupRequest: (req) => {
      const { path, body, headers } = scenario.next();
      return { ...req, path, ...(body === undefined ? {} : { body }), ...(headers ? { headers: { ...req.headers, ...headers } } : {}) };
    },
  };
  const opts: Options = {
    url: settings.url,
    connections: settings.connections,
    overallRate: settings.rate,
    ignoreCoordinatedOmission: true,
    duration: seconds,
    timeout: 10,
    requests: [request],
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client, _status, _bytes, ms) => { samples.push(ms); });
  });
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function statusCounts(result: autocannon.Result): Record<string, number> {
  return Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => [code, count ?? 0]));
}
