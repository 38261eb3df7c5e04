/**
 * `npm run bench:tracking`: 10,000 shipment-tracking workflows idle at once on a Temporal dev
 * server (SQLite in WAL mode), a worker in a process of its own, run twice side by side: first a
 * worker that caches every parcel (the reference), then one with the production worker's default
 * cache (WORKER_MAX_CACHED_WORKFLOWS), whose parcels are replayed from their history when their
 * event comes. Prints each worker's memory, and the rate at which each applies one carrier event
 * per parcel (signal, then wait until every scan is stored) to its half of the fleet; targets: RSS
 * <= 600 MB with the default cache, and its event rate >= 80% of the all-cached one. A report, not
 * a test: everything runs on 127.0.0.1 in a temp directory that is deleted afterwards, within a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { quietBundlerLogger } from '../../workers/bundle';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { closeOrm, createOrm, migrate, type MikroORM } from '../../src/db/orm';
import { requireTool } from '../../src/temporal/binaries';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { carrierEventSignal, type TrackingInput } from '../../src/contracts/shipment';
import { workflowIds } from '../../src/contracts/temporal';
import type { shipmentTracking } from '../../workflows/shipment-tracking';
import { dataConverterOf } from '../../src/temporal/codec';
import { benchPayloadCodec, BENCH_SECRETS } from '../lib/secrets';

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 10_000);
/** Parcels that get an event in each round: by default half the fleet each, so every parcel gets exactly one. */
const EVENTS = Math.min(Math.floor(WORKFLOWS / 2), Number(process.env.BENCH_EVENTS ?? WORKFLOWS / 2));
/** The default worker's cache: the production default unless set (bench/tracking/worker.ts). */
const DEFAULT_CACHE = process.env.BENCH_MAX_CACHED_WORKFLOWS;
/** Client calls in flight at once (starts, signals): enough to keep the server busy on 2 cores. */
const IN_FLIGHT = 50;
const TASK_QUEUE = 'bench-tracking';
const TARGET = { rssMb: 600, rateRatio: 0.8 };
/** Past this the run has hung: everything is stopped and the process exits 1. */
const DEADLINE_MS = 40 * 60_000;

const began = Date.now();
const log = (msg: string) => console.log(`[bench ${((Date.now() - began) / 1000).toFixed(1).padStart(6)}s, load ${loadavg()[0].toFixed(1)}] ${msg}`);

class Stack {
  readonly dir = mkdtempSync(join(tmpdir(), 'commerce-bench-tracking-'));
  db?: EmbeddedDatabase;
  temporal?: DevServer;
  readonly workers: ChildProcess[] = [];
  private stopping?: Promise<void>;

