/**
 * `npm run bench:tracking`: 5,000 shipment-tracking workflows idle at once on a Temporal dev
 * server (SQLite in WAL mode), one worker in a process of its own. Prints the worker's memory
 * with none and with 5,000 parcels in its cache, and how long it takes to deliver one carrier
 * event to every parcel (signal all, wait until every scan is stored). A report, not a test:
 * everything runs on 127.0.0.1 in a temp directory that is deleted afterwards, within a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/db/embedded';
import { closeOrm, createOrm, migrate, type MikroORM } from '../../src/db/orm';
import { requireTool } from '../../src/temporal/binaries';
import { freePort, startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { carrierEventSignal, type TrackingInput } from '../../src/contracts/shipment';
import { workflowIds } from '../../src/contracts/temporal';
import type { shipmentTracking } from '../../workflows/shipment-tracking';

const WORKFLOWS = Number(process.env.BENCH_WORKFLOWS ?? 5_000);
/** Every parcel stays in the worker's cache, so the memory figure is that of 5,000 live workflows. */
const MAX_CACHED = Number(process.env.BENCH_MAX_CACHED_WORKFLOWS ?? WORKFLOWS);
/** Client calls in flight at once (starts, signals): enough to keep the server busy on 2 cores. */
const IN_FLIGHT = 50;
const TASK_QUEUE = 'bench-tracking';
/** Past this the run has hung: everything is stopped and the process exits 1. */
const DEADLINE_MS = 14 * 60_000;

