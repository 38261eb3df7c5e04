/**
 * `npm run bench:import [-- --products 100000]`: the bulk import of a generated catalog (about six
 * variants per product, USD and EUR prices, categories, attributes, collections, image URLs) into an
 * empty catalog, end to end: POST /admin/catalog/imports streaming the CSV to the API, then the
 * workflow catalog-import-<id> on a worker in its own process (validation, then the writes), on a
 * throw-away PostgreSQL and Temporal dev server. Prints rows/s and products/s, the time of each
 * phase (from the workflow's history), and the CPU each process used, against the target (100,000
 * products in 120 s on this 2-core machine). A report, not a test: exits 0 on MISS.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { closeOrm, createOrm, migrate } from '../../src/db/orm';
import { generatedCatalogCsv } from '../../src/db/generated-catalog';
import { buildApp } from '../../src/api/app';
import { logger } from '../../src/logger';
import { connectClient } from '../../src/temporal/client';
import { ensureStaffKey } from '../../src/store/staff';
import { workflowIds } from '../../src/contracts/temporal';
import { childrenOf, commandLine, machineBusySeconds, processSeconds, postmasterPid, reapedChildrenSeconds } from '../lib/proc';
import { runBench } from '../lib/run';
import { argument, argumentsOf, slowestStatements, STATEMENT_SETTINGS, STATEMENTS } from './statements';
import { benchPayloadCodec } from '../lib/secrets';
import { CheckoutBenchStack } from '../checkout/stack';

const TARGET_SECONDS = 120;
const TARGET_PRODUCTS = 100_000;
const DEADLINE_MS = 20 * 60_000;
const TASK_QUEUE = 'bench-import';
const STAFF_KEY = 'staff_bench-import-key-0123456789abcdefghijk';
/**
 * PostgreSQL sized for the catalog it ends with (about 1.4 GB with its indexes), as a production
 * server would be (shared_buffers about a quarter of the memory of a small machine; WAL room for a
 * bulk load between checkpoints). PostgreSQL's defaults (128MB, 1GB) make every batch evict and
 * write back pages of the indexes it inserts into once they outgrow 128 MB: `--shared-buffers 128MB
 * --max-wal-size 1GB` measures that.
 */
const PG_SETTINGS: Record<string, string> = {
  shared_buffers: argument('--shared-buffers') ?? '1GB', max_wal_size: argument('--max-wal-size') ?? '4GB',
  ...Object.fromEntries(argumentsOf('--pg').map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)])),
  // `--statements N`: PostgreSQL's N most expensive statements, to see where a batch's time goes.
  ...STATEMENT_SETTINGS,
};