  constructor() {
    chmodSync(this.dir, 0o755); // PostgreSQL runs as its own system user when we run as root
    process.on('exit', () => this.killLeftovers());
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const worker of this.workers) await stopWorker(worker);
      await Promise.race([this.temporal?.stop(), sleep(10_000)]);
      await Promise.race([this.db?.stop(), sleep(8_000)]);
      this.killLeftovers();
    })();
    return this.stopping;
  }

  /** Synchronous, so it also works inside process.on('exit'). */
  private killLeftovers(): void {
    for (const child of [...this.workers, this.temporal?.process]) {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const pidFile = join(this.dir, 'pg', 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pid > 0) try { process.kill(pid, 'SIGQUIT'); } catch { /* already gone */ }
    }
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

interface Parcel { shipmentId: string; orderId: string; trackingNumber: string }

async function main(stack: Stack): Promise<void> {
  log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const [db, temporal] = await Promise.all([
    startEmbeddedPostgres({ dataDir: join(stack.dir, 'pg'), port: await freePort(), database: 'bench', persistent: false }),
    startDevServer({ executable: requireTool('cli').path, dbFile: join(stack.dir, 'temporal.sqlite'), headless: true }),
  ]);
  stack.db = db;
  stack.temporal = temporal;
  log(`PostgreSQL on 127.0.0.1:${db.port}; Temporal dev server on ${temporal.address} (SQLite file, journal_mode=WAL, synchronous=NORMAL)`);

  const orm = await createOrm(db.url, 4);
  const connection = await Connection.connect({ address: temporal.address });
  try {
    await migrate(orm);
    const parcels = await seedParcels(orm, WORKFLOWS);
    log(`${parcels.length} orders with a shipped parcel each, in PostgreSQL`);
    const client = new Client({ connection, dataConverter: dataConverterOf(benchPayloadCodec()) });

    // As `npm run build` does for the production worker (workers/bundle.ts): the workflow code bundled once, ahead of
    // time, so neither worker runs webpack (and keeps its memory) in its own process.
    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger('[bench bundler]') });
    writeFileSync(join(stack.dir, 'workflow-bundle.js'), code);
    log(`workflow code bundled ahead of time (${(code.length / 1024).toFixed(0)} KB), as npm run build does`);

    // Round 1, the reference: a worker that caches every parcel.
    const cachingAll = await startWorker(stack, db.url, temporal.address, String(WORKFLOWS + 100));
    const idle = await memory(cachingAll.process);
    log(`worker 1 ready (pid ${cachingAll.process.pid}, maxCachedWorkflows ${cachingAll.cache}): RSS ${mb(idle.rss)}, heap ${mb(idle.heapUsed)}`);
    const start = await startAll(client, parcels);
    await sleep(3_000); // let the worker's heap settle before reading its memory
    const loaded = await memory(cachingAll.process);
    log(`worker 1 with ${parcels.length} idle workflows cached: RSS ${mb(loaded.rss)}, heap ${mb(loaded.heapUsed)}; dev server RSS ${mb(rssOf(temporal.process.pid))}`);
    const reference = await applyEvents(client, orm, parcels.slice(0, EVENTS), 'reference');
    const referenceAfter = await memory(cachingAll.process);
    const stopped = Date.now();
    await stopWorker(cachingAll.process, true);
    log(`worker 1 stopped cleanly in ${((Date.now() - stopped) / 1000).toFixed(1)} s`);

    // Round 2: the production default cache; every parcel of the other half is replayed on its event.
    const bounded = await startWorker(stack, db.url, temporal.address, DEFAULT_CACHE);
    const boundedIdle = await memory(bounded.process);
    log(`worker 2 ready (pid ${bounded.process.pid}, maxCachedWorkflows ${bounded.cache}): RSS ${mb(boundedIdle.rss)}`);
    const peak = sampleRss(bounded.process.pid);
    const evicting = await applyEvents(client, orm, parcels.slice(EVENTS, 2 * EVENTS), 'default cache');
    const boundedPeak = peak.stop();
    await sleep(3_000);
    const boundedAfter = await memory(bounded.process);

    const n = parcels.length;
    const perWorkflowKb = (loaded.rss - idle.rss) / n / 1024;
    const ratio = evicting.rate / reference.rate;
    const rssOk = Math.max(boundedAfter.rss, boundedPeak) / 1024 / 1024 <= TARGET.rssMb;
    console.log(`
Shipment tracking at scale: ${n} concurrent idle workflows, Temporal dev server (SQLite WAL), ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end

  worker 1, caching every parcel (maxCachedWorkflows ${cachingAll.cache})
    RSS, bundled, no workflows                ${mb(idle.rss).padStart(10)}   (heap ${mb(idle.heapUsed)})
    RSS, ${n} idle workflows cached          ${mb(loaded.rss).padStart(10)}   (heap ${mb(loaded.heapUsed)})
    RSS per cached idle workflow              ${`${perWorkflowKb.toFixed(1)} KB`.padStart(10)}
    RSS after its ${EVENTS} events               ${mb(referenceAfter.rss).padStart(10)}
    start ${n} workflows, all idle         ${`${start.toFixed(1)} s`.padStart(10)}   ${(n / start).toFixed(0)} starts/s
    ${reference.line}
  worker 2, the default cache (maxCachedWorkflows ${bounded.cache}); its ${EVENTS} parcels are not cached: each replays on its event
    RSS, no workflows cached                  ${mb(boundedIdle.rss).padStart(10)}
    RSS, peak while applying events           ${mb(boundedPeak).padStart(10)}   target <= ${TARGET.rssMb} MB: ${rssOk ? 'PASS' : 'MISS'}
    RSS after, ${bounded.cache} cached                ${mb(boundedAfter.rss).padStart(10)}   (heap ${mb(boundedAfter.heapUsed)})
    ${evicting.line}
  event rate, default cache / every parcel cached: ${ratio.toFixed(2)}   target >= ${TARGET.rateRatio}: ${ratio >= TARGET.rateRatio ? 'PASS' : 'MISS'}
  load average while each round ran: ${reference.load.toFixed(1)} (every parcel cached), ${evicting.load.toFixed(1)} (default cache)
`);
  } finally {
    await connection.close();
    await closeOrm(orm);
  }
}

