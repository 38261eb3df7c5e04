/**
 * A bulk import survives its worker being killed mid-way: a real worker process (workers/main.ts)
 * is SIGKILLed while a batch is in flight on each of its write lanes, a new worker takes the step over
 * once its heartbeat times out, and the import carries on from the first chunk not yet written.
 * Nothing is written twice and nothing is lost. Each batch is held in flight by a row lock the test
 * owns on a product the file updates, so the processes run exactly the production code. Both lanes
 * are held: a lane left free could be committing its batch at the moment of the kill (its COMMIT
 * already sent), which PostgreSQL rightly completes without the client.
 */
import { Client as PgClient } from 'pg';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { createTestDatabase, required, type TestDatabase } from '../support/db';
import { staffAs, startTestApi, type TestApi } from '../support/api';
import { killService, startService, until, type Service } from '../support/processes';
import { testDataConverter, uniqueTaskQueue } from '../support/temporal';
import { csvLine } from '../../src/domain/csv';
import { insertProducts } from '../../src/db/seed';
import { workflowIds } from '../../src/contracts/temporal';

const PRODUCTS = 1200;
/** In the fourth and fifth chunks of 250 products (one per write lane): chunks 0 to 2 are written before the import reaches them. */
const HELD = [800, 1100];

let db: TestDatabase;
let api: TestApi | undefined;
let connection: Connection;
const services: Service[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  connection = await Connection.connect({ address: required('TEST_TEMPORAL_ADDRESS') });
});
afterAll(async () => {
  services.forEach(killService);
  await api?.close();
  await connection?.close();
  await db?.drop();
});

const handle = (n: number) => `resume-product-${String(n).padStart(4, '0')}`;
const sku = (n: number, v: string) => `RSM-${String(n).padStart(4, '0')}-${v}`;

function file(): string {
  const header = ['Handle', 'Title', 'Published', 'Option1 Name', 'Option1 Value', 'Variant SKU', 'Variant Price', 'Variant Inventory Qty'];
  const rows = Array.from({ length: PRODUCTS }, (_, n) => [
    [handle(n), `Resume Product ${n}`, 'TRUE', 'Size', 'S', sku(n, 'S'), '10.00', '5'],
    [handle(n), '', '', '', 'L', sku(n, 'L'), '12.00', '5'],
  ]).flat();
  return [header, ...rows].map(csvLine).join('');
}

async function scalar(sql: string, args: unknown[] = []): Promise<number> {
  const [row] = await db.orm.em.fork().getConnection().execute(sql, args);
  return Number(Object.values(row)[0]);
}

it('a worker killed mid-import: the next worker resumes from the first chunk not written, and nothing is written twice', async () => {
  const taskQueue = uniqueTaskQueue('import-kill');
  const env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: required('TEST_TEMPORAL_ADDRESS'), TEMPORAL_TASK_QUEUE: taskQueue, WORKER_SHUTDOWN_GRACE: '1s',
    CART_SWEEP_EVERY: '1h' };
  await insertProducts(db.orm.em.fork(), HELD.map((n) => ({ handle: handle(n), title: 'Held', description: '', options: [{ name: 'Size', values: ['S', 'L'] }],
    variants: [{ sku: sku(n, 'S'), options: { Size: 'S' }, prices: { USD: 900 }, onHand: 1 }, { sku: sku(n, 'L'), options: { Size: 'L' }, prices: { USD: 900 }, onHand: 1 }] })));
  const lock = new PgClient({ connectionString: db.url });
  await lock.connect();
  await lock.query('begin');
  await lock.query('select id from products where handle = any($1) for update', [HELD.map(handle)]);

  const first = startService('workers/main.ts', env);
  services.push(first);
  await first.waitFor(/"msg":"worker polling"/, 90_000);
  api = await startTestApi(db.orm, { taskQueue });
  const posted = await api.request('POST', '/admin/catalog/imports', {
    rawBody: file(), headers: { ...staffAs('catalog'), 'content-type': 'text/csv', 'Idempotency-Key': 'resume-after-kill-1' } });
  expect(posted.status).toBe(202);
  const id: string = posted.body.id;
  const rowsDone = () => scalar('select rows_done from catalog_imports where id = ?', [id]);
  const blocked = () => scalar(`select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`);
  await until(async () => (await blocked()) === HELD.length && (await rowsDone()) === 750 * 2, 'chunks 0-2 written and chunks 3 and 4 blocked on the held products', 60_000);

  first.process.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  await lock.query('commit');
  await lock.end();
  expect(await rowsDone()).toBe(1500); // the batches in flight died with the worker's connections: rolled back whole

  const second = startService('workers/main.ts', env);
  services.push(second);
  await until(async () => (await scalar('select count(*) from catalog_imports where id = ? and status = ?', [id, 'completed'])) === 1,
    'the import to complete on the second worker', 120_000);
  const done = await api.request('GET', `/admin/catalog/imports/${id}`, { headers: staffAs('catalog') });
  expect(done.body).toMatchObject({ status: 'completed', rows: { total: 2400, done: 2400, failed: 0 }, products: { created: PRODUCTS - HELD.length, updated: HELD.length },
    errorCount: 0 });
  expect(await scalar(`select count(*) from products where handle like 'resume-product-%'`)).toBe(PRODUCTS);
  expect(await scalar(`select count(*) from variants where sku like 'RSM-%'`)).toBe(PRODUCTS * 2);
  // Each product written by exactly one batch: the chunks done before the kill were not written again.
  expect(await scalar(`select count(*) from (select entity_id from catalog_audit where action = 'product.imported' and changes->>'import' = ?
    group by entity_id having count(*) > 1) twice`, [id])).toBe(0);
  expect(await scalar(`select count(*) from catalog_audit where action = 'product.imported' and changes->>'import' = ?`, [id])).toBe(PRODUCTS);
  expect(await scalar('select count(*) from catalog_import_chunks where import_id = ?', [id])).toBe(0); // the file went with the import's end

  // The step timed out on its heartbeat, carrying the progress the dead worker last reported, and ran again on the new worker.
  const { events } = await new Client({ connection, dataConverter: testDataConverter() }).workflow.getHandle(workflowIds.catalogImport(id)).fetchHistory();
  const retried = events!.map((e) => e.activityTaskStartedEventAttributes).filter((a) => a && a.attempt === 2);
  expect(retried).toHaveLength(1);
  expect(retried[0]!.lastFailure?.timeoutFailureInfo?.timeoutType).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
  second.process.kill('SIGTERM');
  expect(await second.exited).toEqual({ code: 0, signal: null });
}, 240_000);