const started = Date.now();
const log = (msg: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${msg}`);

async function main(stack: CheckoutBenchStack): Promise<number> {
  const products = Number(argument('--products') ?? TARGET_PRODUCTS);
  log(`node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const db = await stack.startPostgres(PG_SETTINGS);
  log(`PostgreSQL: ${Object.entries(PG_SETTINGS).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const temporal = await stack.startTemporal();
  const orm = await createOrm(db.url, 4);
  await migrate(orm);
  if (STATEMENTS) await orm.em.fork().getConnection().execute('create extension if not exists pg_stat_statements');
  await ensureStaffKey(orm.em.fork(), { name: 'bench', roles: ['catalog'], key: STAFF_KEY, label: 'bench:import' });

  const file = join(stack.dir, 'catalog.csv');
  const generating = Date.now();
  const out = createWriteStream(file);
  for (const piece of generatedCatalogCsv(products)) if (!out.write(piece)) await new Promise<void>((r) => out.once('drain', () => r()));
  out.end();
  await finished(out);
  const bytes = statSync(file).size;
  log(`generated ${products} products as CSV: ${(bytes / 1e6).toFixed(1)} MB in ${((Date.now() - generating) / 1000).toFixed(1)} s (not counted)`);

  const worker = await stack.startChild('worker', '../import/worker-process.ts',
    { BENCH_DATABASE_URL: db.url, BENCH_TEMPORAL_ADDRESS: temporal.address, BENCH_TASK_QUEUE: TASK_QUEUE, LOG_LEVEL: 'warn' });
  const client = await connectClient({ address: temporal.address, namespace: 'default', payloadCodec: benchPayloadCodec() });
  const app = buildApp({ orm, logger: logger.child({}, { level: 'silent' }), temporal: client, taskQueue: TASK_QUEUE });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const headers = { Authorization: `Bearer ${STAFF_KEY}` };

  const pg = postmasterPid(stack.pgDataDir);
  const cpu = () => ({
    machine: machineBusySeconds(), api: processSeconds(process.pid), worker: processSeconds(worker.process.pid as number),
    postgres: pg ? [pg, ...childrenOf(pg)].reduce((s, pid) => s + processSeconds(pid), 0) : 0,
    temporal: temporal.process.pid ? processSeconds(temporal.process.pid) : 0,
  });
  /** PostgreSQL's CPU by process role: the import's connections, the WAL writer, checkpointer, background writer, exited workers (autovacuum's). */
  const pgRoles = () => {
    const roles: Record<string, number> = { 'exited workers': pg ? reapedChildrenSeconds(pg) : 0 };
    for (const pid of pg ? childrenOf(pg) : []) {
      const title = commandLine(pid).replace(/^postgres: /, '');
      const role = /\(\d+\)/.test(title) ? 'connections' : title.replace(/ \d+$/, 's').replace(/^autovacuum worker.*$/, 'autovacuum worker');
      roles[role] = (roles[role] ?? 0) + processSeconds(pid);
    }
    return roles;
  };
  const rolesBefore = pgRoles();
  const before = cpu();
  const t0 = Date.now();
  const res = await fetch(`${url}/admin/catalog/imports`, {
    method: 'POST', headers: { ...headers, 'content-type': 'text/csv', 'Idempotency-Key': `bench-import-${products}` },
    body: Readable.toWeb(createReadStream(file)), duplex: 'half',
  } as unknown as RequestInit);
  const accepted = (await res.json()) as { id: string; rows: { total: number }; error?: unknown };
  if (res.status !== 202) throw new Error(`POST answered ${res.status}: ${JSON.stringify(accepted)}`);
  const uploaded = Date.now();
  log(`uploaded in ${((uploaded - t0) / 1000).toFixed(1)} s: import ${accepted.id}, ${accepted.rows.total} rows`);
  let last: Record<string, unknown> & { status: string; rows: { done: number; failed: number; total: number; checked: number } };
  for (;;) {
    last = await (await fetch(`${url}/admin/catalog/imports/${accepted.id}?errorsLimit=5`, { headers })).json() as typeof last;
    if (['completed', 'rejected', 'failed'].includes(last.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const ended = Date.now();
  const after = cpu();
  const rolesAfter = pgRoles();
  const total = (ended - t0) / 1000;
  const phases = await phasesOf(client.client, workflowIds.catalogImport(accepted.id), uploaded);
  await new Promise((r) => server.close(r));
  await client.connection.close();
  const counts = await orm.em.fork().getConnection().execute<{ products: string; variants: string; prices: string }[]>(
    'select (select count(*) from products) as products, (select count(*) from variants) as variants, (select count(*) from variant_prices) as prices');
  const io = STATEMENTS ? await orm.em.fork().getConnection().execute<Record<string, unknown>[]>(
    `select (select row_to_json(w) from pg_stat_wal w) as wal, (select row_to_json(c) from pg_stat_checkpointer c) as checkpointer,
       (select row_to_json(b) from pg_stat_bgwriter b) as bgwriter,
       (select json_agg(json_build_object('b', backend_type, 'o', object, 'c', context, 'w', writes, 'wb', write_bytes, 'e', extends, 'r', reads))
          from pg_stat_io where coalesce(writes, 0) + coalesce(extends, 0) + coalesce(reads, 0) > 0) as io,
       (select json_agg(json_build_object('t', relname, 'v', autovacuum_count, 'a', autoanalyze_count)) from pg_stat_user_tables
         where autovacuum_count + autoanalyze_count > 0) as vacuum`) : [];
  const statements = STATEMENTS ? await slowestStatements(orm.em.fork(), 220) : [];
  await closeOrm(orm);

  console.log('');
  console.log(`import of ${products} products (${accepted.rows.total} rows, ${(bytes / 1e6).toFixed(1)} MB): ${last.status}, ${JSON.stringify(last.products)}, errors ${String(last.errorCount)}`);
  console.log(`  in the catalog now: ${counts[0].products} products, ${counts[0].variants} variants, ${counts[0].prices} prices`);
  console.log(`  total ${total.toFixed(1)} s: ${Math.round(accepted.rows.total / total)} rows/s, ${Math.round(products / total)} products/s`);
  console.log('  phase                    seconds  share');
  const rows: [string, number][] = [['upload (POST, parse, store)', (uploaded - t0) / 1000], ...phases, ['polling slack', 0]];
  const accounted = rows.reduce((s, [, v]) => s + v, 0);
  rows[rows.length - 1][1] = Math.max(0, total - accounted);
  for (const [name, seconds] of rows) console.log(`  ${name.padEnd(24)} ${seconds.toFixed(1).padStart(7)}  ${((seconds / total) * 100).toFixed(0).padStart(4)}%`);
  const used = (k: keyof typeof before) => (after[k] - before[k]).toFixed(1);
  console.log(`  CPU seconds: API ${used('api')}, worker ${used('worker')}, PostgreSQL ${used('postgres')}, Temporal ${used('temporal')}; `
    + `machine ${used('machine')} of ${(total * cpus().length).toFixed(0)} available (others: ${(Number(used('machine')) - Number(used('api')) - Number(used('worker'))
      - Number(used('postgres')) - Number(used('temporal'))).toFixed(1)})`);
  console.log(`  PostgreSQL's CPU seconds by process: ${Object.entries(rolesAfter).map(([role, s]) => [role, s - (rolesBefore[role] ?? 0)] as const)
    .filter(([, s]) => s >= 0.05).sort(([, a], [, b]) => b - a).map(([role, s]) => `${role} ${s.toFixed(1)}`).join(', ')}`);
  const scaled = products === TARGET_PRODUCTS ? total : (total * TARGET_PRODUCTS) / products;
  console.log(`  target: ${TARGET_PRODUCTS} products <= ${TARGET_SECONDS} s: ${products === TARGET_PRODUCTS ? '' : `scaled ${scaled.toFixed(0)} s, `}`
    + `ratio ${(scaled / TARGET_SECONDS).toFixed(2)} ${scaled <= TARGET_SECONDS ? 'MEETS' : 'MISS'}`);
  for (const [k, v] of Object.entries(io[0] ?? {})) console.log(`  ${k}: ${JSON.stringify(v)}`);
  for (const line of statements) console.log(line);
  return 0;
}

/** Queue wait, validation, writes and the end, from the times the workflow's history recorded. */
async function phasesOf(client: import('@temporalio/client').Client, workflowId: string, uploadedAt: number): Promise<[string, number][]> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  const at = (e: { eventTime?: { seconds?: unknown; nanos?: number | null } | null }) => Number(e.eventTime?.seconds ?? 0) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const scheduled = new Map<number, { name: string; time: number }>();
  const spans: Record<string, { first: number; last: number; calls: number }> = {};
  for (const e of events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(Number(e.eventId), { name: s.activityType?.name ?? '?', time: at(e) });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const from = scheduled.get(Number(c.scheduledEventId));
      if (!from) continue;
      const span = spans[from.name] ?? { first: from.time, last: at(e), calls: 0 };
      spans[from.name] = { first: Math.min(span.first, from.time), last: Math.max(span.last, at(e)), calls: span.calls + 1 };
    }
  }
  const first = at((events ?? [])[0] ?? {});
  const seconds = (name: string) => (spans[name] ? (spans[name].last - spans[name].first) / 1000 : 0);
  return [
    ['start (queue to validation)', ((spans.validateImport?.first ?? first) - uploadedAt) / 1000],
    ['validate every row', seconds('validateImport')],
    [`write (${spans.importChunks?.calls ?? 0} activity calls)`, seconds('importChunks')],
    ['end (delete the file)', seconds('finishImport')],
  ];
}


const stack = new CheckoutBenchStack();
runBench(stack, () => main(stack), DEADLINE_MS);
