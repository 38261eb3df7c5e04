/**
 * Open-loop load: requests arrive as independent shoppers' would, at a mean `rate` per second with
 * exponentially distributed gaps (a Poisson process, seeded so every run sends the same schedule),
 * whether or not earlier answers have come back. Requests go over at most `connections` keep-alive
 * connections; one that finds them all busy waits for a free one, and that wait counts in its
 * latency. A latency runs from the moment the generator sends the request (a timer fires up to a
 * millisecond or so after the request was due: how late is reported beside the figures, and a
 * generator that falls behind sends at once what is overdue) to the end of its answer.
 *
 * This is the load the targets' "N requests/s" means. autocannon's `overallRate` (bench/api/load.ts,
 * "bursts") instead sends each connection's quota for the second back to back at the start of the
 * second: every second begins with `connections` requests in flight at once, whatever the rate.
 */
import { subscribe } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { prng } from '../../src/db/catalog-vocabulary';

/** One request shape: the generator (either load) calls `next` for every request it sends. */
export interface Scenario {
  method: 'GET' | 'POST';
  /** The next request; `headers` are added to the JSON ones (e.g. a customer's session). */
  next(): { path: string; body?: string; headers?: Record<string, string> };
}

export interface ArrivalsResult {
  statuses: Record<string, number>;
  non2xx: number;
  errors: number;
  /** How late the generator's timer fired against the schedule, p99 and max, in ms. */
  lateP99: number;
  lateMax: number;
}

const TIMEOUT_MS = 10_000;

/** Sends `scenario`'s requests for `seconds` at a mean `rate`; each answer's latency (ms) goes to `samples`. */
/** A traced request as the generator saw it, in ms: its latency, and how long it waited for a connection before its headers were written to one. */
export interface GeneratorTiming { latency: number; connectionWait: number; sentAt: number }

/**
 * `traced`: each request also carries an `x-bench-request` id, and its timing is kept under that id
 * (bench/api/tail.ts matches the API's own timings).
 */
export async function sendArrivals(o: { url: string; rate: number; connections: number; seconds: number; seed?: number; traced?: Map<string, GeneratorTiming> },
  scenario: Scenario, samples: number[]): Promise<ArrivalsResult> {
  // undici: a tenth of node:http's CPU per request, which the generator would otherwise take from the API on two cores.
  const pool = new Pool(o.url, { connections: o.connections, pipelining: 1, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  const random = prng(o.seed ?? 17); // the same arrival schedule on every run
  const result: ArrivalsResult = { statuses: {}, non2xx: 0, errors: 0, lateP99: 0, lateMax: 0 };
  const late: number[] = [];
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const end = start + o.seconds * 1000;
  let due = start;
  for (;;) {
    due += (-Math.log(1 - random()) * 1000) / o.rate;
    if (due >= end) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const now = performance.now();
    late.push(Math.max(0, now - due));
    const sent = send(pool, scenario, now, samples, result, o.traced);
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }
  await Promise.all(inFlight);
  await pool.close();
  late.sort((a, b) => a - b);
  result.lateP99 = late[Math.max(0, Math.ceil(late.length * 0.99) - 1)] ?? 0;
  result.lateMax = late[late.length - 1] ?? 0;
  return result;
}

let traceIds = 0;
/** When each traced request's headers went out on a connection (undici's diagnostics channel). */
const written = new Map<string, number>();
subscribe('undici:client:sendHeaders', (message) => {
  const id = /x-bench-request: (\d+)/i.exec((message as { headers?: string }).headers ?? '')?.[1];
  if (id) written.set(id, performance.now());
});

async function send(pool: Pool, scenario: Scenario, sentAt: number, samples: number[], result: ArrivalsResult, traced?: Map<string, GeneratorTiming>): Promise<void> {
  const { path, body, headers } = scenario.next();
  const id = traced ? String(++traceIds) : undefined;
  try {
    const res = await pool.request({ method: scenario.method, path, body,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers, ...(id ? { 'x-bench-request': id } : {}) } });
    for await (const chunk of res.body) void chunk; // read to the end, kept nowhere
    const latency = performance.now() - sentAt;
    samples.push(latency);
    if (id) {
      traced?.set(id, { latency, connectionWait: (written.get(id) ?? sentAt) - sentAt, sentAt });
      written.delete(id);
    }
    result.statuses[res.statusCode] = (result.statuses[res.statusCode] ?? 0) + 1;
    if (res.statusCode < 200 || res.statusCode >= 300) result.non2xx++;
  } catch {
    result.errors++;
  }
}
