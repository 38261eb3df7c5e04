/**
 * `npm run bench:checkout -- --stack`: the checkout benchmark on the production topology
 * (src/stack/stack.ts: the Temporal server on PostgreSQL, two API processes, the worker processes
 * of workers/main.ts compiled, as docker-compose.yml runs them) instead of the dev server. It prints
 * orders/s with two worker processes and with one, and, on the same server, the bare workflow of the
 * same shape (bare-workflows.ts) run by one worker process of its own, so the ratio compares one
 * worker process with one. Orders stop at the hand-over to fulfillment (FULFILLMENT_AUTO_PACK=false)
 * as in the default mode; every order is checked in the database afterwards.
 *
 *   npm run bench:checkout -- --stack [--orders 200 --concurrency 10 --warmup 10]
 */
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { connectClient } from '../../src/temporal/client';
import { benchPayloadCodec } from '../lib/secrets';
import { Stack, type RunningStack } from '../../src/stack/stack';
import { childrenOf, machineBusySeconds, postmasterPid, processSeconds } from '../lib/proc';
import { benchTempDir } from '../lib/postgres';
import { runBench } from '../lib/run';
import { checkOrders, ITEMS_PER_CART, pickSkus, prepareDatabase } from './database';
import { bareRun, buildCart, checkout, closedLoop, HANDED_OVER, OrderWatcher, type Timed } from './load';
import { p50p99, table, type Row } from './report';
import { CheckoutBenchStack } from './stack';

const BARE_TASK_QUEUE = 'bench-bare';
/** Starting the topology (Go builds on a machine's first run: about 5 minutes) and three measured phases. */
const DEADLINE_MS = 900_000;
const PARTS = ['api', 'workers', 'temporal', 'postgres'] as const;
type Part = (typeof PARTS)[number];

interface Options { orders: number; concurrency: number; warmup: number }
interface Phase { label: string; kind: 'bare' | 'checkout'; workers: 1 | 2; results: Timed[]; wallMs: number; cpuMs: Record<Part | 'others', number> }