/** Starts every parcel's tracking workflow; resolves once each has run its first task and waits on its timer. */
async function startAll(client: Client, parcels: Parcel[]): Promise<number> {
  const shippedAt = new Date().toISOString();
  const t = Date.now();
  await inPool(parcels, IN_FLIGHT, (p) => client.workflow.start<typeof shipmentTracking>('shipmentTracking', {
    taskQueue: TASK_QUEUE, workflowId: workflowIds.shipment(p.shipmentId),
    args: [{ shipmentId: p.shipmentId, orderId: p.orderId, trackingNumber: p.trackingNumber, carrier: 'simulated', shippedAt,
      pollEvery: '6 hours', stallAfter: '5 days' } satisfies TrackingInput],
  }));
  log(`${parcels.length} tracking workflows started in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  // Each one's first workflow task upserts ShipmentStatus=label_created: once all show it, all are idle on their timer.
  await until(() => client.workflow.count(`TaskQueue = "${TASK_QUEUE}" AND ShipmentStatus = "label_created"`).then((c) => c.count), parcels.length);
  const seconds = (Date.now() - t) / 1000;
  log(`all ${parcels.length} idle on their 6-hour poll timer after ${seconds.toFixed(1)} s`);
  return seconds;
}

interface Round { rate: number; load: number; line: string }

/** One in_transit scan to each of `parcels`; the rate is scans stored per second, from the first signal to the last row. */
async function applyEvents(client: Client, orm: MikroORM, parcels: Parcel[], name: string): Promise<Round> {
  const conn = orm.em.fork().getConnection();
  // Each event stores one row; the rows before this round are the other rounds'.
  const count = async () => Number((await conn.execute<{ n: string }[]>('select count(*) as n from shipment_events'))[0].n);
  const before = await count();
  const stored = async () => (await count()) - before;
  const sentAt = new Map<string, number>();
  const load0 = loadavg()[0];
  const t = Date.now();
  await inPool(parcels, IN_FLIGHT, async (p) => {
    sentAt.set(p.shipmentId, Date.now());
    await client.workflow.getHandle(workflowIds.shipment(p.shipmentId)).signal(carrierEventSignal,
      { eventId: `bench-${p.trackingNumber}-1`, status: 'in_transit', occurredAt: new Date().toISOString(), description: 'Departed the sorting centre' });
  });
  const sendSeconds = (Date.now() - t) / 1000;
  await until(stored, parcels.length, 200);
  const appliedSeconds = (Date.now() - t) / 1000;
  const rows = (await conn.execute<{ shipment_id: string; recorded_at: Date }[]>('select shipment_id, recorded_at from shipment_events'))
    .filter((r) => sentAt.has(r.shipment_id));
  const latencies = rows.map((r) => new Date(r.recorded_at).getTime() - (sentAt.get(r.shipment_id) ?? NaN)).sort((a, b) => a - b);
  const rate = parcels.length / appliedSeconds;
  log(`${name}: ${parcels.length} events signalled in ${sendSeconds.toFixed(1)} s, all stored after ${appliedSeconds.toFixed(1)} s (${rate.toFixed(1)}/s)`);
  return { rate, load: (load0 + loadavg()[0]) / 2,
    line: `one event to each of ${parcels.length} parcels: signalled in ${sendSeconds.toFixed(1)} s, every scan stored after ${appliedSeconds.toFixed(1)} s = ` +
      `${rate.toFixed(1)} events applied/s; signal → scan stored p50 ${ms(pct(latencies, 0.5))}, p95 ${ms(pct(latencies, 0.95))}, max ${ms(latencies[latencies.length - 1])}` };
}

async function seedParcels(orm: MikroORM, n: number): Promise<Parcel[]> {
  const conn = orm.em.fork().getConnection();
  await conn.execute(`
    insert into orders (idempotency_key, request_hash, status, email, shipping_address, currency, subtotal_amount, total_amount)
    select 'bench-' || i, 'bench', 'shipped', 'parcel' || i || '@example.com', '{"name": "Bench"}', 'USD', 1000, 1000
      from generate_series(1, ?) as i`, [n]);
  await conn.execute(`
    insert into shipments (order_id, carrier, tracking_number, status)
    select id, 'simulated', 'BENCH' || substr(replace(id::text, '-', ''), 1, 12), 'label_created' from orders`);
  const rows = await conn.execute<{ id: string; order_id: string; tracking_number: string }[]>('select id, order_id, tracking_number from shipments');
  return rows.map((r) => ({ shipmentId: r.id, orderId: r.order_id, trackingNumber: r.tracking_number }));
}

async function startWorker(stack: Stack, databaseUrl: string, temporalAddress: string, maxCached: string | undefined): Promise<{ process: ChildProcess; cache: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'worker.ts')], {
    // MALLOC_ARENA_MAX as the production image sets it (Dockerfile), unless the run sets another.
    env: { MALLOC_ARENA_MAX: '2', ...process.env, ...BENCH_SECRETS, LOG_LEVEL: 'silent', NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'true', BENCH_DATABASE_URL: databaseUrl, BENCH_TEMPORAL_ADDRESS: temporalAddress,
      BENCH_TASK_QUEUE: TASK_QUEUE, BENCH_MAX_CACHED_WORKFLOWS: maxCached ?? '', BENCH_WORKFLOW_BUNDLE: join(stack.dir, 'workflow-bundle.js') },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  stack.workers.push(child);
  const cache = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the worker did not start within 120 s')), 120_000);
    child.once('message', (m: { maxCachedWorkflows?: number }) => { clearTimeout(timer); resolve(Number(m.maxCachedWorkflows)); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the worker exited with code ${code} while starting`)); });
  });
  return { process: child, cache };
}

