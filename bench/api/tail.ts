/**
 * Where a latency tail comes from, measured beside the latencies: in the API process, the event
 * loop's delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution: a request waits at least that
 * long when the loop is busy), its GC pauses (PerformanceObserver 'gc') and its pool waits (how
 * often a request found every connection of the plain-SQL pool taken); in PostgreSQL, checkpoints
 * and autovacuum runs during the window. The API process answers `{ type: 'tail' }` over IPC.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadavg } from 'node:os';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import type { MikroORM } from '@mikro-orm/postgresql';
import { sqlPoolOf } from '../../src/db/sql';
import { cardTextReads } from '../../src/domain/search-cards';
import type { GeneratorTiming } from './arrivals';
import type { LoadSettings } from './load';

export interface ApiTail {
  loopDelayMs: { p50: number; p99: number; max: number };
  gc: { pauses: number; totalMs: number; maxMs: number; over5ms: number };
  /** Samples (every 5 ms) in which a query waited for a connection of the plain-SQL pool, of all samples. */
  pool: { waitingSamples: number; samples: number; maxWaiting: number };
  /** Search cards shown from the texts the process keeps, and read from PostgreSQL (src/domain/search-cards.ts). */
  cards: { kept: number; read: number };
  /** The API's own timing of each request that carried an `x-bench-request` id (traceRequests). */
  requests: [string, RequestTiming][];
  /** Each GC pause of the window: its start (ms since the epoch, to compare with the generator's clock), duration, and whether it was a full (mark-compact) one. */
  gcTimeline: { at: number; ms: number; full: boolean }[];
}

/** One request as the API saw it, in ms: from its `request` event to the end of its answer. */
export interface RequestTiming {
  /** Request event to the answer's last byte handed to the kernel. */
  inApi: number;
  /** Round trips to PostgreSQL (each from the query's call to its answer's turn on the event loop), and how many. */
  db: number; statements: number; longestDb: number;
  /** Waiting for a connection of a pool. */
  poolWait: number;
  /** Requests the API was already serving when this one came in. */
  busy: number;
}

const traces = new AsyncLocalStorage<RequestTiming>();
let traced = new Map<string, RequestTiming>();
let serving = 0;

/**
 * Wraps the API's request handler: a request carrying `x-bench-request` gets its timings recorded
 * (its PostgreSQL round trips through pg's Client and Pool, patched by installTailProbe).
 */
export function traceRequests(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const id = req.headers['x-bench-request'];
    if (typeof id !== 'string') return handler(req, res);
    const start = performance.now();
    const timing: RequestTiming = { inApi: 0, db: 0, statements: 0, longestDb: 0, poolWait: 0, busy: serving };
    serving += 1;
    res.once('finish', () => {
      serving -= 1;
      timing.inApi = performance.now() - start;
      traced.set(id, timing);
    });
    traces.run(timing, () => handler(req, res));
  };
}

/** Times each promise-returning call of `method` made inside a traced request, adding it to the request's timing. */
function timeCalls(proto: object, method: string, add: (t: RequestTiming, ms: number) => void): void {
  const target = proto as Record<string, (...args: unknown[]) => unknown>;
  const original = target[method];
  target[method] = function timed(this: unknown, ...args: unknown[]) {
    const result = original.apply(this, args);
    const timing = traces.getStore();
    if (timing && result instanceof Promise) {
      const start = performance.now();
      void result.then(() => add(timing, performance.now() - start), () => add(timing, performance.now() - start));
    }
    return result;
  };
}

const POOL_SAMPLE_MS = 5;