const began = Date.now();
const log = (msg: string) => console.log(`[bench ${((Date.now() - began) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

class Stack {
  readonly dir = mkdtempSync(join(tmpdir(), 'commerce-bench-tracking-'));
  db?: EmbeddedDatabase;
  temporal?: DevServer;
  worker?: ChildProcess;
  private stopping?: Promise<void>;

  constructor() {
    chmodSync(this.dir, 0o755); // PostgreSQL runs as its own system user when we run as root
    process.on('exit', () => this.killLeftovers());
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const worker = this.worker;
      if (worker && worker.exitCode === null && worker.signalCode === null) {
        const exited = new Promise((resolve) => worker.once('exit', resolve));
        worker.kill('SIGTERM');
        await Promise.race([exited, sleep(8_000)]);
      }
      await Promise.race([this.temporal?.stop(), sleep(10_000)]);
      await Promise.race([this.db?.stop(), sleep(8_000)]);
      this.killLeftovers();
    })();
    return this.stopping;
  }

  /** Synchronous, so it also works inside process.on('exit'). */
  private killLeftovers(): void {
    for (const child of [this.worker, this.temporal?.process]) {
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
  try {
    await migrate(orm);
    const parcels = await seedParcels(orm, WORKFLOWS);
    log(`${parcels.length} orders with a shipped parcel each, in PostgreSQL`);

    const worker = await startWorker(stack, db.url, temporal.address);
    const idle = await memory(worker);
    log(`worker ready (pid ${worker.pid}, workflows bundled, maxCachedWorkflows ${MAX_CACHED}): RSS ${mb(idle.rss)}, heap ${mb(idle.heapUsed)}`);

    const connection = await Connection.connect({ address: temporal.address });
    try {
      const client = new Client({ connection });
      await measure(client, orm, { worker, devServerPid: temporal.process.pid }, parcels, idle);
    } finally {
      await connection.close();
    }
  } finally {
    await closeOrm(orm);
  }
}

interface Processes { worker: ChildProcess; devServerPid?: number }

async function measure(client: Client, orm: MikroORM, { worker, devServerPid }: Processes, parcels: Parcel[], idle: NodeJS.MemoryUsage): Promise<void> {
  const shippedAt = new Date().toISOString();
  let t = Date.now();
  await inPool(parcels, IN_FLIGHT, (p) => client.workflow.start<typeof shipmentTracking>('shipmentTracking', {
    taskQueue: TASK_QUEUE, workflowId: workflowIds.shipment(p.shipmentId),
    args: [{ shipmentId: p.shipmentId, orderId: p.orderId, trackingNumber: p.trackingNumber, carrier: 'simulated', shippedAt,
      pollEvery: '6 hours', stallAfter: '5 days' } satisfies TrackingInput],
  }));
  const startSeconds = (Date.now() - t) / 1000;
  log(`${parcels.length} tracking workflows started in ${startSeconds.toFixed(1)} s`);
  // Each one's first workflow task upserts ShipmentStatus=label_created: once all show it, all are idle on their timer.
  await until(() => client.workflow.count(`TaskQueue = "${TASK_QUEUE}" AND ShipmentStatus = "label_created"`).then((c) => c.count), parcels.length);
  const settledSeconds = (Date.now() - t) / 1000;
  log(`all ${parcels.length} idle on their 6-hour poll timer after ${settledSeconds.toFixed(1)} s`);
  await sleep(3_000); // let the worker's heap settle before reading its memory
  const loaded = await memory(worker);
  log(`worker with ${parcels.length} idle workflows cached: RSS ${mb(loaded.rss)}, heap ${mb(loaded.heapUsed)}; dev server RSS ${mb(rssOf(devServerPid))}`);

  const sentAt = new Map<string, number>();
  t = Date.now();
  await inPool(parcels, IN_FLIGHT, async (p) => {
    sentAt.set(p.shipmentId, Date.now());
    await client.workflow.getHandle(workflowIds.shipment(p.shipmentId)).signal(carrierEventSignal,
      { eventId: `bench-${p.trackingNumber}-1`, status: 'in_transit', occurredAt: new Date().toISOString(), description: 'Departed the sorting centre' });
  });
  const sendSeconds = (Date.now() - t) / 1000;
  log(`one carrier event signalled to each of ${parcels.length} workflows in ${sendSeconds.toFixed(1)} s`);
  const conn = orm.em.fork().getConnection();
  await until(async () => Number((await conn.execute<{ n: string }[]>('select count(*) as n from shipment_events'))[0].n), parcels.length);
  const appliedSeconds = (Date.now() - t) / 1000;
  await until(() => client.workflow.count(`TaskQueue = "${TASK_QUEUE}" AND ShipmentStatus = "in_transit"`).then((c) => c.count), parcels.length);
  const visibleSeconds = (Date.now() - t) / 1000;
  const stored = await conn.execute<{ shipment_id: string; recorded_at: Date }[]>('select shipment_id, recorded_at from shipment_events');
  const latencies = stored.map((r) => new Date(r.recorded_at).getTime() - (sentAt.get(r.shipment_id) ?? NaN)).sort((a, b) => a - b);
  const after = await memory(worker);

  const n = parcels.length;
  const perWorkflowKb = (loaded.rss - idle.rss) / n / 1024;
  console.log(`
Shipment tracking at scale: ${n} concurrent idle workflows, one worker, Temporal dev server (SQLite WAL), ${cpus().length} cores

  worker RSS, bundled, no workflows         ${mb(idle.rss).padStart(10)}   (heap ${mb(idle.heapUsed)})
  worker RSS, ${n} idle workflows cached   ${mb(loaded.rss).padStart(10)}   (heap ${mb(loaded.heapUsed)})
  worker RSS, after one event each          ${mb(after.rss).padStart(10)}   (heap ${mb(after.heapUsed)})
  RSS per idle workflow                     ${`${perWorkflowKb.toFixed(1)} KB`.padStart(10)}

  start ${n} workflows                     ${`${startSeconds.toFixed(1)} s`.padStart(10)}   ${(n / startSeconds).toFixed(0)} starts/s
  ... all idle on their timer              ${`${settledSeconds.toFixed(1)} s`.padStart(10)}
  signal one event to each                  ${`${sendSeconds.toFixed(1)} s`.padStart(10)}   ${(n / sendSeconds).toFixed(0)} signals/s
  ... every scan stored (PostgreSQL)        ${`${appliedSeconds.toFixed(1)} s`.padStart(10)}   ${(n / appliedSeconds).toFixed(0)} events applied/s
  ... every ShipmentStatus=in_transit       ${`${visibleSeconds.toFixed(1)} s`.padStart(10)}
  signal → scan stored, per parcel          p50 ${ms(pct(latencies, 0.5))}, p95 ${ms(pct(latencies, 0.95))}, max ${ms(latencies[latencies.length - 1])}
`);
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

async function startWorker(stack: Stack, databaseUrl: string, temporalAddress: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'worker.ts')], {
    env: { ...process.env, LOG_LEVEL: 'silent', NODE_ENV: 'production', ALLOW_SIMULATED_PAYMENTS: 'true', BENCH_DATABASE_URL: databaseUrl, BENCH_TEMPORAL_ADDRESS: temporalAddress,
      BENCH_TASK_QUEUE: TASK_QUEUE, BENCH_MAX_CACHED_WORKFLOWS: String(MAX_CACHED) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  stack.worker = child;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the worker did not start within 120 s')), 120_000);
    child.once('message', () => { clearTimeout(timer); resolve(); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the worker exited with code ${code} while starting`)); });
  });
  return child;
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
  if (!pid) return NaN;
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? NaN) * 1024;
}

async function inPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function until(read: () => Promise<number>, target: number): Promise<void> {
  for (;;) {
    if ((await read()) >= target) return;
    await sleep(1_000); // visibility counts hit the same SQLite file the server writes: ask sparingly
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