/** `clean`: the worker shuts down through the SDK (its sticky queue released); otherwise it just exits. */
async function stopWorker(worker: ChildProcess, clean = false): Promise<void> {
  if (worker.exitCode !== null || worker.signalCode !== null) return;
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  if (clean) worker.send({ type: 'stop' });
  else worker.kill('SIGTERM');
  await Promise.race([exited, sleep(clean ? 120_000 : 8_000)]);
  if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
}

/** The highest RSS of a process, read every 500 ms until stopped. */
function sampleRss(pid: number | undefined): { stop(): number } {
  let peak = rssOf(pid);
  const timer = setInterval(() => { peak = Math.max(peak, rssOf(pid)); }, 500);
  return { stop: () => { clearInterval(timer); return Math.max(peak, rssOf(pid)); } };
}

function memory(worker: ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string; usage?: NodeJS.MemoryUsage }) => {
      if (m.type !== 'memory' || !m.usage) return;
      worker.off('message', onMessage);
      resolve(m.usage);
    };
    worker.on('message', onMessage);
    worker.send({ type: 'memory' });
  });
}

function rssOf(pid: number | undefined): number {
  if (!pid || !existsSync(`/proc/${pid}/status`)) return NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN) * 1024;
}

async function inPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function until(read: () => Promise<number>, target: number, everyMs = 1_000): Promise<void> {
  for (;;) {
    if ((await read()) >= target) return;
    await sleep(everyMs); // visibility counts hit the same SQLite file the server writes: ask sparingly
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ms = (value: number) => (value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(0)} ms`);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

const stack = new Stack();
const watchdog = setTimeout(() => {
  console.error(`[bench] still running after ${DEADLINE_MS / 60_000} minutes: stopping`);
  void stack.stop().finally(() => process.exit(1));
}, DEADLINE_MS);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`[bench] ${signal}: stopping`);
    void stack.stop().finally(() => process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]));
  });
}
main(stack).then(
  async () => {
    clearTimeout(watchdog);
    await stack.stop();
    log('stopped and cleaned up');
  },
  async (err: unknown) => {
    clearTimeout(watchdog);
    console.error(`[bench] failed: ${(err as Error).stack ?? String(err)}`);
    await stack.stop();
    process.exit(1);
  },
);