/** In the API process: starts measuring, and answers the benchmark's `tail` requests (each reads and restarts the window). */
export function installTailProbe(orm: MikroORM): void {
  timeCalls(Client.prototype, 'query', (t, ms) => { t.db += ms; t.statements += 1; t.longestDb = Math.max(t.longestDb, ms); });
  timeCalls(Pool.prototype, 'connect', (t, ms) => { t.poolWait += ms; });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let gc = { pauses: 0, totalMs: 0, maxMs: 0, over5ms: 0 };
  let gcTimeline: ApiTail['gcTimeline'] = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      gcTimeline.push({ at: performance.timeOrigin + e.startTime, ms: e.duration, full: kind === constants.NODE_PERFORMANCE_GC_MAJOR });
      gc.pauses += 1;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if (e.duration > 5) gc.over5ms += 1;
    }
  }).observe({ entryTypes: ['gc'] });
  const pool = sqlPoolOf(orm.em);
  let waits = { waitingSamples: 0, samples: 0, maxWaiting: 0 };
  setInterval(() => {
    waits.samples += 1;
    if (pool.waitingCount > 0) waits.waitingSamples += 1;
    waits.maxWaiting = Math.max(waits.maxWaiting, pool.waitingCount);
  }, POOL_SAMPLE_MS).unref();
  let cardsBefore = { ...cardTextReads };
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'tail') return;
    const ms = (ns: number) => ns / 1e6;
    const cards = { kept: cardTextReads.kept - cardsBefore.kept, read: cardTextReads.read - cardsBefore.read };
    cardsBefore = { ...cardTextReads };
    const tail: ApiTail = { loopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) }, gc, pool: waits, cards,
      requests: [...traced], gcTimeline };
    traced = new Map();
    gcTimeline = [];
    process.send?.({ type: 'tail', tail });
    loop.reset();
    gc = { pauses: 0, totalMs: 0, maxMs: 0, over5ms: 0 };
    waits = { waitingSamples: 0, samples: 0, maxWaiting: 0 };
  });
}

/** In the benchmark: the API's figures since the last call (the first call only starts the window). */
export function readApiTail(api: ChildProcess): Promise<ApiTail> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the API did not answer the tail request')), 5_000);
    const onMessage = (m: { type?: string; tail?: ApiTail }) => {
      if (m?.type !== 'tail' || !m.tail) return;
      clearTimeout(timer);
      api.off('message', onMessage);
      resolve(m.tail);
    };
    api.on('message', onMessage);
    api.send({ type: 'tail' });
  });
}

export interface PgActivity {
  checkpoints: number; checkpointWriteMs: number; autovacuums: number; autoanalyzes: number;
  /** The carts table, which every cart write updates: its updates, how many were HOT (no new index entries), its dead row versions now. */
  carts: { updates: number; hot: number; dead: number; live: number };
  /** With pg_stat_statements loaded (BENCH_API_PG_SETTINGS), the window's costliest statements: the start resets it. */
  statements?: { query: string; calls: number; meanMs: number; stddevMs: number; maxMs: number }[];
}

/**
 * PostgreSQL's counters (PostgreSQL 17+: pg_stat_checkpointer), for a difference over a window. Table
 * counters reach the statistics a second or so after a backend's last transaction, so the window's
 * last updates may be missing from them.
 */