export function benchTopology(opts: Options): void {
  const dir = benchTempDir('commerce-bench-topology-');
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const started = Date.now();
  const log = (msg: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}`);
  // The benchmark ends at the hand-over, as the default mode does; quiet processes: their logs go to files anyway.
  // Every order comes from one address: the per-address limits stay in the path (their counting is part of the
  // cost measured), far above what one run places, as in the default mode (api-process.ts).
  const stack = new Stack({ dataDir: dir, autoPorts: true, scale: { worker: 2 }, seed: false, say: log,
    env: { ...env, FULFILLMENT_AUTO_PACK: env.FULFILLMENT_AUTO_PACK ?? 'false', LOG_LEVEL: env.LOG_LEVEL ?? 'warn',
      RATE_LIMIT_CARTS_PER_IP: '10000000/1h', RATE_LIMIT_CHECKOUTS_PER_IP: '10000000/1h', RATE_LIMIT_DECLINES_PER_IP: '10000000/1h' } });
  const helpers = new CheckoutBenchStack(); // for its bare worker process (bench/checkout/worker-process.ts)
  process.on('exit', () => stack.supervisor.signalAll('SIGTERM'));
  const teardown = { stop: async () => {
    await helpers.stop();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  } };
  runBench(teardown, async () => measure(await stack.start(), helpers, dir, opts, log), DEADLINE_MS);
}

async function measure(running: RunningStack, helpers: CheckoutBenchStack, dir: string, o: Options, log: (msg: string) => void): Promise<number> {
  log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  log(`topology up: Temporal ${running.versions.server} on PostgreSQL at ${running.temporalAddress}, API ${running.api.join(' and ')}, `
    + `${running.workerMetrics.length} worker processes`);
  const skus = await prepareDatabase(running.databaseUrl);
  const bare = await helpers.startChild('bare worker', 'worker-process.ts', {
    BENCH_DATABASE_URL: running.databaseUrl, BENCH_TEMPORAL_ADDRESS: running.temporalAddress,
    // worker-process.ts also runs a checkout worker: on a queue nobody uses here, so it only idles.
    BENCH_TASK_QUEUE: 'bench-idle', BENCH_BARE_TASK_QUEUE: BARE_TASK_QUEUE, LOG_LEVEL: 'warn' });
  // Only the bare yardstick's workflows go through this client: they use the bare worker's key (bench/lib/secrets.ts).
  const temporal = await connectClient({ address: running.temporalAddress, namespace: running.namespace, payloadCodec: benchPayloadCodec() });
  const watcher = await OrderWatcher.connect(running.databaseUrl, HANDED_OVER);
  try {
    const total = o.warmup + 2 * o.orders;
    const carts = (await closedLoop(total, o.concurrency, (i) => buildCart(running.api[i % running.api.length], pickSkus(skus, i)))).results;
    log(`${total} carts built (${ITEMS_PER_CART} SKUs each), before any measurement`);
    let next = 0;
    const runId = Date.now().toString(36);
    const pids = () => pidsOf(running, dir, bare.process.pid!);
    const phase = async (label: string, kind: Phase['kind'], workers: Phase['workers'], count: number): Promise<Phase> => {
      const before = cpuSnapshot(pids());
      const run = await closedLoop(count, o.concurrency, (i) => kind === 'bare'
        ? bareRun(temporal.client, BARE_TASK_QUEUE, { toHandOver: true }, `${runId}-${label}`, i)
        : checkout(running.api[i % running.api.length], carts[next++], watcher));
      const p: Phase = { label, kind, workers, ...run, cpuMs: cpuPerUnit(before, cpuSnapshot(pids()), count) };
      log(`${label}: ${count} in ${(run.wallMs / 1000).toFixed(1)} s = ${(count / (run.wallMs / 1000)).toFixed(2)}/s`);
      return p;
    };
    await phase('warm-up bare', 'bare', 1, o.warmup);
    await phase('warm-up checkout', 'checkout', 2, o.warmup);
    const phases = [await phase('checkout, 2 worker processes', 'checkout', 2, o.orders)];
    await running.supervisor.stop('worker-2');
    log('worker-2 stopped: one worker process from here on');
    const half = [Math.ceil(o.orders / 2), Math.floor(o.orders / 2)];
    phases.push(await phase('bare, 1 worker process (a)', 'bare', 1, half[0]), await phase('checkout, 1 worker process (a)', 'checkout', 1, half[0]),
      await phase('checkout, 1 worker process (b)', 'checkout', 1, half[1]), await phase('bare, 1 worker process (b)', 'bare', 1, half[1]));
    const check = await checkOrders(running.databaseUrl, total, 'hand_over');
    log(`database check: ${check.summary}`);
    report(phases, o, running);
    if (check.ok) return 0;
    console.error(`\n[bench] the orders did not end as they should: ${check.summary}`);
    return 1;
  } finally {
    await Promise.allSettled([watcher.close(), temporal.connection.close()]);
  }
}

function report(phases: Phase[], o: Options, running: RunningStack): void {
  const of = (kind: Phase['kind'], workers: number) => phases.filter((p) => p.kind === kind && p.workers === workers);
  const rate = (ps: Phase[]) => ps.reduce((s, p) => s + p.results.length, 0) / (ps.reduce((s, p) => s + p.wallMs, 0) / 1000);
  const cpu = (ps: Phase[]) => Object.fromEntries([...PARTS, 'others' as const].map((part) => [part,
    ps.reduce((s, p) => s + p.cpuMs[part] * p.results.length, 0) / ps.reduce((s, p) => s + p.results.length, 0)])) as Phase['cpuMs'];
  const [two, one, bare] = [of('checkout', 2), of('checkout', 1), of('bare', 1)];
  const latency = (ps: Phase[]) => p50p99(ps.flatMap((p) => p.results.map((r) => r.doneAt - r.startedAt)));
  const cpuCell = (c: Phase['cpuMs']) => `${PARTS.map((part) => `${part} ${c[part].toFixed(0)}`).join(', ')} ms`;
  const rows: Row[] = [
    { metric: `checkout (REST → awaiting_fulfillment), 2 worker processes, ${o.concurrency} at a time`, measured: `${rate(two).toFixed(2)} orders/s` },
    { metric: `checkout, 1 worker process, ${o.concurrency} at a time`, measured: `${rate(one).toFixed(2)} orders/s` },
    { metric: 'scaling: 2 worker processes / 1', measured: (rate(two) / rate(one)).toFixed(2) },
    { metric: `bare workflow (6 no-op activities, 2 children), 1 worker process, ${o.concurrency} at a time`, measured: `${rate(bare).toFixed(2)} workflows/s` },
    { metric: 'ratio checkout / bare, 1 worker process each', measured: (rate(one) / rate(bare)).toFixed(2) },
    { metric: 'p50 / p99 POST → awaiting_fulfillment, 2 / 1 worker processes (closed loop: mostly queueing)', measured: `${latency(two)}; ${latency(one)}` },
    { metric: 'CPU per order, 2 worker processes', measured: cpuCell(cpu(two)) },
    { metric: 'CPU per order, 1 worker process', measured: cpuCell(cpu(one)) },
    { metric: 'CPU per bare workflow, 1 worker process', measured: cpuCell(cpu(bare)) },
  ];
  console.log(`\nCheckout benchmark on the production topology, ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}; `
    + `Temporal ${running.versions.server} on PostgreSQL (4 history shards), 2 API processes; ${o.orders} checkouts with 2 worker processes, `
    + `${o.orders} with 1, ${o.orders} bare workflows, ${o.concurrency} at a time\n`);
  console.log(table(rows));
  const others = Math.max(...phases.map((p) => p.cpuMs.others));
  console.log(`\nOther processes on the machine: up to ${others.toFixed(0)} ms of CPU per order or workflow during a phase${others > 50 ? ' (noisy: run again on a quiet machine)' : ''}.`);
}

type Pids = Record<Part, number[]>;

function pidsOf(running: RunningStack, dir: string, barePid: number): Pids {
  const of = (service: string) => running.processes().filter((p) => p.service === service && p.running && p.pid).map((p) => p.pid!);
  const postmasters = ['shop-db-data', 'temporal-db-data'].map((v) => postmasterPid(join(dir, 'volumes', v))).filter((p): p is number => p !== undefined);
  return { api: of('api'), workers: [...of('worker'), barePid], temporal: of('temporal'), postgres: postmasters };
}

interface CpuSnapshot { parts: Record<Part, number>; machine: number; self: number }

function cpuSnapshot(pids: Pids): CpuSnapshot {
  const family = (pid: number) => [pid, ...childrenOf(pid)]; // a postmaster and its backends, or a process and what it started
  const parts = Object.fromEntries(PARTS.map((part) => [part, pids[part].flatMap(family).reduce((s, pid) => s + processSeconds(pid), 0)])) as Record<Part, number>;
  const usage = process.cpuUsage();
  return { parts, machine: machineBusySeconds(), self: (usage.user + usage.system) / 1e6 };
}

/** CPU milliseconds per unit of work for each part; `others` is everything else on the machine but this load generator. */
function cpuPerUnit(before: CpuSnapshot, after: CpuSnapshot, units: number): Phase['cpuMs'] {
  const per = (seconds: number) => (Math.max(0, seconds) * 1000) / Math.max(1, units);
  const parts = Object.fromEntries(PARTS.map((part) => [part, per(after.parts[part] - before.parts[part])])) as Record<Part, number>;
  const ours = PARTS.reduce((s, part) => s + after.parts[part] - before.parts[part], 0) + after.self - before.self;
  return { ...parts, others: per(after.machine - before.machine - ours) };
}