export async function readPgActivity(databaseUrl: string, opts: { resetStatements?: boolean } = {}): Promise<PgActivity> {
  const pg = new Client({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const { rows: [c] } = await pg.query<{ n: string; ms: string }>(
      'select num_timed + num_requested as n, write_time + sync_time as ms from pg_stat_checkpointer');
    const { rows: [v] } = await pg.query<{ vac: string; an: string }>(
      'select coalesce(sum(autovacuum_count), 0) as vac, coalesce(sum(autoanalyze_count), 0) as an from pg_stat_all_tables');
    const { rows: [t] } = await pg.query<{ upd: string; hot: string; dead: string; live: string }>(
      `select n_tup_upd as upd, n_tup_hot_upd as hot, n_dead_tup as dead, n_live_tup as live from pg_stat_user_tables where relname = 'carts'`);
    const { rows: [pss] } = await pg.query<{ loaded: boolean }>(`select exists (select 1 from pg_extension where extname = 'pg_stat_statements') as loaded`);
    let statements: PgActivity['statements'];
    if (pss.loaded && opts.resetStatements) await pg.query('select pg_stat_statements_reset()');
    else if (pss.loaded) {
      const { rows } = await pg.query<{ query: string; calls: string; mean: number; stddev: number; max: number }>(
        `select regexp_replace(query, '\\s+', ' ', 'g') as query, calls, mean_exec_time as mean, stddev_exec_time as stddev, max_exec_time as max
           from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
          order by total_exec_time desc limit 4`);
      statements = rows.map((r) => ({ query: r.query.slice(0, 70), calls: Number(r.calls), meanMs: r.mean, stddevMs: r.stddev, maxMs: r.max }));
    }
    return { checkpoints: Number(c.n), checkpointWriteMs: Number(c.ms), autovacuums: Number(v.vac), autoanalyzes: Number(v.an),
      carts: { updates: Number(t?.upd ?? 0), hot: Number(t?.hot ?? 0), dead: Number(t?.dead ?? 0), live: Number(t?.live ?? 0) },
      ...(statements ? { statements } : {}) };
  } finally {
    await pg.end();
  }
}

/** One line for the report. */
export function describeTail(api: ApiTail, before: PgActivity, after: PgActivity): string {
  const f = (v: number) => v.toFixed(1);
  const { loopDelayMs: l, gc, pool, cards } = api;
  const share = pool.samples > 0 ? (100 * pool.waitingSamples) / pool.samples : 0;
  const shown = cards.kept + cards.read;
  return `${shown > 0 ? `search cards: ${f((100 * cards.kept) / shown)}% of ${shown} shown from the kept texts; ` : ''}event-loop delay p50 ${f(l.p50)} / p99 ${f(l.p99)} / max ${f(l.max)} ms; GC ${gc.pauses} pauses, ${f(gc.totalMs)} ms in all, ` +
    `longest ${f(gc.maxMs)} ms, ${gc.over5ms} over 5 ms; pool waits in ${f(share)}% of 5-ms samples (at most ${pool.maxWaiting} queries waiting); ` +
    `PostgreSQL: ${after.checkpoints - before.checkpoints} checkpoints (${f(after.checkpointWriteMs - before.checkpointWriteMs)} ms writing and syncing), ` +
    `${after.autovacuums - before.autovacuums} autovacuums, ${after.autoanalyzes - before.autoanalyzes} autoanalyzes; ` +
    `carts: ${describeCarts(before.carts, after.carts)}` +
    (after.statements ? `\n  costliest statements (calls, mean / stddev / max ms):\n${after.statements.map((s) =>
      `    ${s.calls} x ${f(s.meanMs)} / ${f(s.stddevMs)} / ${f(s.maxMs)}: ${s.query}`).join('\n')}` : '');
}

function describeCarts(before: PgActivity['carts'], after: PgActivity['carts']): string {
  const updates = after.updates - before.updates;
  const hot = after.hot - before.hot;
  return `${updates} updates, ${updates > 0 ? ((100 * hot) / updates).toFixed(0) : '0'}% HOT; ${after.dead} dead row versions beside ${after.live} live at the end`;
}

/** Event-loop delay, GC and pool waits in the API, checkpoints and autovacuum in PostgreSQL, over one measured window. */
export function tailWindow(api: ChildProcess, databaseUrl: string): NonNullable<LoadSettings['tail']> {
  let pgBefore: PgActivity | undefined;
  return {
    async start() {
      await readApiTail(api); // also forgets the warm-up's requests
      pgBefore = await readPgActivity(databaseUrl, { resetStatements: true });
    },
    async end(latencies?: Map<string, GeneratorTiming>) {
      const apiTail = await readApiTail(api);
      return `${describeTail(apiTail, pgBefore as PgActivity, await readPgActivity(databaseUrl))}; load average ${loadavg()[0].toFixed(1)}` +
        (latencies ? `\n  ${describeSlowest(latencies, new Map(apiTail.requests), apiTail.gcTimeline)}` : '');
    },
  };
}

/**
 * Where the slowest 1% of requests spent their time, against the median request: the latency the
 * load generator measured, the part inside the API (request event to answer), of it the round
 * trips to PostgreSQL and pool waits, and how many requests the API was serving when each came in.
 * The rest (latency minus time in the API) is outside the handler: a wait for one of the
 * generator's connections (measured), then the API's event loop busy with other requests before it
 * read this one, the network and the generator reading the answer.
 */
export function describeSlowest(latencies: Map<string, GeneratorTiming>, api: Map<string, RequestTiming>, gcs: ApiTail['gcTimeline'] = []): string {
  const rows = [...latencies].flatMap(([id, g]) => { const t = api.get(id); return t ? [{ ...g, ...t }] : []; })
    .sort((a, b) => a.latency - b.latency);
  if (rows.length < 100) return `requests timed in the API: ${rows.length} of ${latencies.size}`;
  const slowest = rows.slice(Math.floor(rows.length * 0.99));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const f = (v: number) => v.toFixed(1);
  const describe = (rs: typeof rows) => `latency ${f(mean(rs.map((r) => r.latency)))}, in the API ${f(mean(rs.map((r) => r.inApi)))} ` +
    `(PostgreSQL round trips ${f(mean(rs.map((r) => r.db)))} in ${f(mean(rs.map((r) => r.statements)))} statements, the longest ${f(mean(rs.map((r) => r.longestDb)))}; ` +
    `pool waits ${f(mean(rs.map((r) => r.poolWait)))}), outside the API ${f(mean(rs.map((r) => r.latency - r.inApi)))} ` +
    `(of which waiting for one of the generator's connections ${f(mean(rs.map((r) => r.connectionWait)))}); ` +
    `requests already in the API when it came in ${f(mean(rs.map((r) => r.busy)))}`;
  const mid = rows.slice(Math.floor(rows.length * 0.45), Math.ceil(rows.length * 0.55));
  // Slow requests sent within 100 ms of each other belong to one episode: a few long episodes are stalls, many short ones queueing.
  const sent = slowest.map((r) => r.sentAt).sort((a, b) => a - b);
  const episodes: number[][] = [];
  for (const t of sent) {
    const last = episodes[episodes.length - 1];
    if (last && t - last[last.length - 1] <= 100) last.push(t); else episodes.push([t]);
  }
  const largest = episodes.reduce((a, b) => (b.length > a.length ? b : a));
  // The API's GC during the episodes (from 50 ms before each one's first slow request to its last), against the window as a whole.
  const wall = (t: number) => performance.timeOrigin + t;
  const during = gcs.filter((g) => episodes.some((e) => g.at >= wall(e[0]) - 50 && g.at <= wall(e[e.length - 1])));
  const span = episodes.reduce((n, e) => n + e[e.length - 1] - e[0] + 50, 0);
  const gcShare = (gs: typeof gcs) => gs.reduce((n, g) => n + g.ms, 0);
  return `the slowest 1% (${slowest.length}, from ${f(slowest[0].latency)} ms) fall in ${episodes.length} episodes (sent within 100 ms of each other; ` +
    `the largest ${largest.length} requests over ${f(largest[largest.length - 1] - largest[0])} ms; the API's GC in them: ${during.length} pauses, ` +
    `${during.filter((g) => g.full).length} full, ${f(gcShare(during))} ms in ${f(span)} ms, against ${f(gcShare(gcs))} ms in the window); means in ms: ${describe(slowest)}\n` +
    `  the middle 10% (around the median, ${f(median(rows.map((r) => r.latency)))} ms): ${describe(mid)}`;
}
